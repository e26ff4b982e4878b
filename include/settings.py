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
| SCOUT_SPARK_MASTER       | (empty: in-process local)  | a Spark master URL: the stream runs by spark-submit |
| SCOUT_STREAM_INTERVAL    | 10 seconds                 | the continuous job's processing-time trigger       |
| SCOUT_FRESHNESS_SLA      | 15 minutes                 | gold without new rows this long: alert e-mail      |
| SCOUT_MAX_RESTARTS_PER_HOUR | 3                       | the health check's restarts of a dead job, per hour |
| SCOUT_ALERT_FROM         | scout-alerts@scout.local   | sender of the alert e-mails                         |
| SCOUT_BATCH_DEADLINE     | 30 minutes                 | time budget of a batch DAG run: a Deadline Alert    |
| SCOUT_CATALOG            | (empty; `main` on databricks) | tables in this catalog, not folders under the lake |
| SCOUT_LAKEHOUSE_SCHEMA   | scout_lakehouse            | the schema of the lakehouse's catalog tables        |
| SCOUT_DATABRICKS_CODE_DIR | /Workspace/Shared/scout   | where the deploy puts the wheels and the dbt project |
| SCOUT_DATABRICKS_WAREHOUSE_ID | (empty)                | the SQL warehouse the dbt marts job runs on         |
| SCOUT_DEVICE_CONFIG_CONN_ID | (empty: a folder)          | Airflow connection (wasb) of the devices' config blobs |
| SCOUT_DEVICE_CONFIG_CONTAINER | device-config            | the blob container of the devices' config documents |
| SCOUT_ROLLBACK_WAIT      | 5 minutes                  | how long the rollback waits for a running stream   |

Credentials never live here: only ids of Airflow connections (AIRFLOW_CONN_* locally, a secrets backend
in production).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from include.errors import SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "include" / "dbt_project"
DAGS_DIR = PROJECT_ROOT / "dags"

# dbt writes the marts here (profiles.yml and the Databricks profile mapping use the same name).
MARTS_SCHEMA = "scout_marts"
# What the scheduled builds (the marts DAG, the slice, the rollback, the Databricks marts job) leave out:
# the dbt unit tests check the models' SQL against fixed inputs, so they run in `make test`
# (tests/e2e/test_slice.py), not on every build, as dbt recommends for production
# (https://docs.getdbt.com/docs/build/unit-tests). On local Spark they were a fifth of a build's time.
DBT_SCHEDULED_EXCLUDE = "resource_type:unit_test"

E = TypeVar("E", bound=StrEnum)


class Engine(StrEnum):
    """Where Spark and dbt run: here (local PySpark + Delta, dbt-spark session) or on Databricks."""

    LOCAL = "local"
    DATABRICKS = "databricks"


class Source(StrEnum):
    """What bronze reads: the landing zone's files, or the hubs as Kafka topics (Event Hubs in production)."""

    FILES = "files"
    KAFKA = "kafka"


@dataclass(frozen=True)
class Settings:
    engine: Engine = Engine.LOCAL
    source: Source = Source.FILES
    home: Path = PROJECT_ROOT / ".scout"
    dbt_executable: Path = PROJECT_ROOT / ".venv-dbt" / "bin" / "dbt"
    kafka_bootstrap: str = "127.0.0.1:9092"
    databricks_conn_id: str = "databricks_default"
    smtp_conn_id: str = "smtp_default"
    alert_email: str = "data-team@scout.local"
    counter_zone: str = "counter"
    align_window_s: int = 60
    watermark: str = "1 hour"
    spark_master: str = ""  # empty: Spark runs inside the process (local[2])
    stream_interval: str = "10 seconds"
    freshness_sla: str = "15 minutes"
    max_restarts_per_hour: int = 3
    alert_from: str = "scout-alerts@scout.local"
    batch_deadline: str = "30 minutes"
    # Empty: each table is a Delta folder under lake_dir (the embedded default). Set (always on Databricks):
    # each table is the catalog table <catalog>.<lakehouse_schema>.<table>. See spark_jobs/tables.py.
    catalog: str = ""
    lakehouse_schema: str = "scout_lakehouse"
    databricks_code_dir: str = "/Workspace/Shared/scout"  # a workspace path, not a local one
    databricks_warehouse_id: str = ""
    # Where the fleet's device configuration documents go (include/fleet/channels.py): empty, a folder
    # under SCOUT_HOME (devices on this machine); else the Azure Blob account of this Airflow connection.
    device_config_conn_id: str = ""
    device_config_container: str = "device-config"
    rollback_wait: str = "5 minutes"

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
    def ops_dir(self) -> Path:
        """Where the streaming jobs record their progress and the runners their processes."""
        return self.home / "ops"

    @property
    def gold_flags_dir(self) -> Path:
        """Where the streaming job drops a flag file per gold table a batch gave rows (progress.py), for the
        Asset watchers (include/orchestration/assets.py)."""
        return self.ops_dir / "gold_advanced"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def device_config_dir(self) -> Path:
        """The devices' configuration documents when no blob connection is set (the embedded default)."""
        return self.home / "device-config"

    @property
    def rollback_wait_s(self) -> int:
        return _seconds(self.rollback_wait)

    @property
    def watermark_s(self) -> int:
        return _seconds(self.watermark)

    @property
    def freshness_sla_s(self) -> int:
        return _seconds(self.freshness_sla)

    @property
    def batch_deadline_s(self) -> int:
        return _seconds(self.batch_deadline)


