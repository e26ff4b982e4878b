"""Reference data in: RetailAdvisorDB's Stores, Products, Customers and devices mirrored into the lakehouse.
A changed row is updated, a soft-deleted one keeps is_active = false, a deleted one stays flagged
deleted_in_source (and loses the flag when it comes back), and mirroring an unchanged database commits
nothing. Written with delta-rs, read here with delta-rs; the slice's dbt build reads the same tables
with Spark (tests/e2e/test_slice.py)."""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa
import pytest
import sqlalchemy as sa
from deltalake import DeltaTable, write_deltalake

from include.errors import SettingsError
from include.retail_db import migrate, sync
from include.retail_db.lake import mirror_reference
from include.retail_db.seed import seed
from include.settings import Settings
from include.spark_jobs.tables import REF_CUSTOMERS, REF_EDGE_DEVICES, REF_PRODUCTS, REF_STORES, locate


def execute(url: str, *statements: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def table(settings, name: str) -> DeltaTable:
    return DeltaTable(str(locate(settings, name).path))


def mirrored(settings, name: str, key: str) -> dict[str, dict]:
    return {r[key]: r for r in table(settings, name).to_pyarrow_table().to_pylist()}


@pytest.fixture
def lake(tmp_path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'retail_advisor.db'}"
    migrate.upgrade(url)
    seed(url)
    return url


def test_changes_soft_and_hard_deletes_reach_the_lakehouse_and_nothing_else(lake, url):
    execute(url, """INSERT INTO "Customers" ("ExternalRef", "DisplayName") VALUES ('c-1', 'Ana'), ('c-2', 'Ben')""")
    first = mirror_reference(lake, sync.read_reference(url))
    assert {t: c["inserted"] for t, c in first.items()} == {
        "ref_stores": 2,
        "ref_products": 5,
        "ref_customers": 2,
        "ref_edge_devices": 4,
    }

    execute(
        url,
        """UPDATE "Stores" SET "Name" = 'Scout Makati (renamed)' WHERE "StoreCode" = 'store-002'""",
        """UPDATE "Products" SET "IsActive" = 0 WHERE "Sku" = 'SG-SOAP-135'""",
        """DELETE FROM "Customers" WHERE "ExternalRef" = 'c-2'""",
    )
    versions = {name: table(lake, name).version() for name in first}
    second = mirror_reference(lake, sync.read_reference(url))
    assert {t: (c["inserted"], c["updated"]) for t, c in second.items()} == {
        "ref_stores": (0, 1),
        "ref_products": (0, 1),
        "ref_customers": (0, 1),
        "ref_edge_devices": (0, 0),
    }
    assert mirrored(lake, REF_STORES, "store_id")["store-002"]["name"] == "Scout Makati (renamed)"
    soap = mirrored(lake, REF_PRODUCTS, "sku")["SG-SOAP-135"]
    assert (soap["is_active"], soap["deleted_in_source"]) == (False, False)
    customers = mirrored(lake, REF_CUSTOMERS, "external_ref")
    assert (customers["c-2"]["deleted_in_source"], customers["c-1"]["deleted_in_source"]) == (True, False)
    assert customers["c-2"]["synced_at"] > customers["c-1"]["synced_at"]  # when it was seen gone
    assert table(lake, REF_EDGE_DEVICES).version() == versions[REF_EDGE_DEVICES]  # unchanged: no commit

    versions = {name: table(lake, name).version() for name in first}
    third = mirror_reference(lake, sync.read_reference(url))
    assert all(c == {"inserted": 0, "updated": 0} for c in third.values()), third
    assert {name: table(lake, name).version() for name in first} == versions


def test_a_device_deleted_then_registered_again_loses_its_flag(lake, url):
    device = sync.read_reference(url)[REF_EDGE_DEVICES][0]["device_id"]
    mirror_reference(lake, sync.read_reference(url))
    execute(url, f"""DELETE FROM "EdgeDeviceRegistry" WHERE "DeviceID" = '{device}'""")
    assert mirror_reference(lake, sync.read_reference(url))[REF_EDGE_DEVICES] == {"inserted": 0, "updated": 1}
    assert mirrored(lake, REF_EDGE_DEVICES, "device_id")[device]["deleted_in_source"] is True

    execute(
        url,
        f"""INSERT INTO "EdgeDeviceRegistry" ("DeviceID", "StoreID", "Location")
                     SELECT '{device}', "StoreID", 'aisle 3' FROM "Stores" WHERE "StoreCode" = 'store-002'""",
    )
    assert mirror_reference(lake, sync.read_reference(url))[REF_EDGE_DEVICES] == {"inserted": 0, "updated": 1}
    again = mirrored(lake, REF_EDGE_DEVICES, "device_id")[device]
    assert (again["deleted_in_source"], again["location"], again["store_id"]) == (False, "aisle 3", "store-002")


def test_a_table_from_an_earlier_version_gets_the_columns_it_lacks(lake, url):
    """A lake made before ref_edge_devices had audio_url_enabled: the column is added, and filled."""
    rows = sync.read_reference(url)
    old = pa.Table.from_pylist(
        [
            {"device_id": r["device_id"], "store_id": r["store_id"], "deleted_in_source": False}
            for r in rows[REF_EDGE_DEVICES]
        ]
    )
    write_deltalake(str(locate(lake, REF_EDGE_DEVICES).path), old)

    assert mirror_reference(lake, rows)[REF_EDGE_DEVICES] == {"inserted": 0, "updated": len(old)}
    devices = mirrored(lake, REF_EDGE_DEVICES, "device_id")
    assert {d["audio_url_enabled"] for d in devices.values()} == {
        r["audio_url_enabled"] for r in rows[REF_EDGE_DEVICES]
    }
    assert None not in {d["audio_url_enabled"] for d in devices.values()}


def test_a_lake_in_a_catalog_is_refused_naming_the_setting(url):
    with pytest.raises(SettingsError, match="SCOUT_CATALOG=main: the reference data is mirrored"):
        mirror_reference(replace(Settings(), catalog="main"), sync.read_reference(url))
