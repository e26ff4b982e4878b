"""dbt's local profile configures its own SparkSession; it must match the jobs' Delta and loopback setup."""

from __future__ import annotations

import yaml

from include.settings import DBT_PROJECT_DIR
from include.spark_jobs.session import DELTA_CONF, LOCAL_CONF


def local_params():
    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    return profile["scout"]["outputs"]["local"]["server_side_parameters"]


def test_profile_enables_delta_like_the_jobs():
    params = local_params()
    assert {k: params.get(k) for k in DELTA_CONF} == DELTA_CONF


def test_profile_binds_to_loopback_only():
    params = local_params()
    for key in ("spark.driver.host", "spark.driver.bindAddress", "spark.ui.enabled", "spark.sql.session.timeZone"):
        assert params[key] == LOCAL_CONF[key], key


def test_profile_sizes_spark_like_the_jobs():
    """A dbt run is a cold JVM on 2 cores: the jobs' small-data settings matter most there."""
    params = local_params()
    for key in (
        "spark.sql.shuffle.partitions",
        "spark.default.parallelism",
        "spark.databricks.delta.snapshotPartitions",
        "spark.sql.codegen.cache.maxEntries",
    ):
        assert params[key] == LOCAL_CONF[key], key


def test_profile_holds_no_secret():
    text = (DBT_PROJECT_DIR / "profiles.yml").read_text().lower()
    assert "token" not in text
    assert "password" not in text
