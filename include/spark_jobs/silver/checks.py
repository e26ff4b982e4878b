"""Silver's checks of one micro-batch: bronze rows parsed against the contract, the expectations applied,
the new event_ids found (dedupe within a watermark), then the quarantine, data-quality rows and new rows
written, each once per batch id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from include.errors import ExpectationFailed
from include.settings import Settings
from include.spark_jobs import concurrently, flags, holds, sinks
from include.spark_jobs.rules.expectations import apply_expectations
from include.spark_jobs.rules.schemas import parse_payload
from include.spark_jobs.silver.specs import CORRUPT, DQ_METRICS_SCHEMA, WATERMARK_FLOOR, SilverTable
from include.spark_jobs.tables import GOLD_DQ_METRICS, locate
from scout_edge.contract import Event


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
    path = str(locate(settings, table.name))
    existing = sinks.read_table(spark, locate(settings, table.name))  # ensure_tables made it
    newest = _newest_in(existing, path)
    floor = None if newest is None else newest - timedelta(seconds=settings.watermark_s)
    parsed = parse(bronze, table.event, floor).cache()
    times = {
        "oldest": lambda kept: F.min(F.when(kept, F.col("ts"))),
        "newest": lambda kept: F.max(F.when(kept, F.col("ts"))),
    }
    held = holds.expectation(settings, table.name)  # read every batch: a hold needs no restart
    rules = [held, *table.expectations] if held else table.expectations
    try:
        outcome = apply_expectations(parsed, rules, extra=times)
    except ExpectationFailed as error:
        parsed.unpersist()
        ids = error.event_ids
        way_out = f"; after a look at the rows (bronze keeps them), hold them: {holds.command(table.name, ids)}"
        raise ExpectationFailed(
            f"{table.name}, micro-batch {batch_id}: {error}" + (way_out if ids else ""), ids
        ) from None
    # Cached: the dedupe, fusion, alignment and gold all start from the valid rows.
    valid = outcome.valid.select(*table.columns).cache()
    oldest = outcome.extra["oldest"]
    if oldest is not None:
        existing = existing.where(F.col("ts") >= F.lit(oldest - timedelta(seconds=settings.watermark_s)))
    # Materialized before anything is written: appending these rows must not change what "new" means.
    known = existing.select("event_id")
    new = _projected(
        settings, table, table.stored(valid.dropDuplicates(["event_id"]).join(known, "event_id", "left_anti"))
    )
    new = new.localCheckpoint()
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


def _projected(settings: Settings, table: SilverTable, rows: DataFrame) -> DataFrame:
    """The rows with every flagged column the pipeline flags switch off set to null (flags read each batch)."""
    if not table.flagged:
        return rows
    on = flags.read(settings)
    off = [column for column, flag in table.flagged.items() if not on[flag]]
    return rows.withColumns({c: F.lit(None).cast(rows.schema[c].dataType) for c in off}) if off else rows


def write_checked(settings: Settings, checked: list[Checked], batch_id: int, app: str) -> None:
    """Quarantine, the data-quality rows (one append for every table), then the new rows: each with the
    batch id as Delta txnVersion, so a batch replayed after a crash skips what it already wrote and every
    count is written once. The metrics go before the rows: a replay recounting duplicates against rows it
    had already appended would count them twice."""
    spark = checked[0].new.sparkSession
    metrics = spark.createDataFrame([row for c in checked for row in c.metrics], schema=DQ_METRICS_SCHEMA)
    first = [lambda: sinks.append_once(metrics, locate(settings, GOLD_DQ_METRICS), f"{app}-dq", batch_id)]
    first += [_append(settings, c.table.quarantine, c.quarantine, batch_id, app) for c in checked if c.dropped]
    concurrently.run_all(first)
    concurrently.run_all([_append(settings, c.table.name, c.new, batch_id, app) for c in checked if c.inserted])
    for c in checked:
        _advance(str(locate(settings, c.table.name)), c.newest)


def _append(settings: Settings, table: str, rows: DataFrame, batch_id: int, app: str) -> Callable[[], None]:
    return lambda: sinks.append_once(rows, locate(settings, table), f"{app}-{table}", batch_id)
