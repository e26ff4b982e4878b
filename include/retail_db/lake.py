"""The lakehouse's side of the RetailAdvisorDB sync, with delta-rs (no JVM in the task): the reference
tables mirrored in from the database's rows, and the sessions read out of the mart
sales_interactions_enriched. The database's side is ``include.retail_db.sync``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from include.errors import SettingsError
from include.retail_db.sync import REFERENCE, Line, ReferenceTable, Session
from include.settings import Settings
from include.spark_jobs.tables import keys, locate, mart_folder

INTERACTIONS_MART = "sales_interactions_enriched"
# Sessions loaded this long before the watermark are read again (written again only if they changed):
# a mart row committed late, or a clock a little off, is still taken.
LOOKBACK = timedelta(hours=1)


def _utc(row: dict[str, Any]) -> dict[str, Any]:
    """The database's naive UTC times as aware ones (Spark would read a naive time as local time)."""
    return {k: v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None else v for k, v in row.items()}


def mirror_reference(settings: Settings, rows: dict[str, list[dict]]) -> dict[str, dict]:
    """Mirror each reference table's rows into its lakehouse table; what each one's MERGE changed."""
    synced_at = datetime.now(UTC)
    changed = {}
    for ref in REFERENCE:
        data = [{**_utc(r), "deleted_in_source": False, "synced_at": synced_at} for r in rows[ref.name]]
        changed[ref.name] = mirror(_folder(settings, ref), pa.Table.from_pylist(data, _schema(ref)), keys(ref.name))
    return changed


def mirror(folder: str, source: pa.Table, keys: list[str], *, flag: str = "deleted_in_source") -> dict[str, int]:
    """Make the Delta table at ``folder`` mirror ``source``, a source read whole: new keys inserted, rows that
    changed updated, rows whose key ``source`` no longer has kept with ``flag`` set (a source that deletes
    loses nothing here). Unchanged rows are not rewritten: mirroring the same source twice commits nothing.

    ``source`` carries ``flag`` (false) and ``synced_at``, which alone does not count as a change. A column
    it has that the table lacks (a lake made by an earlier version) is added first. Returns the rows inserted and
    the rows updated (changed, or newly flagged)."""
    from deltalake import DeltaTable, Schema, write_deltalake

    if not DeltaTable.is_deltatable(folder):
        write_deltalake(folder, source)
        return {"inserted": source.num_rows, "updated": 0}
    table = DeltaTable(folder)
    have = {f.name for f in table.schema().fields}
    missing = pa.schema([f for f in source.schema if f.name not in have])
    if missing:  # null in the rows it holds, so every row differs from the source below and is updated
        table.alter.add_columns(list(Schema.from_arrow(missing).fields))
    compared = [c for c in source.column_names if c not in (*keys, "synced_at")]
    changed = " OR ".join(f"(t.`{c}` IS DISTINCT FROM s.`{c}`)" for c in compared)
    metrics = (
        table.merge(source, " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys), "s", "t")
        .when_matched_update_all(predicate=changed)
        .when_not_matched_insert_all()
        .when_not_matched_by_source_update({flag: "true", "synced_at": "now()"}, predicate=f"NOT t.`{flag}`")
        .execute()
    )
    return {"inserted": metrics["num_target_rows_inserted"], "updated": metrics["num_target_rows_updated"]}


# The Arrow types of the DDL's types (as Spark writes them to Delta: int is 32-bit, times are UTC).
_ARROW = {"string": pa.string(), "int": pa.int32(), "boolean": pa.bool_(), "timestamp": pa.timestamp("us", tz="UTC")}


def _schema(ref: ReferenceTable) -> pa.Schema:
    columns = [column.split() for column in ref.ddl.split(",")]
    columns += [["deleted_in_source", "boolean"], ["synced_at", "timestamp"]]
    return pa.schema([(name, _ARROW[kind]) for name, kind in columns])


def _folder(settings: Settings, ref: ReferenceTable) -> str:
    table = locate(settings, ref.name)
    if table.path is None:
        raise SettingsError(
            f"SCOUT_CATALOG={settings.catalog}: the reference data is mirrored into the embedded default's lake"
            " folders; mirroring it into catalog tables is not built yet, run it with SCOUT_ENGINE=local"
        )
    return str(table.path)


def sessions_since(settings: Settings, since: datetime | None) -> list[Session]:
    """The mart's sessions loaded after ``since`` (less LOOKBACK; all of them for None), read with delta-rs
    (no JVM in the task)."""
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
