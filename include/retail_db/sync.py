"""RetailAdvisorDB's side of the sync with the lakehouse: what is read from and written to the database.
The lakehouse's side is ``include.retail_db.lake``; ``include.orchestration.retail_sync`` runs the two
(the scout_retail_db_sync DAG, scout_marts and the slice).

Reference data in: Stores, Products, Customers and EdgeDeviceRegistry, each read whole as rows named like
its lakehouse table (``REFERENCE``). None of the four has a change timestamp to read incrementally by; the
lakehouse side writes only the rows that changed.

Interactions out: the lakehouse's sessions (the mart sales_interactions_enriched) become

- SalesInteractions: one per device session, keyed by (DeviceID, SessionID)
- SalesInteractionTranscripts: one per transcript event, keyed by EventID, with WordCount, LangCode and
  AudioURL (AudioURL while the column exists: the AudioURL rollback takes it away and brings it back)
- SalesInteractionBrands: one per interaction and brand named, MentionCount = the lines naming it

Every row is compared with what the database holds before it is written, so a rerun writes nothing. The
watermark (the newest mart load time synced) is kept in ScoutSyncState and committed with the rows. A
session of a store the database does not know is not written: it is reported, and it holds the watermark
back so a later run (after the store is added) takes it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from include.retail_db import migrate
from include.spark_jobs.tables import REF_CUSTOMERS, REF_EDGE_DEVICES, REF_PRODUCTS, REF_STORES

INTERACTIONS_WATERMARK = "sales_interactions_enriched"  # ScoutSyncState.Name of the interactions out
_CHUNK = 500  # keys per IN (...) list: well under every dialect's limit on bound parameters


@dataclass(frozen=True)
class ReferenceTable:
    """A lakehouse table mirrored from RetailAdvisorDB: its columns and the query that reads it."""

    name: str
    # The rows ``select`` returns, as DDL of string, int, boolean and timestamp columns (the lakehouse side
    # adds deleted_in_source and synced_at)
    ddl: str
    select: Callable[[dict[str, sa.Table]], sa.Select]


def _stores(t: dict[str, sa.Table]) -> sa.Select:
    s = t["Stores"]
    return sa.select(
        s.c.StoreCode.label("store_id"),
        s.c.StoreID.label("db_store_id"),
        s.c.Name.label("name"),
        s.c.Region.label("region"),
        s.c.City.label("city"),
        s.c.IsActive.label("is_active"),
    )


def _products(t: dict[str, sa.Table]) -> sa.Select:
    p = t["Products"]
    return sa.select(
        p.c.Sku.label("sku"),
        p.c.ProductID.label("product_id"),
        p.c.Name.label("name"),
        p.c.Brand.label("brand"),
        p.c.Category.label("category"),
        p.c.IsActive.label("is_active"),
    )


def _customers(t: dict[str, sa.Table]) -> sa.Select:
    c = t["Customers"]
    return sa.select(
        c.c.CustomerID.label("customer_id"),
        c.c.ExternalRef.label("external_ref"),
        c.c.DisplayName.label("display_name"),
        c.c.IsActive.label("is_active"),
    )


def _devices(t: dict[str, sa.Table]) -> sa.Select:
    d, s = t["EdgeDeviceRegistry"], t["Stores"]
    return sa.select(
        d.c.DeviceID.label("device_id"),
        s.c.StoreCode.label("store_id"),
        d.c.Location.label("location"),
        d.c.ZoneID.label("zone_id"),
        d.c.CameraAngle.label("camera_angle"),
        d.c.ClientVersion.label("client_version"),
        d.c.AudioUrlEnabled.label("audio_url_enabled"),
        d.c.ConfigVersion.label("config_version"),
        d.c.ConfigAckVersion.label("config_ack_version"),
        d.c.RegisteredAtUtc.label("registered_at"),
        d.c.LastSeenAtUtc.label("last_seen_at"),
        d.c.IsActive.label("is_active"),
    ).join_from(d, s, d.c.StoreID == s.c.StoreID)


REFERENCE = (
    ReferenceTable(
        REF_STORES,
        "store_id string, db_store_id int, name string, region string, city string, is_active boolean",
        _stores,
    ),
    ReferenceTable(
        REF_PRODUCTS,
        "sku string, product_id int, name string, brand string, category string, is_active boolean",
        _products,
    ),
    ReferenceTable(
        REF_CUSTOMERS, "customer_id int, external_ref string, display_name string, is_active boolean", _customers
    ),
    ReferenceTable(
        REF_EDGE_DEVICES,
        "device_id string, store_id string, location string, zone_id string, camera_angle string,"
        " client_version string, audio_url_enabled boolean, config_version int, config_ack_version int,"
        " registered_at timestamp, last_seen_at timestamp, is_active boolean",
        _devices,
    ),
)


def _reflect(engine: sa.Engine, names: Iterable[str]) -> dict[str, sa.Table]:
    meta = sa.MetaData()
    return {name: sa.Table(name, meta, autoload_with=engine) for name in names}


def _has_sync_keys(url: str) -> None:
    """The sync needs revision 0011 (event keys, watermarks); AudioURL (0010) may be deprecated meanwhile."""
    if "0011" not in migrate.applied(url):
        raise migrate.MigrationError(
            f"RetailAdvisorDB is at {migrate.current(url) or 'no revision'}: the sync needs revision 0011's"
            " keys; run `make db-upgrade` (or the scout_migrations DAG) first"
        )


def read_reference(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every reference table's rows, named as the lakehouse names them."""
    _has_sync_keys(url)
    engine = migrate.engine_for(url)
    try:
        tables = _reflect(engine, ("Stores", "Products", "Customers", "EdgeDeviceRegistry"))
        with engine.connect() as conn:
            return {ref.name: [dict(r) for r in conn.execute(ref.select(tables)).mappings()] for ref in REFERENCE}
    finally:
        engine.dispose()


