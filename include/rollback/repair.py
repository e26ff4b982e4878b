"""A one-off repair: the rollback validation's sample taken back out of production data.

Before the validation ran in a scratch copy (``scratch``), a validated rollback landed the sample
(rollback_test_data.json: six transcripts in three sessions, 2026-11-03) in production's landing zone,
and it went wherever a device's events go. This finds it by its event ids and sessions and removes it:

- the landing zone: its file (a stream started afresh would take it in again);
- the lake: its bronze payloads (and any quarantined copy), its silver transcripts, the fused
  annotations of its sessions and its speech x vision pairs deleted; the gold rows of its store-hours and
  store-days recomputed from the repaired silver (deleted where only the sample made them). gold_dq_metrics
  keeps its rows: they count what each micro-batch checked, which the sample's batch did;
- the marts: rebuilt from the repaired lake (``dbt build --full-refresh``), the dashboard exports
  published again;
- RetailAdvisorDB: its sessions, their transcripts (and archived AudioURLs) and brand mentions deleted.

``find`` counts what is there per table and changes nothing (the dry run); ``repair`` removes it and
returns the same counts. Run again, it finds nothing and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from include.dashboard import export
from include.retail_db import migrate
from include.rollback.pipeline import SAMPLE_LANDING, sample
from include.rollback.scratch import dbt_build
from include.settings import Settings
from include.spark_jobs import gold, sinks
from include.spark_jobs.tables import (
    BRONZE_TABLES,
    GOLD_STORE_INTERACTION_METRICS,
    GOLD_TRANSCRIPT_SENTIMENT,
    SILVER_ANNOTATED_EVENTS,
    SILVER_MULTIMODAL_ALIGNED,
    SILVER_TRANSCRIPTS,
    TABLES,
    locate,
    locate_mart,
)
from scout_edge.contract import Transcript

log = logging.getLogger(__name__)

MARTS_WITH_SESSIONS = ("sales_interactions_enriched", "customer_session_metrics")
ARCHIVE = "SalesInteractionTranscripts_AudioURLArchive"


def _ids() -> list[str]:
    return sorted(row["event_id"] for row in sample())


def _sessions() -> list[tuple[str, str]]:
    return sorted({(row["device_id"], row["session_id"]) for row in sample()})


def _of_sessions(device: str = "device_id", session: str = "session_id") -> Column:
    return F.struct(F.col(device), F.col(session)).isin([F.struct(F.lit(d), F.lit(s)) for d, s in _sessions()])


def _payload_id() -> Column:
    return F.get_json_object("payload", "$.event_id").isin(_ids())


def lake_rows() -> dict[str, Column]:
    """Lake table -> which of its rows are the sample's."""
    return {
        BRONZE_TABLES[Transcript.hub]: _payload_id(),
        TABLES[SILVER_TRANSCRIPTS].quarantine: _payload_id(),
        SILVER_TRANSCRIPTS: F.col("event_id").isin(_ids()),
        SILVER_ANNOTATED_EVENTS: _of_sessions(),
        SILVER_MULTIMODAL_ALIGNED: F.col("transcript_event_id").isin(_ids()),
    }


def _landed(settings: Settings) -> Path:
    """Where a validation landed the sample in production's landing zone (the stream took it from there)."""
    return settings.landing_dir / Transcript.hub / SAMPLE_LANDING


def _touched(spark: SparkSession) -> DataFrame:
    """The sample's transcripts as gold's touched rows: (store_id, ts)."""
    rows = [(row["store_id"], datetime.fromisoformat(row["ts"].replace("Z", "+00:00"))) for row in sample()]
    return spark.createDataFrame(rows, "store_id string, ts timestamp")


def _gold_rows(spark: SparkSession) -> dict[str, Column]:
    """Gold table -> its rows at the sample's store-hours / store-days (recomputed, not just deleted)."""
    touched = _touched(spark).collect()
    hours = [F.struct(F.lit(r.store_id), F.date_trunc("hour", F.lit(r.ts))) for r in touched]
    days = [F.struct(F.lit(r.store_id), F.to_date(F.lit(r.ts))) for r in touched]
    return {
        GOLD_STORE_INTERACTION_METRICS: F.struct("store_id", "hour_start").isin(hours),
        GOLD_TRANSCRIPT_SENTIMENT: F.struct("store_id", "day").isin(days),
    }


