"""Where the database URL comes from, and the SQLite migration lock."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys

import pytest

from include.errors import SettingsError
from include.retail_db import migrate
from include.retail_db.config import database_url
from include.settings import PROJECT_ROOT, Settings


def test_the_url_comes_from_the_environment_first(monkeypatch):
    monkeypatch.setenv("SCOUT_RETAIL_DB_URL", "postgresql+psycopg2://u@db.example:5432/ra")
    monkeypatch.setenv("AIRFLOW_CONN_RETAIL_ADVISOR_DB", "postgres://other@elsewhere:5432/x")
    assert database_url() == "postgresql+psycopg2://u@db.example:5432/ra"


@pytest.mark.parametrize(
    ("conn_uri", "url"),
    [
        (
            "postgres://scout:s3cret@pg.internal:5432/retail",
            "postgresql+psycopg2://scout:s3cret@pg.internal:5432/retail",
        ),
        ("mssql://scout:s3cret@sql.example:1433/retail", "mssql+pyodbc://scout:s3cret@sql.example:1433/retail"),
    ],
)
def test_then_from_the_airflow_connection(monkeypatch, conn_uri, url):
    monkeypatch.delenv("SCOUT_RETAIL_DB_URL", raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_RETAIL_ADVISOR_DB", conn_uri)
    assert database_url() == url


def test_a_connection_of_the_wrong_type_is_named(monkeypatch):
    monkeypatch.delenv("SCOUT_RETAIL_DB_URL", raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_RETAIL_ADVISOR_DB", "http://example.com")
    with pytest.raises(SettingsError, match="connection 'retail_advisor_db' has type 'http'"):
        database_url()


def test_else_sqlite_under_scout_home(monkeypatch, tmp_path):
    monkeypatch.delenv("SCOUT_RETAIL_DB_URL", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_RETAIL_ADVISOR_DB", raising=False)
    assert database_url(Settings(home=tmp_path)) == f"sqlite:///{tmp_path / 'retail_advisor.db'}"


def upgrade_cli(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "include.retail_db", "upgrade"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_a_second_sqlite_migration_refuses_while_the_first_holds_the_lock(tmp_path):
    db = tmp_path / "ra.db"
    env = {**os.environ, "SCOUT_RETAIL_DB_URL": f"sqlite:///{db}", "SCOUT_MIGRATION_LOCK_TIMEOUT": "2"}
    with open(f"{db}.migration-lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # what a running migration holds
        blocked = upgrade_cli(env)
    assert blocked.returncode == 1
    assert "holds the lock; gave up after 2 s" in blocked.stderr
    assert migrate.current(f"sqlite:///{db}") is None
    freed = upgrade_cli(env)
    assert freed.returncode == 0, freed.stderr
    assert migrate.current(f"sqlite:///{db}") == "0012"