# ---- interactions out ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One transcript of a session, as SalesInteractionTranscripts keeps it."""

    event_id: str
    text: str
    confidence: float | None
    word_count: int | None
    lang_code: str | None
    brand: str | None
    audio_url: str | None


@dataclass(frozen=True)
class Session:
    """One device session of the mart, as SalesInteractions keeps it (times naive UTC)."""

    device_id: str
    session_id: str
    store_code: str
    started_at: datetime
    ended_at: datetime
    loaded_at: datetime  # when dbt wrote the mart row: the watermark
    lines: tuple[Line, ...] = ()


@dataclass
class Written:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class SyncReport:
    interactions: Written = field(default_factory=Written)
    transcripts: Written = field(default_factory=Written)
    brands: Written = field(default_factory=Written)
    skipped: list[str] = field(default_factory=list)  # device|session (store ...) not written
    watermark: datetime | None = None
    audio_url: bool = True  # whether SalesInteractionTranscripts has the AudioURL column

    def as_dict(self) -> dict[str, Any]:
        return {
            "interactions": vars(self.interactions),
            "transcripts": vars(self.transcripts),
            "brands": vars(self.brands),
            "skipped": self.skipped,
            "watermark": self.watermark.isoformat() if self.watermark else None,
            "audio_url_column": self.audio_url,
        }


def watermark(url: str, name: str = INTERACTIONS_WATERMARK) -> datetime | None:
    """The newest mart load time the sync has written (None: never synced)."""
    _has_sync_keys(url)
    engine = migrate.engine_for(url)
    try:
        state = _reflect(engine, ("ScoutSyncState",))["ScoutSyncState"]
        with engine.connect() as conn:
            return conn.scalar(sa.select(state.c.Watermark).where(state.c.Name == name))
    finally:
        engine.dispose()


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _upsert(
    conn: sa.Connection, table: sa.Table, key: tuple[str, ...], rows: list[dict[str, Any]], written: Written
) -> dict[tuple, Any]:
    """Insert the rows whose key is new, update those that differ; returns key -> primary key value.

    Existing rows are looked up by the key's first column (an index on every table used here)."""
    (pk,) = table.primary_key.columns
    existing: dict[tuple, Any] = {}
    for chunk in _chunks(sorted({r[key[0]] for r in rows})):
        for row in conn.execute(sa.select(table).where(table.c[key[0]].in_(chunk))).mappings():
            existing[tuple(row[k] for k in key)] = row
    ids: dict[tuple, Any] = {}
    for row in rows:
        k = tuple(row[c] for c in key)
        old = existing.get(k)
        if old is None:
            ids[k] = conn.execute(sa.insert(table).values(row)).inserted_primary_key[0]
            written.inserted += 1
        elif any(old[c] != v for c, v in row.items()):
            conn.execute(sa.update(table).where(pk == old[pk.name]).values(row))
            ids[k] = old[pk.name]
            written.updated += 1
        else:
            ids[k] = old[pk.name]
            written.unchanged += 1
    return ids


