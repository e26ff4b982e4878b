"""Every lakehouse table of a home as sorted rows, for comparing two runs of the medallion over the same
input: what they hold, not when or in which batch they wrote it."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import functions as F

from include.settings import Settings
from include.spark_jobs import sinks
from include.spark_jobs.tables import ALL_TABLES, GOLD_DQ_METRICS, locate

VOLATILE = {"ingest_time", "updated_at", "recorded_at", "batch_id"}  # when, not what


def snapshot(spark, home: Path, dq_ignore: tuple[str, ...] = ()) -> dict[str, list]:
    """table -> its rows as sorted tuples of strings, without the volatile columns and the landing file a
    row came from (runs over the same lines may land them in different files).

    The data-quality table is compared by its totals per table, rule and action (batches may be cut
    differently), without the rules in ``dq_ignore``."""
    settings = Settings(home=home)
    tables = {}
    for table in ALL_TABLES:
        df = sinks.read_table(spark, locate(settings, table))
        df = df.drop("source_file")
        if table == GOLD_DQ_METRICS:
            df = df.where(~F.col("expectation").isin(*dq_ignore)) if dq_ignore else df
            df = df.groupBy("table", "expectation", "action").agg(F.sum("failed"), F.sum("dropped"))
        df = df.drop(*VOLATILE)
        tables[table] = sorted(tuple(str(v) for v in row) for row in df.collect())
    return tables
