"""Silver: bronze events parsed against the contract, checked, deduplicated on event_id.

Each silver table is declared once (SilverTable): the event type it holds, its expectations and its
columns. Rows that fail a `drop` expectation go to the table's quarantine table (<table>_quarantine) with
the raw payload and the names of the rules they broke; every expectation's pass/fail counts go to
gold_dq_metrics, one row per expectation per micro-batch (like the DLT event log).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.streaming import StreamingQuery

from include.settings import Settings
from include.spark_jobs import sinks
from include.spark_jobs.cli import Trigger, parse_args, session
from include.spark_jobs.expectations import Expectation, apply_expectations
from include.spark_jobs.schemas import BRONZE_SCHEMA, known_versions, parse_payload
from include.spark_jobs.tables import (
    BRONZE_TABLES,
    GOLD_DQ_METRICS,
    SILVER_ANNOTATED_EVENTS,
    SILVER_DEVICE_HEARTBEAT,
    SILVER_INSIGHT_FEEDBACK,
    SILVER_TRANSCRIPTS,
    SILVER_VISUAL_DETECTIONS,
)
from scout_edge.contract import (
    AnnotatedEvent,
    Event,
    Heartbeat,
    InsightFeedback,
    Transcript,
    VisualDetection,
)

CORRUPT = "_corrupt_record"
# Per batch: the newest event time already in the table minus the watermark (null for the first batch).
WATERMARK_FLOOR = "_watermark_floor"
MAX_PAYLOAD_BYTES = 64 * 1024  # an event is a few hundred bytes; anything this big is not one

DQ_METRICS_SCHEMA = (
    "table string, batch_id long, expectation string, action string,"
    " passed long, failed long, dropped long, recorded_at timestamp"
)
QUARANTINE_SCHEMA = "batch_id long, payload string, reasons array<string>, source_file string, ingest_time timestamp"


def contract_expectations(event: type[Event]) -> list[Expectation]:
    """What every event must satisfy to enter silver, whatever its type."""
    return [
        Expectation("parses_against_contract", f"{CORRUPT} is null"),  # malformed JSON or a wrong type
        Expectation("payload_within_limit", f"octet_length(payload) <= {MAX_PAYLOAD_BYTES}"),
        Expectation(f"is_{event.event_type}", f"event_type = '{event.event_type}'"),
        Expectation("known_schema_version", f"schema_version in ({', '.join(map(str, known_versions(event)))})"),
        Expectation("has_event_id", "event_id is not null and event_id != ''"),
        Expectation("has_device_and_store", "device_id is not null and store_id is not null"),
        Expectation("has_timestamp", "ts is not null"),
        # Late data is kept (silver is complete) but counted, like a streaming watermark would see it.
        Expectation("within_watermark", f"{WATERMARK_FLOOR} is null or ts is null or ts >= {WATERMARK_FLOOR}", "warn"),
    ]


@dataclass(frozen=True)
class SilverTable:
    name: str
    event: type[Event]
    expectations: list[Expectation]
    columns: list[str]

    @property
    def bronze(self) -> str:
        return BRONZE_TABLES[self.event.hub]

    @property
    def quarantine(self) -> str:
        return f"{self.name}_quarantine"


TRANSCRIPTS = SilverTable(
    SILVER_TRANSCRIPTS,
    Transcript,
    [
        *contract_expectations(Transcript),
        Expectation("non_negative_word_count", "word_count >= 0"),
        Expectation("confidence_in_range", "confidence between 0 and 1", "warn"),
    ],
    [
        "event_id",
        "device_id",
        "store_id",
        "session_id",
        "ts",
        "text",
        "word_count",
        "language",
        "confidence",
        "audio_url",
        "source_file",
        "redacted",
        "schema_version",
        "ingest_time",
    ],
)

HEARTBEATS = SilverTable(
    SILVER_DEVICE_HEARTBEAT,
    Heartbeat,
    [
        *contract_expectations(Heartbeat),
        Expectation("non_negative_uptime", "uptime_s >= 0"),
        Expectation("non_negative_spool_depth", "spool_depth >= 0"),
        Expectation("plausible_cpu_temperature", "cpu_temp_c is null or cpu_temp_c between -20 and 110", "warn"),
    ],
    [
        "event_id",
        "device_id",
        "store_id",
        "ts",
        "uptime_s",
        "cpu_load",
        "mem_used_pct",
        "disk_used_pct",
        "cpu_temp_c",
        "client_version",
        "location",
        "spool_depth",
        "last_publish_ts",
        "schema_version",
        "ingest_time",
    ],
)

INSIGHT_FEEDBACK = SilverTable(
    SILVER_INSIGHT_FEEDBACK,
    InsightFeedback,
    [
        *contract_expectations(InsightFeedback),
        Expectation("has_insight", "insight_id is not null and insight_type is not null"),
        Expectation("known_action", "action in ('taken', 'dismissed')"),
    ],
    [
        "event_id",
        "device_id",
        "store_id",
        "ts",
        "insight_id",
        "insight_type",
        "action",
        "advisor_id",
        "schema_version",
        "ingest_time",
    ],
)

VISUAL_DETECTIONS = SilverTable(
    SILVER_VISUAL_DETECTIONS,
    VisualDetection,
    [
        *contract_expectations(VisualDetection),
        Expectation("has_zone", "zone_id is not null"),
        Expectation("non_negative_counts", "faces >= 0 and people >= 0"),
        Expectation("boxes_inside_frame", "forall(boxes, b -> forall(b, v -> v between 0 and 1))", "warn"),
    ],
    [
        "event_id",
        "device_id",
        "store_id",
        "session_id",
        "ts",
        "zone_id",
        "camera_angle",
        "faces",
        "people",
        "motion",
        "gesture",
        "boxes",
        "dwell_s",
        "schema_version",
        "ingest_time",
    ],
)

ANNOTATED_EVENTS = SilverTable(
    SILVER_ANNOTATED_EVENTS,
    AnnotatedEvent,
    [*contract_expectations(AnnotatedEvent), Expectation("has_label", "label is not null and label != ''")],
    [
        "event_id",
        "device_id",
        "store_id",
        "session_id",
        "ts",
        "label",
        "zone_id",
        "brand",
        "schema_version",
        "origin",  # "device" (sent on its hub) or "fused" (made here from speech + vision)
        "ingest_time",
    ],
)

SILVER_TABLES = (TRANSCRIPTS, HEARTBEATS, INSIGHT_FEEDBACK, VISUAL_DETECTIONS, ANNOTATED_EVENTS)


def parse(bronze: DataFrame, event: type[Event], watermark_floor: datetime | None = None) -> DataFrame:
    """Bronze rows -> contract fields, by each payload's schema_version (+ ingest_time, the raw payload,
    the corrupt-record marker, ``origin``: these events were sent by a device, and the batch's watermark
    floor for the ``within_watermark`` rule)."""
    parsed = parse_payload(F.col("payload"), event, CORRUPT)
    return bronze.select(
        parsed.alias("e"), "payload", "ingest_time", F.col("source_file").alias("bronze_source_file")
    ).select(
        "e.*",
        "payload",
        "ingest_time",
        "bronze_source_file",
        F.lit("device").alias("origin"),
        F.lit(watermark_floor).cast("timestamp").alias(WATERMARK_FLOOR),
    )


def quarantine_rows(rejected: DataFrame, batch_id: int) -> DataFrame:
    return rejected.select(
        F.lit(batch_id).cast("long").alias("batch_id"),
        "payload",
        "reasons",
        F.col("bronze_source_file").alias("source_file"),
        "ingest_time",
    )


def metrics_rows(spark: SparkSession, metrics: list[dict], table: str, batch_id: int, duplicates: int) -> DataFrame:
    now = datetime.now(UTC)
    rows = [{**m, "table": table, "batch_id": batch_id, "recorded_at": now} for m in metrics]
    rows.append(
        {
            "expectation": "unique_event_id",
            "action": "dedupe",
            "passed": None,
            "failed": duplicates,
            "dropped": duplicates,
            "table": table,
            "batch_id": batch_id,
            "recorded_at": now,
        }
    )
    return spark.createDataFrame(rows, schema=DQ_METRICS_SCHEMA)


def write_batch(settings: Settings, table: SilverTable, batch: DataFrame, batch_id: int) -> None:
    """One micro-batch: check, quarantine, count, then MERGE the new event_ids.

    Dedupe and lateness look back one watermark from the batch's oldest event: the target is read only
    where ``ts >= oldest - SCOUT_WATERMARK``, which Delta's file statistics prune to the recent files, so
    a batch costs the same on day 1 and on day 300. (A copy of an event older than that is inserted
    again, the same bound as Spark's dropDuplicatesWithinWatermark.)

    The quarantine and the metrics rows are written before the MERGE with the batch id as Delta txnVersion:
    a batch replayed after a crash finds them already there and skips them, so every count is written once.
    """
    spark = batch.sparkSession
    target = settings.table_path(table.name)
    existing = sinks.ensure_table(spark, target, _silver_schema(spark, table)).toDF()
    parsed = parse(batch, table.event).cache()
    try:
        oldest = parsed.agg(F.min("ts")).first()[0]
        lookback = None if oldest is None else oldest - timedelta(seconds=settings.watermark_s)
        recent = existing if lookback is None else existing.where(F.col("ts") >= F.lit(lookback))
        # Only files holding events at least as new as the batch's oldest can make a row late.
        newest = None if oldest is None else existing.where(F.col("ts") >= F.lit(oldest)).agg(F.max("ts")).first()[0]
        floor = None if newest is None else newest - timedelta(seconds=settings.watermark_s)
        checked = parsed.withColumn(WATERMARK_FLOOR, F.lit(floor).cast("timestamp"))
        outcome = apply_expectations(checked, table.expectations)
        valid = outcome.valid.cache()
        # Cached: the dedupe shuffle feeds both the duplicate count and the MERGE. (Safe to cache, unlike
        # anything read from the target table, which the MERGE changes.)
        rows = valid.dropDuplicates(["event_id"]).select(*table.columns).cache()
        known = recent.select("event_id")
        # Duplicates within the batch and of events already in silver (e.g. an edge retry an hour later).
        duplicates = valid.count() - rows.join(known, "event_id", "left_anti").count()
        app_id = f"scout-silver-{table.name}"
        sinks.append_once(
            quarantine_rows(outcome.quarantine, batch_id), settings.table_path(table.quarantine), app_id, batch_id
        )
        sinks.append_once(
            metrics_rows(spark, outcome.metrics, table.name, batch_id, duplicates),
            settings.table_path(GOLD_DQ_METRICS),
            app_id,
            batch_id,
        )
        since = None if lookback is None else F.col("t.ts") >= F.lit(lookback)
        # insert-only MERGE: replays add nothing
        sinks.merge_rows(rows, target, ["event_id"], update=False, target_filter=since)
        rows.unpersist()
        valid.unpersist()
    finally:
        parsed.unpersist()


def start_table(spark: SparkSession, settings: Settings, table: SilverTable, trigger: Trigger) -> StreamingQuery:
    stream = spark.readStream.format("delta").load(str(settings.table_path(table.bronze)))
    writer = (
        stream.writeStream.queryName(table.name)
        .option("checkpointLocation", str(settings.checkpoint_dir / table.name))
        .foreachBatch(lambda batch, batch_id: write_batch(settings, table, batch, batch_id))
    )
    return trigger.apply(writer).start()


def _silver_schema(spark: SparkSession, table: SilverTable) -> T.StructType:
    return parse(spark.createDataFrame([], BRONZE_SCHEMA), table.event).select(*table.columns).schema


def ensure_tables(spark: SparkSession, settings: Settings) -> None:
    """Create every silver, quarantine and metrics table up front, so readers never meet a missing one."""
    from include.spark_jobs import silver_derived  # it builds on this module's tables

    for table in SILVER_TABLES:
        sinks.ensure_table(spark, settings.table_path(table.name), _silver_schema(spark, table))
        sinks.ensure_table(spark, settings.table_path(table.quarantine), _schema(spark, QUARANTINE_SCHEMA))
    sinks.ensure_table(spark, settings.table_path(GOLD_DQ_METRICS), _schema(spark, DQ_METRICS_SCHEMA))
    silver_derived.ensure_tables(spark, settings)


def _schema(spark: SparkSession, ddl: str) -> T.StructType:
    return spark.createDataFrame([], ddl).schema


def start(spark: SparkSession, settings: Settings, trigger: Trigger) -> list[StreamingQuery]:
    """Every silver query: one per hub, then the ones joining speech and vision (continuous mode)."""
    from include.spark_jobs import silver_derived

    base = [start_table(spark, settings, table, trigger) for table in SILVER_TABLES]
    return base + silver_derived.start(spark, settings, trigger)


def run(spark: SparkSession, settings: Settings, trigger: Trigger) -> None:
    """Available-now: the per-hub tables first, then the derived ones over everything they hold."""
    from include.spark_jobs import silver_derived

    ensure_tables(spark, settings)
    for query in [start_table(spark, settings, table, trigger) for table in SILVER_TABLES]:
        query.awaitTermination()
    for query in silver_derived.start(spark, settings, trigger):
        query.awaitTermination()


def main(argv: Sequence[str] | None = None) -> None:
    settings, trigger = parse_args("silver", argv)
    run(session(settings, "scout-silver"), settings, trigger)


if __name__ == "__main__":
    main()
