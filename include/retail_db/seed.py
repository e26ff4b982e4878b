"""A small deterministic reference dataset: the synthetic day's stores and devices, and a brand catalog.

Idempotent: rows are matched on their natural keys (StoreCode, Sku, DeviceID) and only missing ones are
inserted, so seeding twice, or after someone added rows by hand, never duplicates.
"""

from __future__ import annotations

import sqlalchemy as sa

from include.catalog import PRODUCTS, STORES, device_ids
from include.retail_db import migrate

STORE_NAMES = {
    "store-001": ("Scout Sari-Sari Quezon City", "NCR", "Quezon City"),
    "store-002": ("Scout Sari-Sari Makati", "NCR", "Makati"),
}


def _missing(conn: sa.Connection, table: sa.Table, key: str, rows: list[dict]) -> list[dict]:
    existing = set(conn.scalars(sa.select(table.c[key])))
    return [r for r in rows if r[key] not in existing]


def seed(url: str) -> dict[str, int]:
    """Insert what is missing of the reference data; return how many rows each table got."""
    if migrate.current(url) != migrate.script_directory().get_current_head():
        raise migrate.MigrationError("RetailAdvisorDB is not at head; run `make db-upgrade` before seeding")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    meta = sa.MetaData()
    stores, products, devices = (
        sa.Table(n, meta, autoload_with=engine) for n in ("Stores", "Products", "EdgeDeviceRegistry")
    )
    inserted = {}
    with engine.begin() as conn:
        rows = [{"StoreCode": code, "Name": n, "Region": r, "City": c} for code, (n, r, c) in STORE_NAMES.items()]
        new = _missing(conn, stores, "StoreCode", rows)
        if new:
            conn.execute(sa.insert(stores), new)
        inserted["Stores"] = len(new)

        rows = [{"Sku": s, "Name": n, "Brand": b, "Category": c} for s, n, b, c in PRODUCTS]
        new = _missing(conn, products, "Sku", rows)
        if new:
            conn.execute(sa.insert(products), new)
        inserted["Products"] = len(new)

        store_ids = dict(conn.execute(sa.select(stores.c.StoreCode, stores.c.StoreID)).all())
        rows = [
            {
                "DeviceID": device,
                "StoreID": store_ids[code],
                "Location": f"{code}/entrance",
                "ZoneID": f"zone-{n}",
                "CameraAngle": "front",
                "ClientVersion": "0.1.0",
                "AudioUrlEnabled": True,
            }
            for code in STORES
            for n, device in enumerate(device_ids(code), start=1)
        ]
        new = _missing(conn, devices, "DeviceID", rows)
        if new:
            conn.execute(sa.insert(devices), new)
        inserted["EdgeDeviceRegistry"] = len(new)
    engine.dispose()
    return inserted