def write_sessions(url: str, sessions: Sequence[Session], name: str = INTERACTIONS_WATERMARK) -> SyncReport:
    """Upsert the sessions, their transcripts and brand mentions; advance the watermark if all were written."""
    _has_sync_keys(url)
    engine = migrate.engine_for(url)
    report = SyncReport()
    try:
        t = _reflect(
            engine,
            (
                "Stores",
                "Products",
                "SalesInteractions",
                "SalesInteractionTranscripts",
                "SalesInteractionBrands",
                "ScoutSyncState",
            ),
        )
        report.audio_url = "AudioURL" in t["SalesInteractionTranscripts"].c
        with engine.begin() as conn:
            stores = dict(conn.execute(sa.select(t["Stores"].c.StoreCode, t["Stores"].c.StoreID)).all())
            products = t["Products"]
            product_of = dict(
                conn.execute(
                    sa.select(products.c.Brand, sa.func.min(products.c.ProductID)).group_by(products.c.Brand)
                ).all()
            )
            known = [s for s in sessions if s.store_code in stores]
            report.skipped = sorted(
                f"{s.device_id}|{s.session_id} (store {s.store_code})" for s in sessions if s.store_code not in stores
            )
            interaction = _upsert(
                conn,
                t["SalesInteractions"],
                ("SessionID", "DeviceID"),
                [
                    {
                        "SessionID": s.session_id,
                        "DeviceID": s.device_id,
                        "StoreID": stores[s.store_code],
                        "InteractionTimeUtc": s.started_at,
                        "SessionStart": s.started_at,
                        "SessionEnd": s.ended_at,
                    }
                    for s in known
                ],
                report.interactions,
            )
            lines = []
            brands = []
            for s in known:
                interaction_id = interaction[(s.session_id, s.device_id)]
                for line in s.lines:
                    row = {
                        "EventID": line.event_id,
                        "InteractionID": interaction_id,
                        "TranscriptText": line.text,
                        "Confidence": line.confidence,
                        "WordCount": line.word_count,
                        "LangCode": line.lang_code,
                    }
                    lines.append(row | ({"AudioURL": line.audio_url} if report.audio_url else {}))
                named = Counter(line.brand for line in s.lines if line.brand)
                brands += [
                    {"InteractionID": interaction_id, "Brand": b, "ProductID": product_of.get(b), "MentionCount": n}
                    for b, n in sorted(named.items())
                ]
            _upsert(conn, t["SalesInteractionTranscripts"], ("EventID",), lines, report.transcripts)
            _upsert(conn, t["SalesInteractionBrands"], ("InteractionID", "Brand"), brands, report.brands)
            if sessions and not report.skipped:
                report.watermark = max(s.loaded_at for s in sessions)
                _set_watermark(conn, t["ScoutSyncState"], name, report.watermark)
    finally:
        engine.dispose()
    return report


def _set_watermark(conn: sa.Connection, state: sa.Table, name: str, value: datetime) -> None:
    values = {"Watermark": value, "UpdatedAtUtc": datetime.now(UTC).replace(tzinfo=None)}
    if conn.execute(sa.update(state).where(state.c.Name == name).values(values)).rowcount == 0:
        conn.execute(sa.insert(state).values(Name=name, **values))