def _database_rows(conn: sa.Connection) -> dict[str, tuple[sa.Table, sa.ColumnElement[bool]]]:
    """RetailAdvisorDB table -> (the table, which of its rows belong to the sample's sessions), children
    before their parents (the order to delete in)."""
    meta = sa.MetaData()
    names = ("SalesInteractions", "SalesInteractionTranscripts", "SalesInteractionBrands")
    interactions, transcripts, brands = (sa.Table(n, meta, autoload_with=conn) for n in names)
    ids = sa.select(interactions.c.InteractionID).where(
        sa.tuple_(interactions.c.DeviceID, interactions.c.SessionID).in_(_sessions())
    )
    rows = {}
    if sa.inspect(conn).has_table(ARCHIVE):  # AudioURL deprecated: the sample's values wait here
        archive = sa.Table(ARCHIVE, meta, autoload_with=conn)
        lines = sa.select(transcripts.c.TranscriptID).where(transcripts.c.InteractionID.in_(ids))
        rows[ARCHIVE] = (archive, archive.c.TranscriptID.in_(lines))
    rows["SalesInteractionBrands"] = (brands, brands.c.InteractionID.in_(ids))
    rows["SalesInteractionTranscripts"] = (transcripts, transcripts.c.InteractionID.in_(ids))
    rows["SalesInteractions"] = (interactions, interactions.c.InteractionID.in_(ids))
    return rows


def find(spark: SparkSession, settings: Settings, url: str) -> dict[str, int]:
    """Where the sample is: table, mart, export or database table -> its rows there (none: left out)."""
    found = {}
    landed = _landed(settings)
    if landed.exists():
        found[f"landing zone: {landed.relative_to(settings.landing_dir)}"] = len(landed.read_text().splitlines())
    for table, rows in lake_rows().items():
        ref = locate(settings, table)
        if sinks.exists(spark, ref):
            found[table] = sinks.read_table(spark, ref).where(rows).count()
    for mart in MARTS_WITH_SESSIONS:
        ref = locate_mart(settings, mart)
        if sinks.exists(spark, ref):
            found[mart] = sinks.read_table(spark, ref).where(_of_sessions()).count()
    sessions = {s for _, s in _sessions()}
    for path in sorted(settings.export_dir.glob("*.json")):  # mentions of its sessions
        found[path.name] = sum(path.read_text().count(f'"{s}"') for s in sessions)
    engine = migrate.engine_for(url)
    try:
        with engine.connect() as conn:
            for name, (table, rows) in _database_rows(conn).items():
                found[name] = conn.scalar(sa.select(sa.func.count()).select_from(table).where(rows))
    finally:
        engine.dispose()
    return {place: n for place, n in found.items() if n}


def repair(spark: SparkSession, settings: Settings, url: str, say: Callable[[str], None] = log.info) -> dict[str, int]:
    """Remove the sample everywhere ``find`` sees it, saying each step; what was removed (nothing: nothing
    changed)."""
    found = find(spark, settings, url)
    if not found:
        return found
    _landed(settings).unlink(missing_ok=True)  # (a stream started afresh would take it in again)
    for table, rows in lake_rows().items():
        if found.get(table):
            sinks.delta_table(spark, locate(settings, table)).delete(rows)
            say(f"{table}: {found[table]} sample rows deleted")
    if found.get(SILVER_TRANSCRIPTS):
        touched = _touched(spark)
        for table, rows in _gold_rows(spark).items():  # the sample's keys, recomputed from repaired silver
            sinks.delta_table(spark, locate(settings, table)).delete(rows)
        gold.write_store_metrics(settings, touched)
        gold.write_sentiment(settings, touched)
        say("gold: the sample's store-hours and store-days recomputed from silver")
    say("the marts: dbt build --full-refresh (a few minutes)")
    dbt_build(settings, "path:models/marts", full_refresh=True)
    export.export_dashboard(settings)
    say("the dashboard exports published again")
    engine = migrate.engine_for(url)
    try:
        with engine.begin() as conn:
            for table, rows in _database_rows(conn).values():
                conn.execute(sa.delete(table).where(rows))
    finally:
        engine.dispose()
    say("RetailAdvisorDB: the sample's sessions deleted")
    return found
