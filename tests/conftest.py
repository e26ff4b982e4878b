"""Test session setup: one throwaway SCOUT_HOME and Airflow home, one shared SparkSession.

The Airflow environment must be in place before anything imports Airflow, so it is set at import time
of this conftest (pytest loads it before collecting the test modules).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from include.local.airflow import airflow_local_env
from include.settings import PROJECT_ROOT, Settings, load_settings

pytest_plugins = ["tests.kafka", "tests.databricks_workspace", "tests.postgres", "tests.azurite"]

_HOME = Path(tempfile.mkdtemp(prefix="scout-test-"))
# Jars come from `make install` (Spark's and the Kafka broker's); tests use them in place.
for _jars in ("jars", "kafka/libs"):
    if (PROJECT_ROOT / ".scout" / _jars).exists():
        (_HOME / _jars).parent.mkdir(parents=True, exist_ok=True)
        (_HOME / _jars).symlink_to(PROJECT_ROOT / ".scout" / _jars, target_is_directory=True)
os.environ["SCOUT_HOME"] = str(_HOME)
os.environ.update(airflow_local_env(load_settings()))


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def spark(settings):
    """The one SparkSession of the test session (JVM starts are slow on 2 cores)."""
    from include.spark_jobs import session as spark_session

    # One JVM runs a few hundred medallion runs over as many lakes: a job's 4 GiB filled up with what Delta
    # and Spark keep per table and query (a full run was seen spending minutes in full GCs).
    spark_session.LOCAL_CONF["spark.driver.memory"] = "8g"
    session = spark_session.get_spark(settings, "scout-tests")
    yield session
    session.stop()


@pytest.fixture(autouse=True)
def _release_spark_caches(request):
    """After each test that used the shared SparkSession: drop what Spark caches (persisted frames) and
    Delta's cached table logs and snapshots, which a later test's lakes never read again."""
    yield
    if "spark" in request.fixturenames:
        spark = request.getfixturevalue("spark")
        spark.catalog.clearCache()
        spark._jvm.org.apache.spark.sql.delta.DeltaLog.clearCache()


@pytest.fixture
def lake(tmp_path, settings) -> Settings:
    """Settings whose lake, checkpoints and landing zone live in a fresh folder (the jars stay shared)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "jars").symlink_to(settings.jars_dir.resolve(), target_is_directory=True)
    return Settings(home=home)
