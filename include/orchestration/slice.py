"""The scout_slice DAG's task bodies. Each reads the settings, does one step and returns something small
(XCom-sized) that says what it did.

The slice is the embedded default's demo: it generates the synthetic day (include.local, the one place
the orchestration layer reaches into local extras) and runs Spark in the task, so it refuses to run
with SCOUT_ENGINE=databricks, where the jobs run as Databricks jobs instead.

Heavy imports (pyspark) happen inside the functions, never at DAG parse time.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from include.errors import SettingsError
from include.settings import Engine, Settings, load_settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)


def _local_spark(settings: Settings, what: str) -> SparkSession:
    if settings.engine != Engine.LOCAL:
        raise SettingsError(
            f"SCOUT_ENGINE={settings.engine}: {what} runs as a Databricks job there, not inside Airflow;"
            " this DAG drives the embedded default (SCOUT_ENGINE=local)"
        )
    from include.spark_jobs.session import get_spark

    return get_spark(settings, f"scout-{what}")


def generate_events() -> dict[str, int]:
    """Write the deterministic synthetic day into the landing zone (files that exist are kept)."""
    from include.local import synthetic

    settings = load_settings()
    written = synthetic.write_landing(synthetic.generate(), settings.landing_dir)
    log.info("landing zone %s: new files per hub %s", settings.landing_dir, written or "none (already there)")
    return written


def run_medallion() -> dict[str, int]:
    """Run the medallion (bronze -> silver -> gold, one query) available-now; return every table's rows."""
    from include.spark_jobs import jobs, sinks
    from include.spark_jobs.trigger import Trigger

    settings = load_settings()
    spark = _local_spark(settings, "medallion")
    jobs.run(jobs.MEDALLION.name, spark, settings, Trigger())
    counts = sinks.table_counts(spark, settings)
    log.info("lakehouse tables: %s", counts)
    return counts
