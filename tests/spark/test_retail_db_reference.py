"""Reference data in: RetailAdvisorDB's Stores, Products, Customers and devices mirrored into the lakehouse.
A changed row is updated, a soft-deleted one keeps is_active = false, a deleted one stays flagged
deleted_in_source, and mirroring an unchanged database writes nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from include.retail_db import migrate, sync
from include.retail_db.lake import mirror_reference
from include.retail_db.seed import seed
from include.spark_jobs import sinks
from include.spark_jobs.tables import REF_CUSTOMERS, REF_PRODUCTS, REF_STORES, locate

pytestmark = pytest.mark.spark


def execute(url: str, *statements: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def mirrored(spark, settings, table: str, key: str) -> dict:
    return {r[key]: r for r in sinks.read_table(spark, locate(settings, table)).collect()}


def test_changes_soft_and_hard_deletes_reach_the_lakehouse_and_nothing_else(spark, lake, tmp_path):
    url = f"sqlite:///{tmp_path / 'retail_advisor.db'}"
    migrate.upgrade(url)
    seed(url)
    execute(url, """INSERT INTO "Customers" ("ExternalRef", "DisplayName") VALUES ('c-1', 'Ana'), ('c-2', 'Ben')""")
    first = mirror_reference(spark, lake, sync.read_reference(url))
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
    second = mirror_reference(spark, lake, sync.read_reference(url))
    assert {t: (c["inserted"], c["updated"]) for t, c in second.items()} == {
        "ref_stores": (0, 1),
        "ref_products": (0, 1),
        "ref_customers": (0, 1),
        "ref_edge_devices": (0, 0),
    }
    assert mirrored(spark, lake, REF_STORES, "store_id")["store-002"].name == "Scout Makati (renamed)"
    soap = mirrored(spark, lake, REF_PRODUCTS, "sku")["SG-SOAP-135"]
    assert (soap.is_active, soap.deleted_in_source) == (False, False)
    customers = mirrored(spark, lake, REF_CUSTOMERS, "external_ref")
    assert (customers["c-2"].deleted_in_source, customers["c-1"].deleted_in_source) == (True, False)

    third = mirror_reference(spark, lake, sync.read_reference(url))
    assert all(c == {"inserted": 0, "updated": 0} for c in third.values()), third
