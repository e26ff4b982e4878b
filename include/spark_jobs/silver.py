"""Silver: bronze events parsed against the contract, checked, deduplicated on event_id.

Each silver table is declared once (SilverTable): the event type it holds, its expectations and its
columns. Rows that fail a `drop` expectation go to the table's quarantine table (<table>_quarantine) with
the raw payload and the names of the rules they broke; every expectation's pass/fail counts go to
gold_dq_metrics, one row per expectation per micro-batch (like the DLT event log).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import reduce

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.streaming import StreamingQuery

from include.settings import Settings
from include.spark_jobs import concurrently, sentiment, sinks
from include.spark_jobs.cli import Trigger, parse_args, session, start_query
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

log = logging.getLogger(__name__)

QUERY = "silver"
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
    # Columns silver derives from a new row, once, as it takes the row in (e.g. a transcript's sentiment).
    enrich: Callable[[DataFrame], DataFrame] | None = None

    def stored(self, rows: DataFrame) -> DataFrame:
        """Valid rows, as the table stores them."""
        return rows if self.enrich is None else self.enrich(rows)

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
    sentiment.with_sentiment,  # scored once here; gold only aggregates the scores
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


def metrics_rows(metrics: list[dict], table: str, batch_id: int, duplicates: int, now: datetime) -> list[dict]:
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
    return rows


@dataclass
class Checked:
    """One silver table's share of a micro-batch, checked against the table but not yet written."""

    table: SilverTable
    valid: DataFrame  # rows that passed every drop rule, in the table's columns (duplicates included)
    new: DataFrame  # valid rows whose event_id is not in the table yet: materialized, what gets appended
    quarantine: DataFrame
    dropped: int
    inserted: int
    metrics: list[dict]
    newest: datetime | None  # the batch's newest valid event
    _cached: list[DataFrame]

    def release(self) -> None:
        for frame in self._cached:
            frame.unpersist()


# The newest event time written to each silver table (by path), as this process knows it: read from the
# table once, then advanced by every batch this process writes, so no batch scans the table for it. (Spark
# keeps its streaming watermark the same way; one writer per table, as for any streaming sink.)
_newest: dict[str, datetime | None] = {}


def _newest_in(existing: DataFrame, path: str) -> datetime | None:
    if path not in _newest:
        _newest[path] = existing.agg(F.max("ts")).first()[0]
    return _newest[path]


def _advance(path: str, ts: datetime | None) -> None:
    if ts is not None and (_newest.get(path) is None or ts > _newest[path]):
        _newest[path] = ts


def check(settings: Settings, table: SilverTable, bronze: DataFrame, batch_id: int) -> Checked:
    """Parse, apply the expectations and find the new event_ids, nothing written: one pass over the batch
    for the checks and counts, one for the dedupe.

    Dedupe looks back one watermark: the target is read only where ``ts >= oldest - SCOUT_WATERMARK``
    (oldest: the batch's oldest valid event), which Delta's file statistics prune to the recent files. (A
    copy of an event older than that is inserted again, the same bound as Spark's
    dropDuplicatesWithinWatermark.) A row is late when it is a watermark older than the newest event
    already in the table.
    """
    spark = bronze.sparkSession
    path = str(settings.table_path(table.name))
    existing = sinks.read_table(spark, settings.table_path(table.name))  # ensure_tables made it
    newest = _newest_in(existing, path)
    floor = None if newest is None else newest - timedelta(seconds=settings.watermark_s)
    parsed = parse(bronze, table.event, floor).cache()
    times = {
        "oldest": lambda kept: F.min(F.when(kept, F.col("ts"))),
        "newest": lambda kept: F.max(F.when(kept, F.col("ts"))),
    }
    outcome = apply_expectations(parsed, table.expectations, extra=times)
    # Cached: the dedupe, fusion, alignment and gold all start from the valid rows.
    valid = outcome.valid.select(*table.columns).cache()
    oldest = outcome.extra["oldest"]
    if oldest is not None:
        existing = existing.where(F.col("ts") >= F.lit(oldest - timedelta(seconds=settings.watermark_s)))
    # Materialized before anything is written: appending these rows must not change what "new" means.
    known = existing.select("event_id")
    new = table.stored(valid.dropDuplicates(["event_id"]).join(known, "event_id", "left_anti")).localCheckpoint()
    inserted = new.count()
    # Duplicates within the batch and of events already in silver (e.g. an edge retry an hour later).
    duplicates = outcome.valid_rows - inserted
    now = datetime.now(UTC)
    return Checked(
        table,
        valid,
        new,
        quarantine_rows(outcome.quarantine, batch_id),
        outcome.total_rows - outcome.valid_rows,
        inserted,
        metrics_rows(outcome.metrics, table.name, batch_id, duplicates, now),
        outcome.extra["newest"],
        [parsed, valid],  # (``new`` is a local checkpoint: Spark's cleaner drops it with the last reference)
    )


