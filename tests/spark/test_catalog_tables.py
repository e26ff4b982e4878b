"""The medallion on catalog tables (as on Databricks, where the lake is `<catalog>.scout_lakehouse.<table>`),
run here against Spark's own session catalog with Delta: every table is created in the schema, none as a
folder, and holds what the synthetic day says."""

from __future__ import annotations

from dataclasses import replace

import pytest

from include.local import synthetic
from include.spark_jobs import jobs, sinks
from include.spark_jobs.tables import ALL_TABLES
from include.spark_jobs.trigger import Trigger
from tests.expected import table_counts

pytestmark = pytest.mark.spark


def test_the_medallion_writes_catalog_tables_when_a_catalog_is_set(spark, lake):
    in_catalog = replace(lake, catalog="spark_catalog", lakehouse_schema="scout_lakehouse_catalog_test")
    day = synthetic.generate(sessions_per_device=2)
    synthetic.write_landing(day, in_catalog.landing_dir)

    jobs.run("medallion", spark, in_catalog, Trigger())

    listed = {t.name for t in spark.catalog.listTables("spark_catalog.scout_lakehouse_catalog_test")}
    assert listed == set(ALL_TABLES)
    assert not in_catalog.lake_dir.exists()  # nothing written as a folder of its own
    assert sinks.table_counts(spark, in_catalog) == table_counts(synthetic.expected_summary(day))
    spark.sql("DROP SCHEMA spark_catalog.scout_lakehouse_catalog_test CASCADE")
