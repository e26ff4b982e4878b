"""The rollback's validation: the sample dataset's AudioURL values, transcript by transcript, at every
layer they pass through, against what the direction implies.

| layer     | restore                         | deprecate                                       |
|-----------|---------------------------------|-------------------------------------------------|
| bronze    | the sample's value (verbatim)   | the sample's value (bronze never changes)       |
| silver    | the sample's value              | none                                            |
| mart      | the sample's value              | none                                            |
| export    | the sample's value              | none                                            |
| retail_db | the sample's value (AudioURL)   | no AudioURL column (values wait in its archive) |

A transcript missing from a layer, or a value that differs, is a finding; RollbackValidationFailed names
the layer and the transcript of each (the first ten).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from include.errors import RollbackValidationFailed
from include.retail_db import migrate
from include.rollback.pipeline import sample
from include.settings import Settings
from include.spark_jobs import sinks
from include.spark_jobs.tables import BRONZE_TABLES, SILVER_TRANSCRIPTS, locate, locate_mart
from scout_edge.contract import Transcript

MART = "sales_interactions_enriched"
LAYERS = ("bronze", "silver", "mart", "export", "retail_db")
MISSING = "<missing>"  # the transcript is not at that layer at all


@dataclass(frozen=True)
class Finding:
    layer: str
    event_id: str
    expected: str | None
    found: str | None

    def __str__(self) -> str:
        return f"{self.layer}: transcript {self.event_id}: expected audio_url {self.expected!r}, found {self.found!r}"


def _bronze(spark: SparkSession, settings: Settings, ids: list[str]) -> dict[str, str | None]:
    raw = sinks.read_table(spark, locate(settings, BRONZE_TABLES[Transcript.hub]))
    rows = raw.select(
        F.get_json_object("payload", "$.event_id").alias("event_id"),
        F.get_json_object("payload", "$.audio_url").alias("audio_url"),
    ).where(F.col("event_id").isin(ids))
    return {r.event_id: r.audio_url for r in rows.collect()}


def _silver(spark: SparkSession, settings: Settings, ids: list[str]) -> dict[str, str | None]:
    rows = sinks.read_table(spark, locate(settings, SILVER_TRANSCRIPTS)).where(F.col("event_id").isin(ids))
    return {r.event_id: r.audio_url for r in rows.select("event_id", "audio_url").collect()}


def _mart(spark: SparkSession, settings: Settings, ids: list[str]) -> dict[str, str | None]:
    ref = locate_mart(settings, MART)
    if not sinks.exists(spark, ref):
        return {}
    lines = sinks.read_table(spark, ref).select(F.explode("transcript_lines").alias("line")).select("line.*")
    rows = lines.where(F.col("transcript_id").isin(ids)).select("transcript_id", "audio_url").collect()
    return {r.transcript_id: r.audio_url for r in rows}


def _export(settings: Settings, ids: list[str]) -> dict[str, str | None]:
    path = settings.export_dir / f"{MART}.json"
    if not path.exists():
        return {}
    lines = [line for row in json.loads(path.read_text())["rows"] for line in row["transcript_lines"]]
    return {x["transcript_id"]: x["audio_url"] for x in lines if x["transcript_id"] in ids}


def _retail_db(url: str, ids: list[str]) -> tuple[bool, dict[str, str | None]]:
    """(has the AudioURL column, EventID -> AudioURL or None where the column is gone)."""
    engine = migrate.engine_for(url)
    try:
        table = sa.Table("SalesInteractionTranscripts", sa.MetaData(), autoload_with=engine)
        column = table.c.get("AudioURL")
        wanted = [table.c.EventID, column if column is not None else sa.null()]
        with engine.connect() as conn:
            rows = conn.execute(sa.select(*wanted).where(table.c.EventID.in_(ids))).all()
    finally:
        engine.dispose()
    return column is not None, dict(rows)


def check(spark: SparkSession, settings: Settings, url: str, restore: bool) -> dict[str, Any]:
    """Check every layer; RollbackValidationFailed listing the findings, else a summary per layer."""
    expected = {row["event_id"]: row["audio_url"] for row in sample()}
    ids = sorted(expected)
    has_column, in_db = _retail_db(url, ids)
    seen = {
        "bronze": _bronze(spark, settings, ids),
        "silver": _silver(spark, settings, ids),
        "mart": _mart(spark, settings, ids),
        "export": _export(settings, ids),
        "retail_db": in_db,
    }
    findings = []
    for layer in LAYERS:
        for event_id in ids:
            want = expected[event_id] if restore or layer == "bronze" else None
            found = seen[layer].get(event_id, MISSING)
            if found != want:
                findings.append(Finding(layer, event_id, want, found))
    if not restore and has_column:
        findings.append(Finding("retail_db", "(all)", "no AudioURL column", "the column is there"))
    if restore and not has_column:
        findings.append(Finding("retail_db", "(all)", "the AudioURL column", "no AudioURL column"))
    if findings:
        listed = "; ".join(map(str, findings[:10]))
        more = f" (and {len(findings) - 10} more)" if len(findings) > 10 else ""
        raise RollbackValidationFailed(f"{len(findings)} sample value(s) wrong: {listed}{more}")
    with_url = sum(v is not None for v in expected.values())
    return {
        "transcripts": len(ids),
        "with_audio_url": with_url,
        "layers": {layer: "ok" for layer in LAYERS},
        "retail_db_audio_url_column": has_column,
    }
