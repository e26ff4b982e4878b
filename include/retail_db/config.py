"""Where RetailAdvisorDB is, and the Alembic configuration pointing at include/migrations."""

from __future__ import annotations

import os
from pathlib import Path

from alembic.config import Config

from include.errors import SettingsError
from include.settings import PROJECT_ROOT, Settings, load_settings

MIGRATIONS_DIR = PROJECT_ROOT / "include" / "migrations"
CONN_ID = "retail_advisor_db"
URL_ENV = "SCOUT_RETAIL_DB_URL"

# Airflow connection types -> SQLAlchemy drivers.
_DRIVERS = {
    "postgres": "postgresql+psycopg2",
    "postgresql": "postgresql+psycopg2",
    "mssql": "mssql+pyodbc",
    "sqlite": "sqlite",
}


def default_url(settings: Settings) -> str:
    return f"sqlite:///{settings.home / 'retail_advisor.db'}"


def url_from_connection(conn_id: str = CONN_ID) -> str | None:
    """The SQLAlchemy URL of an Airflow connection, or None when Airflow has no such connection."""
    try:
        from airflow.exceptions import AirflowNotFoundException
        from airflow.sdk import BaseHook
    except ImportError:  # running outside an Airflow environment
        return None
    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return None
    driver = _DRIVERS.get(conn.conn_type)
    if driver is None:
        raise SettingsError(
            f"connection {conn_id!r} has type {conn.conn_type!r}; expected one of: {', '.join(sorted(_DRIVERS))}"
        )
    if driver == "sqlite":
        return f"sqlite:///{conn.host}"
    uri = conn.get_uri()
    return driver + uri[uri.index("://") :]


def database_url(settings: Settings | None = None, *, use_airflow: bool = True) -> str:
    """SCOUT_RETAIL_DB_URL, else the Airflow connection, else SQLite under SCOUT_HOME."""
    if os.environ.get(URL_ENV):
        return os.environ[URL_ENV]
    if use_airflow and (url := url_from_connection()):
        return url
    return default_url(settings or load_settings())


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("version_path_separator", "os")
    return config


def sqlite_path(url: str) -> Path | None:
    prefix = "sqlite:///"
    return Path(url[len(prefix) :]) if url.startswith(prefix) and url != prefix + ":memory:" else None
