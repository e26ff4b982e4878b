"""The rollback's pipeline step, the lakehouse side: silver_transcripts' stored AudioURL values cleared
(deprecate) or filled back from bronze (restore), and the sample dataset landed for the validation.

Bronze keeps every payload verbatim, so a restore finds every AudioURL a device ever sent, including
those that arrived while the flag was off. The values are matched by event_id; a row that already has a
value (or that bronze has none for) is left alone, so running the step again changes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from include.atomic import write_atomic
from include.errors import PipelineStepFailed
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
    """Fill (restore) or clear (deprecate) silver's stored AudioURL values; the rows changed. A running
    stream appending to silver meanwhile makes Delta refuse the commit: it is simply tried again (it
    reads silver afresh, and it changes only what still needs changing)."""
    table = sinks.delta_table(spark, locate(settings, SILVER_TRANSCRIPTS))

    def fill() -> int:
        merge = (
            table.alias("t")
            .merge(_missing(spark, settings).alias("s"), "t.event_id = s.event_id and t.audio_url is null")
            .whenMatchedUpdate(set={"audio_url": "s.audio_url"})
        )
        return merge.execute().first()["num_updated_rows"]

    def clear() -> int:
        changed = silver_changes(spark, settings, restore=False)
        if changed:
            table.update(condition=F.col("audio_url").isNotNull(), set={"audio_url": F.lit(None).cast("string")})
        return changed

    return sinks.retrying_conflicts(fill if restore else clear)


def wait_until_applied(
    progress: Callable[[], Mapping[str, Any] | None], version: int, since: datetime, timeout_s: float
) -> str:
    """Wait until the running stream can no longer write anything under flags older than ``version``
    (written at ``since``): a committed batch applied it (or a newer one), or the query was idle after
    ``since`` (no batch in flight then; the next one reads the new flags). ``progress()``: the job's last
    progress record. How it ended; PipelineStepFailed after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        record = progress() or {}
        if record.get("flags_version", 0) >= version:
            return f"batch {record['batch_id']} applied flags version {record['flags_version']}"
        idle_at = record.get("idle_at")
        if idle_at and datetime.fromisoformat(idle_at) >= since:
            return f"the stream was idle at {idle_at}: its next batch applies flags version {version}"
        if time.monotonic() > deadline:
            raise PipelineStepFailed(
                f"the running stream did not apply the new pipeline flags (version {version}) within"
                f" {timeout_s:.0f} s: its last batch applied version {record.get('flags_version', 0)};"
                " check `make stream-status`, or raise SCOUT_ROLLBACK_WAIT"
            )
        time.sleep(1)
