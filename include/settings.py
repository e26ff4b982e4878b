"""Typed settings, read once from the environment. Defaults give the embedded mode (one machine, no cloud).

| variable                 | default                    | allowed / meaning                                   |
|--------------------------|----------------------------|-----------------------------------------------------|
| SCOUT_ENGINE             | local                      | local (PySpark + Delta here) or databricks          |
| SCOUT_SOURCE             | files                      | files (landing zone) or kafka                       |
| SCOUT_HOME               | <project>/.scout           | the local state folder: lake, checkpoints, exports  |
| SCOUT_DBT_EXECUTABLE     | <project>/.venv-dbt/bin/dbt| dbt of the separate dbt environment                 |
| SCOUT_KAFKA_BOOTSTRAP    | 127.0.0.1:9092             | Kafka bootstrap servers (local broker)              |
| SCOUT_DATABRICKS_CONN_ID | databricks_default         | Airflow connection to the Databricks workspace      |
| SCOUT_SMTP_CONN_ID       | smtp_default               | Airflow connection used for alert e-mails           |
| SCOUT_ALERT_EMAIL        | data-team@scout.local      | where SLA and failure alerts go                     |
| SCOUT_COUNTER_ZONE       | counter                    | the camera zone where customers are greeted         |
| SCOUT_ALIGN_WINDOW_S     | 60                         | speech x vision alignment: +- seconds, same device  |
| SCOUT_WATERMARK          | 1 hour                     | event-time lateness: dedupe/fusion look-back, late |

Credentials never live here: only ids of Airflow connections (AIRFLOW_CONN_* locally, a secrets backend
in production).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from include.errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "include" / "dbt_project"
DAGS_DIR = PROJECT_ROOT / "dags"

# dbt writes the marts here (profiles.yml and the Databricks profile mapping use the same name).
MARTS_SCHEMA = "scout_marts"

ENGINES = ("local", "databricks")
SOURCES = ("files", "kafka")


@dataclass(frozen=True)
class Settings:
    engine: str = "local"
    source: str = "files"
    home: Path = PROJECT_ROOT / ".scout"
    dbt_executable: Path = PROJECT_ROOT / ".venv-dbt" / "bin" / "dbt"
    kafka_bootstrap: str = "127.0.0.1:9092"
    databricks_conn_id: str = "databricks_default"
    smtp_conn_id: str = "smtp_default"
    alert_email: str = "data-team@scout.local"
    counter_zone: str = "counter"
    align_window_s: int = 60
    watermark: str = "1 hour"

    # Everything below lives under the one local state folder.
    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def lake_dir(self) -> Path:
        return self.home / "lake"

    @property
    def checkpoint_dir(self) -> Path:
        return self.home / "checkpoints"

    @property
    def warehouse_dir(self) -> Path:
        return self.home / "warehouse"

    @property
    def marts_dir(self) -> Path:
        return self.home / "marts"

    @property
    def export_dir(self) -> Path:
        return self.home / "exports"

    @property
    def jars_dir(self) -> Path:
        return self.home / "jars"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def watermark_s(self) -> int:
        number, unit = self.watermark.split(" ", 1)
        return int(number) * {"second": 1, "minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s")]

    def table_path(self, table: str) -> Path:
        return self.lake_dir / table


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = env.get(name, default).strip().lower()
    if value not in allowed:
        raise SettingsError(f"{name}={env.get(name)!r} is not allowed; expected one of: {', '.join(allowed)}")
    return value


def _path(env: Mapping[str, str], name: str, default: Path) -> Path:
    raw = env.get(name)
    if raw is None:
        return default
    if not raw.strip():
        raise SettingsError(f"{name} is set but empty; unset it to use {default} or give a path")
    return Path(raw).expanduser().resolve()


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the SCOUT_* settings. Raises SettingsError naming the bad setting."""
    env = os.environ if env is None else env
    defaults = Settings()
    return Settings(
        engine=_choice(env, "SCOUT_ENGINE", ENGINES, defaults.engine),
        source=_choice(env, "SCOUT_SOURCE", SOURCES, defaults.source),
        home=_path(env, "SCOUT_HOME", defaults.home),
        dbt_executable=_path(env, "SCOUT_DBT_EXECUTABLE", defaults.dbt_executable),
        kafka_bootstrap=env.get("SCOUT_KAFKA_BOOTSTRAP", defaults.kafka_bootstrap),
        databricks_conn_id=env.get("SCOUT_DATABRICKS_CONN_ID", defaults.databricks_conn_id),
        smtp_conn_id=env.get("SCOUT_SMTP_CONN_ID", defaults.smtp_conn_id),
        alert_email=env.get("SCOUT_ALERT_EMAIL", defaults.alert_email),
        counter_zone=env.get("SCOUT_COUNTER_ZONE", defaults.counter_zone),
        align_window_s=_positive_int(env, "SCOUT_ALIGN_WINDOW_S", defaults.align_window_s),
        watermark=_interval(env, "SCOUT_WATERMARK", defaults.watermark),
    )


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    if not raw.strip().isdigit() or int(raw) <= 0:
        raise SettingsError(f"{name}={raw!r} is not allowed; expected a whole number of seconds above 0")
    return int(raw)


def _interval(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, default).strip()
    number, _, unit = raw.partition(" ")
    if not number.isdigit() or unit.rstrip("s") not in ("second", "minute", "hour", "day"):
        raise SettingsError(f"{name}={raw!r} is not allowed; expected e.g. '90 seconds', '10 minutes', '1 hour'")
    return raw


def airflow_local_env(settings: Settings) -> dict[str, str]:
    """Environment for Airflow on the embedded default: SQLite under SCOUT_HOME, this project's DAGs."""
    return {
        "AIRFLOW_HOME": str(settings.airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": os.environ.get("AIRFLOW__API__PORT", "8080"),
        # Cosmos reports usage over the network by default; nothing here may phone out.
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__COSMOS__CACHE_DIR": str(settings.home / "cosmos-cache"),
        "SCOUT_HOME": str(settings.home),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
