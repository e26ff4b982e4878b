"""The lakehouse's side of the RetailAdvisorDB sync: the reference tables mirrored in from the database's
rows (Spark), and the sessions read out of the mart sales_interactions_enriched (delta-rs). The database's
side is ``include.retail_db.sync``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pyspark.sql import SparkSession

from include.retail_db.sync import REFERENCE, Line, Session
from include.settings import Settings
from include.spark_jobs import sinks
from include.spark_jobs.tables import keys, locate, mart_folder

INTERACTIONS_MART = "sales_interactions_enriched"
# Sessions loaded this long before the watermark are read again (written again only if they changed):
# a mart row committed late, or a clock a little off, is still taken.
LOOKBACK = timedelta(hours=1)


def _utc(row: dict[str, Any]) -> dict[str, Any]:
    """The database's naive UTC times as aware ones (Spark would read a naive time as local time)."""
    return {k: v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None else v for k, v in row.items()}


def mirror_reference(spark: SparkSession, settings: Settings, rows: dict[str, list[dict]]) -> dict[str, dict]:
    """Mirror each reference table's rows into its lakehouse table; returns what each MERGE changed."""
    synced_at = datetime.now(UTC)
    changed = {}
    for ref in REFERENCE:
        data = [{**_utc(r), "deleted_in_source": False, "synced_at": synced_at} for r in rows[ref.name]]
        frame = spark.createDataFrame(data, f"{ref.ddl}, deleted_in_source boolean, synced_at timestamp")
        changed[ref.name] = sinks.mirror(frame, locate(settings, ref.name), keys(ref.name))
    return changed


def sessions_since(settings: Settings, since: datetime | None) -> list[Session]:
    """The mart's sessions loaded after ``since`` (less LOOKBACK; all of them for None), read with delta-rs
    (no JVM in the task)."""
    import pyarrow as pa
    import pyarrow.dataset as ds
    from deltalake import DeltaTable

    folder = mart_folder(settings, INTERACTIONS_MART)
    if not (folder / "_delta_log").is_dir():  # dbt has not built the marts yet: nothing to write
        return []
    loaded = None
    if since is not None:
        cutoff = (since - LOOKBACK).replace(tzinfo=UTC)
        loaded = ds.field("loaded_at_utc") > pa.scalar(cutoff, pa.timestamp("us", tz="UTC"))
    columns = ["device_id", "session_id", "store_id", "started_at_utc", "ended_at_utc", "loaded_at_utc"]
    rows = DeltaTable(str(folder)).to_pyarrow_dataset().to_table(columns=[*columns, "transcript_lines"], filter=loaded)
    return [
        Session(
            device_id=r["device_id"],
            session_id=r["session_id"],
            store_code=r["store_id"],
            started_at=_naive_utc(r["started_at_utc"]),
            ended_at=_naive_utc(r["ended_at_utc"]),
            loaded_at=_naive_utc(r["loaded_at_utc"]),
            lines=tuple(
                Line(
                    event_id=line["transcript_id"],
                    text=line["text"],
                    confidence=line["confidence"],
                    word_count=line["word_count"],
                    lang_code=line["lang_code"],
                    brand=line["brand"],
                    audio_url=line["audio_url"],
                )
                for line in r["transcript_lines"] or ()
            ),
        )
        for r in rows.to_pylist()
    ]


def _naive_utc(value: datetime) -> datetime:
    """RetailAdvisorDB keeps naive UTC times."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