def _choice(env: Mapping[str, str], name: str, allowed: type[E], default: E) -> E:
    value = env.get(name, default).strip().lower()
    if value not in {*allowed}:
        raise SettingsError(f"{name}={env.get(name)!r} is not allowed; expected one of: {', '.join(allowed)}")
    return allowed(value)


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
    engine = _choice(env, "SCOUT_ENGINE", Engine, defaults.engine)
    return Settings(
        engine=engine,
        source=_choice(env, "SCOUT_SOURCE", Source, defaults.source),
        home=_path(env, "SCOUT_HOME", defaults.home),
        dbt_executable=_path(env, "SCOUT_DBT_EXECUTABLE", defaults.dbt_executable),
        kafka_bootstrap=env.get("SCOUT_KAFKA_BOOTSTRAP", defaults.kafka_bootstrap),
        databricks_conn_id=env.get("SCOUT_DATABRICKS_CONN_ID", defaults.databricks_conn_id),
        smtp_conn_id=env.get("SCOUT_SMTP_CONN_ID", defaults.smtp_conn_id),
        alert_email=env.get("SCOUT_ALERT_EMAIL", defaults.alert_email),
        counter_zone=env.get("SCOUT_COUNTER_ZONE", defaults.counter_zone),
        align_window_s=_positive_int(env, "SCOUT_ALIGN_WINDOW_S", defaults.align_window_s),
        watermark=_interval(env, "SCOUT_WATERMARK", defaults.watermark),
        spark_master=_master(env, "SCOUT_SPARK_MASTER", defaults.spark_master),
        stream_interval=_interval(env, "SCOUT_STREAM_INTERVAL", defaults.stream_interval),
        freshness_sla=_interval(env, "SCOUT_FRESHNESS_SLA", defaults.freshness_sla),
        max_restarts_per_hour=_positive_int(
            env, "SCOUT_MAX_RESTARTS_PER_HOUR", defaults.max_restarts_per_hour, "restarts"
        ),
        alert_from=env.get("SCOUT_ALERT_FROM", defaults.alert_from),
        batch_deadline=_interval(env, "SCOUT_BATCH_DEADLINE", defaults.batch_deadline),
        catalog=_identifier(env, "SCOUT_CATALOG", DATABRICKS_CATALOG if engine is Engine.DATABRICKS else ""),
        lakehouse_schema=_identifier(env, "SCOUT_LAKEHOUSE_SCHEMA", defaults.lakehouse_schema, required=True),
        databricks_code_dir=_workspace_path(env, "SCOUT_DATABRICKS_CODE_DIR", defaults.databricks_code_dir),
        databricks_warehouse_id=env.get("SCOUT_DATABRICKS_WAREHOUSE_ID", defaults.databricks_warehouse_id).strip(),
        device_config_conn_id=env.get("SCOUT_DEVICE_CONFIG_CONN_ID", defaults.device_config_conn_id).strip(),
        device_config_container=_container(env, "SCOUT_DEVICE_CONFIG_CONTAINER", defaults.device_config_container),
        rollback_wait=_interval(env, "SCOUT_ROLLBACK_WAIT", defaults.rollback_wait),
    )


DATABRICKS_CATALOG = "main"  # Unity Catalog's default catalog, where SCOUT_CATALOG is not set on Databricks
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _workspace_path(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, default).strip().rstrip("/")
    if not raw.startswith(("/Workspace/", "/Volumes/")):
        raise SettingsError(f"{name}={raw!r} is not allowed; expected a /Workspace/... or /Volumes/... path")
    return raw


def _identifier(env: Mapping[str, str], name: str, default: str, *, required: bool = False) -> str:
    """A catalog or schema name: letters, digits and _ (it goes into SQL unquoted)."""
    raw = env.get(name, default).strip()
    if not raw and required:
        raise SettingsError(f"{name} is set but empty; unset it to use {default} or give a name")
    if raw and not _IDENTIFIER.match(raw):
        raise SettingsError(f"{name}={raw!r} is not allowed; expected a name of letters, digits and _ (e.g. main)")
    return raw


_CONTAINER = re.compile(r"^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")


def _container(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, default).strip()
    if not _CONTAINER.match(raw):
        raise SettingsError(
            f"{name}={raw!r} is not allowed; expected an Azure Blob container name: 3-63 lowercase letters,"
            " digits and single hyphens"
        )
    return raw


_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def _seconds(interval: str) -> int:
    number, unit = interval.split(" ", 1)
    return int(number) * _UNITS[unit.rstrip("s")]


def _master(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, default).strip()
    if raw and not (raw.startswith(("spark://", "k8s://")) or raw == "yarn" or raw.startswith("local")):
        raise SettingsError(f"{name}={raw!r} is not allowed; expected a Spark master URL, e.g. spark://127.0.0.1:7077")
    return raw


def _positive_int(env: Mapping[str, str], name: str, default: int, unit: str = "seconds") -> int:
    raw = env.get(name)
    if raw is None:
        return default
    if not raw.strip().isdigit() or int(raw) <= 0:
        raise SettingsError(f"{name}={raw!r} is not allowed; expected a whole number of {unit} above 0")
    return int(raw)


def _interval(env: Mapping[str, str], name: str, default: str) -> str:
    return check_interval(name, env.get(name, default))


def check_interval(name: str, raw: str) -> str:
    """``raw`` if it is an interval Spark and these settings understand ('90 seconds', '1 hour')."""
    raw = raw.strip()
    number, _, unit = raw.partition(" ")
    if not number.isdigit() or int(number) == 0 or unit.rstrip("s") not in _UNITS:
        raise SettingsError(f"{name}={raw!r} is not allowed; expected e.g. '90 seconds', '10 minutes', '1 hour'")
    return raw
