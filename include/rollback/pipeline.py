"""The rollback's pipeline step, the lakehouse side: silver_transcripts' stored AudioURL values cleared
(deprecate) or filled back from bronze (restore), and the sample dataset landed for the validation.

Bronze keeps every payload verbatim, so a restore finds every AudioURL a device ever sent, including
those that arrived while the flag was off. The values are matched by event_id; a row that already has a
value (or that bronze has none for) is left alone, so running the step again changes nothing.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from include.atomic import write_atomic
from include.settings import Settings
from include.spark_jobs import sinks
from include.spark_jobs.tables import BRONZE_TABLES, SILVER_TRANSCRIPTS, locate
from scout_edge.contract import Transcript

SAMPLE_FILE = Path(__file__).with_name("rollback_test_data.json")
SAMPLE_LANDING = "rollback-sample.jsonl"  # its file in the landing zone's transcripts folder


@cache
def sample() -> tuple[dict[str, Any], ...]:
    """The sample transcripts (event JSON, as devices send them)."""
    return tuple(json.loads(SAMPLE_FILE.read_text())["transcripts"])


def land_sample(settings: Settings) -> bool:
    """Write the sample into the landing zone (once: the same file, the same event ids); True if written."""
    path = settings.landing_dir / Transcript.hub / SAMPLE_LANDING
    if path.exists():
        return False
    write_atomic(path, "".join(json.dumps(row, sort_keys=True) + "\n" for row in sample()))
    return True


def _bronze_urls(spark: SparkSession, settings: Settings) -> DataFrame:
    """event_id -> the AudioURL its bronze payload carries (first copy; duplicates carry the same)."""
    raw = sinks.read_table(spark, locate(settings, BRONZE_TABLES[Transcript.hub]))
    payload = F.col("payload")
    return (
        raw.select(
            F.get_json_object(payload, "$.event_id").alias("event_id"),
            F.get_json_object(payload, "$.audio_url").alias("audio_url"),
        )
        .where(F.col("event_id").isNotNull() & F.col("audio_url").isNotNull())
        .dropDuplicates(["event_id"])
    )


def _missing(spark: SparkSession, settings: Settings) -> DataFrame:
    """Silver transcripts without an AudioURL that bronze has one for: what a restore fills."""
    silver = sinks.read_table(spark, locate(settings, SILVER_TRANSCRIPTS)).where(F.col("audio_url").isNull())
    return _bronze_urls(spark, settings).join(silver.select("event_id"), "event_id", "left_semi")


def silver_changes(spark: SparkSession, settings: Settings, restore: bool) -> int:
    """How many silver rows the step would change."""
    if restore:
        return _missing(spark, settings).count()
    return sinks.read_table(spark, locate(settings, SILVER_TRANSCRIPTS)).where(F.col("audio_url").isNotNull()).count()


def apply_to_silver(spark: SparkSession, settings: Settings, restore: bool) -> int:
    """Fill (restore) or clear (deprecate) silver's stored AudioURL values; the rows changed."""
    table = sinks.delta_table(spark, locate(settings, SILVER_TRANSCRIPTS))
    if restore:
        merge = (
            table.alias("t")
            .merge(_missing(spark, settings).alias("s"), "t.event_id = s.event_id and t.audio_url is null")
            .whenMatchedUpdate(set={"audio_url": "s.audio_url"})
        )
        return merge.execute().first()["num_updated_rows"]
    changed = silver_changes(spark, settings, restore=False)
    if changed:
        table.update(condition=F.col("audio_url").isNotNull(), set={"audio_url": F.lit(None).cast("string")})
    return changed
