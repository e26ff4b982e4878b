"""Silver: bronze events parsed against the contract, checked, deduplicated on event_id, then the tables
made from them (speech x vision, ``derived``).

- ``specs``: the tables, their expectations and columns
- ``checks``: one micro-batch's parse, expectations, dedupe and writes per table
- ``derived``: fusion ("Greeted + Asked") and the speech x vision alignment
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from include.settings import Settings
from include.spark_jobs import concurrently, sinks, sources
from include.spark_jobs.progress import TableBatch
from include.spark_jobs.rules.schemas import BRONZE_SCHEMA
from include.spark_jobs.silver import derived
from include.spark_jobs.silver.checks import Checked, check, parse, write_checked
from include.spark_jobs.silver.specs import (
    ANNOTATED_EVENTS,
    DQ_METRICS_SCHEMA,
    HEARTBEATS,
    INSIGHT_FEEDBACK,
    QUARANTINE_SCHEMA,
    SILVER_TABLES,
    TRANSCRIPTS,
    VISUAL_DETECTIONS,
    SilverTable,
)
from include.spark_jobs.tables import (
    BRONZE_TABLES,
    GOLD_DQ_METRICS,
    SILVER_ANNOTATED_EVENTS,
    SILVER_TRANSCRIPTS,
    SILVER_VISUAL_DETECTIONS,
    locate,
)
from include.spark_jobs.trigger import Trigger

__all__ = [
    "ANNOTATED_EVENTS",
    "HEARTBEATS",
    "INSIGHT_FEEDBACK",
    "SILVER_TABLES",
    "TRANSCRIPTS",
    "VISUAL_DETECTIONS",
    "SilverBatch",
    "SilverTable",
    "by_hub",
    "check_batch",
    "ensure_tables",
    "parse",
    "stream",
    "write_batch",
]

log = logging.getLogger(__name__)


@dataclass
class SilverBatch:
    """What a micro-batch added to silver: every table's valid rows (a replay sees the same ones, so gold
    recomputes what they touch even when the first attempt had already appended them)."""

    valid: dict[str, DataFrame]
    checked: list[Checked]

    def written(self) -> dict[str, TableBatch]:
        """The rows each silver table got, and their newest event time (for the progress record)."""
        return {c.table.name: TableBatch(c.inserted, c.newest) for c in self.checked}

    def release(self) -> None:
        for c in self.checked:
            c.release()


def check_batch(settings: Settings, bronze: dict[str, DataFrame], batch_id: int) -> list[Checked]:
    """``bronze``: hub -> that hub's bronze rows of the micro-batch (hubs without rows left out). Every
    silver table's checks, nothing written (ExpectationFailed when a ``fail`` rule trips)."""

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

    return concurrently.run_all([check_table(t) for t in SILVER_TABLES if t.event.hub in bronze])


def write_batch(
    settings: Settings, bronze: dict[str, DataFrame], batch_id: int, app: str, checked: list[Checked] | None = None
) -> SilverBatch:
    """Checks (unless ``checked`` already holds them) and writes every silver table, then the ones made
    from them (fusion, alignment)."""
    checked = check_batch(settings, bronze, batch_id) if checked is None else checked
    if not checked:
        return SilverBatch({}, [])
    started = time.perf_counter()
    write_checked(settings, checked, batch_id, app)
    log.info("silver writes: %.1f s", time.perf_counter() - started)
    valid = {c.table.name: c.valid for c in checked}
    fused = derived.write_batch(settings, valid.get(SILVER_TRANSCRIPTS), valid.get(SILVER_VISUAL_DETECTIONS))
    if fused is not None:
        device = valid.get(SILVER_ANNOTATED_EVENTS)
        valid[SILVER_ANNOTATED_EVENTS] = fused if device is None else device.unionByName(fused)
    return SilverBatch(valid, checked)


def by_hub(batch: DataFrame) -> dict[str, DataFrame]:
    """A micro-batch of bronze rows of several hubs, split by hub (hubs with no rows left out)."""
    hubs = [row["hub"] for row in batch.select("hub").distinct().collect()]
    return {hub: batch.where(F.col("hub") == hub) for hub in hubs if hub in BRONZE_TABLES}


def write_bronze_batch(settings: Settings, batch: DataFrame, batch_id: int, app: str) -> dict[str, TableBatch]:
    """The silver job's micro-batch: bronze rows of any hubs; returns the rows each silver table got."""
    layer = write_batch(settings, by_hub(batch), batch_id, app)
    try:
        return layer.written()
    finally:
        layer.release()


def stream(spark: SparkSession, settings: Settings, trigger: Trigger) -> DataFrame:
    """The silver job's input: every bronze table in one stream (each batch updates the silver tables it
    has rows for)."""
    streams = [sources.read_table_stream(spark, locate(settings, t)) for t in BRONZE_TABLES.values()]
    return reduce(DataFrame.unionByName, streams)


def _silver_schema(spark: SparkSession, table: SilverTable) -> T.StructType:
    return table.stored(parse(spark.createDataFrame([], BRONZE_SCHEMA), table.event).select(*table.columns)).schema


def ensure_tables(spark: SparkSession, settings: Settings) -> None:
    """Create every silver, quarantine and metrics table up front, so readers never meet a missing one."""
    for table in SILVER_TABLES:
        sinks.ensure_table(spark, locate(settings, table.name), _silver_schema(spark, table))
        sinks.ensure_table(spark, locate(settings, table.quarantine), _schema(spark, QUARANTINE_SCHEMA))
    sinks.ensure_table(spark, locate(settings, GOLD_DQ_METRICS), _schema(spark, DQ_METRICS_SCHEMA))
    derived.ensure_tables(spark, settings)


def _schema(spark: SparkSession, ddl: str) -> T.StructType:
    return spark.createDataFrame([], ddl).schema