def write_checked(settings: Settings, checked: list[Checked], batch_id: int, app: str) -> None:
    """Quarantine, the data-quality rows (one append for every table), then the new rows: each with the
    batch id as Delta txnVersion, so a batch replayed after a crash skips what it already wrote and every
    count is written once. The metrics go before the rows: a replay recounting duplicates against rows it
    had already appended would count them twice."""
    spark = checked[0].new.sparkSession
    metrics = spark.createDataFrame([row for c in checked for row in c.metrics], schema=DQ_METRICS_SCHEMA)
    first = [lambda: sinks.append_once(metrics, settings.table_path(GOLD_DQ_METRICS), f"{app}-dq", batch_id)]
    first += [_append(settings, c.table.quarantine, c.quarantine, batch_id, app) for c in checked if c.dropped]
    concurrently.run_all(first)
    concurrently.run_all([_append(settings, c.table.name, c.new, batch_id, app) for c in checked if c.inserted])
    for c in checked:
        _advance(str(settings.table_path(c.table.name)), c.newest)


def _append(settings: Settings, table: str, rows: DataFrame, batch_id: int, app: str) -> Callable[[], None]:
    return lambda: sinks.append_once(rows, settings.table_path(table), f"{app}-{table}", batch_id)


@dataclass
class SilverBatch:
    """What a micro-batch added to silver: every table's valid rows (a replay sees the same ones, so gold
    recomputes what they touch even when the first attempt had already appended them)."""

    valid: dict[str, DataFrame]
    checked: list[Checked]

    def release(self) -> None:
        for c in self.checked:
            c.release()


def write_batch(settings: Settings, bronze: dict[str, DataFrame], batch_id: int, app: str) -> SilverBatch:
    """``bronze``: hub -> that hub's bronze rows of the micro-batch (hubs without rows left out). Checks
    and writes every silver table, then the ones made from them (fusion, alignment)."""
    from include.spark_jobs import silver_derived  # it builds on this module's tables

    def check_table(table: SilverTable) -> Callable[[], Checked]:
        def run() -> Checked:
            started = time.perf_counter()
            c = check(settings, table, bronze[table.event.hub], batch_id)
            duplicates = c.metrics[-1]["dropped"]
            log.info(
                "%s: %d new, %d quarantined, %d duplicates (%.1f s)",
                table.name,
                c.inserted,
                c.dropped,
                duplicates,
                time.perf_counter() - started,
            )
            return c

        return run

    checked = concurrently.run_all([check_table(t) for t in SILVER_TABLES if t.event.hub in bronze])
    if not checked:
        return SilverBatch({}, [])
    started = time.perf_counter()
    write_checked(settings, checked, batch_id, app)
    log.info("silver writes: %.1f s", time.perf_counter() - started)
    valid = {c.table.name: c.valid for c in checked}
    fused = silver_derived.write_batch(settings, valid.get(SILVER_TRANSCRIPTS), valid.get(SILVER_VISUAL_DETECTIONS))
    if fused is not None:
        device = valid.get(SILVER_ANNOTATED_EVENTS)
        valid[SILVER_ANNOTATED_EVENTS] = fused if device is None else device.unionByName(fused)
    return SilverBatch(valid, checked)


def by_hub(batch: DataFrame) -> dict[str, DataFrame]:
    """A micro-batch of bronze rows of several hubs, split by hub (hubs with no rows left out)."""
    hubs = [row["hub"] for row in batch.select("hub").distinct().collect()]
    return {hub: batch.where(F.col("hub") == hub) for hub in hubs if hub in BRONZE_TABLES}


def process(settings: Settings, batch: DataFrame, batch_id: int) -> None:
    batch.persist()
    try:
        write_batch(settings, by_hub(batch), batch_id, f"scout-{QUERY}").release()
    finally:
        batch.unpersist()


def start(spark: SparkSession, settings: Settings, trigger: Trigger) -> StreamingQuery:
    """One query over every bronze table: each micro-batch updates every silver table it has rows for."""
    streams = [spark.readStream.format("delta").load(str(settings.table_path(t))) for t in BRONZE_TABLES.values()]
    stream = reduce(DataFrame.unionByName, streams)
    return start_query(stream, QUERY, settings, trigger, process)


def _silver_schema(spark: SparkSession, table: SilverTable) -> T.StructType:
    return table.stored(parse(spark.createDataFrame([], BRONZE_SCHEMA), table.event).select(*table.columns)).schema


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


def run(spark: SparkSession, settings: Settings, trigger: Trigger) -> None:
    ensure_tables(spark, settings)
    start(spark, settings, trigger).awaitTermination()


def main(argv: Sequence[str] | None = None) -> None:
    settings, trigger = parse_args("silver", argv)
    run(session(settings, "scout-silver"), settings, trigger)


if __name__ == "__main__":
    main()
