"""What the slice DAG's tasks do. Each function is a task body: it reads the settings, does one step and
returns something small (XCom-sized) that says what it did.

Heavy imports (pyspark) happen inside the functions, never at DAG parse time.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from include.errors import SettingsError
from include.settings import Settings, load_settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)


def _local_spark(settings: Settings, what: str) -> SparkSession:
    if settings.engine != "local":
        raise SettingsError(
            f"SCOUT_ENGINE={settings.engine}: {what} runs as a Databricks job there, not inside Airflow;"
            " this DAG drives the embedded default (SCOUT_ENGINE=local)"
        )
    from include.spark_session import get_spark

    return get_spark(settings, f"scout-{what}")


def generate_events() -> dict[str, int]:
    """Write the deterministic synthetic day into the landing zone (files that exist are kept)."""
    from include import synthetic

    settings = load_settings()
    written = synthetic.write_landing(synthetic.generate(), settings.landing_dir)
    log.info("landing zone %s: new files per hub %s", settings.landing_dir, written or "none (already there)")
    return written


def run_medallion() -> dict[str, int]:
    """Run the medallion (bronze -> silver -> gold, one query) available-now; return every table's rows."""
    from include.spark_jobs import medallion
    from include.spark_jobs.cli import Trigger

    settings = load_settings()
    spark = _local_spark(settings, "medallion")
    medallion.start(spark, settings, Trigger("available-now")).awaitTermination()
    counts = lakehouse_counts(settings, spark)
    log.info("lakehouse tables: %s", counts)
    return counts


def lakehouse_counts(settings: Settings, spark: SparkSession, prefix: str = "") -> dict[str, int]:
    from include.spark_jobs.tables import ALL_TABLES

    return {
        table: spark.read.format("delta").load(str(settings.table_path(table))).count()
        for table in ALL_TABLES
        if table.startswith(prefix) and (settings.table_path(table) / "_delta_log").exists()
    }


def export_dashboard() -> str:
    from include import export

    settings = load_settings()
    rows = export.read_mart(settings, _local_spark(settings, "export"))
    path = export.export_dashboard(settings, rows)
    log.info("dashboard export: %s (%d store-days)", path, len(rows))
    return str(path)
