"""Delta reads and idempotent writes for foreachBatch: a replayed micro-batch changes nothing.

- ``merge_rows`` upserts on a key (MERGE), so writing the same rows twice is a no-op.
- ``append_once`` appends with Delta's txnAppId/txnVersion, so Delta skips a batch id it has seen.
- ``replace_all`` overwrites a table recomputed whole: writing it again gives the same table.

Every function takes a ``tables.TableRef`` (from ``tables.locate``): a Delta folder or a catalog table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

from delta.exceptions import DeltaConcurrentModificationException
from delta.tables import DeltaTable
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from include.settings import Settings
from include.spark_jobs.tables import ALL_TABLES, TableRef, locate

T = TypeVar("T")


def delta_table(spark: SparkSession, ref: TableRef) -> DeltaTable:
    if ref.path is None:
        return DeltaTable.forName(spark, ref.qualified_name)
    return DeltaTable.forPath(spark, str(ref.path))


def ensure_table(spark: SparkSession, ref: TableRef, schema: StructType) -> DeltaTable:
    """The table, created with ``schema`` if missing (a catalog table's schema too). A table made by an
    earlier version of the jobs gets the columns it lacks (null in its existing rows), so a lake survives
    an upgrade that adds one (e.g. silver_transcripts' sentiment)."""
    if ref.path is None:  # SQL: Delta's table builder takes no catalog.schema.table name
        spark.sql(f"CREATE SCHEMA IF NOT EXISTS {ref.schema}")
        spark.sql(f"CREATE TABLE IF NOT EXISTS {ref.qualified_name} ({schema.toDDL()}) USING delta")
        table = delta_table(spark, ref)
    else:
        table = DeltaTable.createIfNotExists(spark).location(str(ref.path)).addColumns(schema).execute()
    have = set(table.toDF().columns)
    missing = [f for f in schema.fields if f.name not in have]
    if missing:
        columns = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in missing)
        spark.sql(f"ALTER TABLE {ref.sql} ADD COLUMNS ({columns})")
        table = delta_table(spark, ref)
    return table


def exists(spark: SparkSession, ref: TableRef) -> bool:
    if ref.path is None:
        return spark.catalog.tableExists(ref.qualified_name)
    return (ref.path / "_delta_log").exists()


def merge_rows(
    df: DataFrame, ref: TableRef, keys: list[str], *, update: bool, target_filter: Column | None = None, tries: int = 5
) -> None:
    """Insert rows whose key is new; with ``update`` also overwrite rows whose key exists.

    ``target_filter`` (a condition on the target's columns, ``t.<name>``) limits the target rows the MERGE
    looks at; Delta prunes the files outside it by their statistics.

    A MERGE that loses Delta's optimistic-concurrency check to another writer of the table (e.g. the
    layer jobs and a backfill running at once) is simply run again: it is idempotent.
    """
    spark = df.sparkSession
    table = ensure_table(spark, ref, df.schema)
    on = F.expr(" and ".join(f"t.{k} <=> s.{k}" for k in keys))
    if target_filter is not None:
        on = on & target_filter

    def merge() -> None:
        rows = table.alias("t").merge(df.alias("s"), on)
        if update:
            rows = rows.whenMatchedUpdateAll()
        rows.whenNotMatchedInsertAll().execute()

    retrying_conflicts(merge, tries)


def retrying_conflicts(write: Callable[[], T], tries: int = 5) -> T:
    """``write()``, run again when it loses Delta's optimistic-concurrency check to another writer of the
    table (a stream appending while a backfill updates, say). Only for a write that reads the table afresh
    each time and is idempotent: a MERGE, an UPDATE or DELETE by condition."""
    for attempt in range(1, tries + 1):
        try:
            return write()
        except DeltaConcurrentModificationException:
            if attempt == tries:
                raise
            time.sleep(0.2 * attempt)
    raise AssertionError("unreachable")


def _save(writer, ref: TableRef) -> None:
    if ref.path is None:
        writer.saveAsTable(ref.qualified_name)
    else:
        writer.save(str(ref.path))


def append_once(df: DataFrame, ref: TableRef, app_id: str, batch_id: int) -> None:
    _save(df.write.format("delta").mode("append").option("txnAppId", app_id).option("txnVersion", batch_id), ref)


def replace_all(df: DataFrame, ref: TableRef) -> None:
    """One commit that swaps the table's rows for ``df``'s (cheaper than a MERGE that updates every row)."""
    _save(df.write.format("delta").mode("overwrite"), ref)


def read_table(spark: SparkSession, ref: TableRef) -> DataFrame:
    if ref.path is None:
        return spark.read.table(ref.qualified_name)
    return spark.read.format("delta").load(str(ref.path))


def read_between(spark: SparkSession, ref: TableRef, first: datetime, last: datetime) -> DataFrame:
    """The table's rows with first <= ts <= last: Delta skips the files outside by their statistics."""
    return read_table(spark, ref).where(F.col("ts").between(F.lit(first), F.lit(last)))


def table_counts(spark: SparkSession, settings: Settings, prefix: str = "") -> dict[str, int]:
    """Rows in every lakehouse table that exists (whose name starts with ``prefix``)."""
    refs = [locate(settings, table) for table in ALL_TABLES if table.startswith(prefix)]
    return {ref.table: read_table(spark, ref).count() for ref in refs if exists(spark, ref)}


@contextmanager
def cached(frame: DataFrame) -> Iterator[DataFrame]:
    """``frame`` persisted while a batch's writes read it (several times: one scan of the source)."""
    frame.persist()
    try:
        yield frame
    finally:
        frame.unpersist()
