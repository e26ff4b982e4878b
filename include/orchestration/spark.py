"""Spark inside an Airflow task, for the steps that run there on the embedded default (the slice's
medallion, the AudioURL rollback; the RetailAdvisorDB sync and the exports use delta-rs). On
Databricks those steps are Databricks jobs or SQL warehouse queries, so asking for local Spark there is
refused with what to do instead."""

from __future__ import annotations

from typing import TYPE_CHECKING

from include.errors import SettingsError
from include.settings import Engine, Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def local_spark(settings: Settings, what: str) -> SparkSession:
    """The task process's local SparkSession; SettingsError naming ``what`` unless SCOUT_ENGINE=local."""
    if settings.engine != Engine.LOCAL:
        raise SettingsError(
            f"SCOUT_ENGINE={settings.engine}: {what} runs on the embedded default only (local Spark in the"
            " task); on Databricks it is not built yet, run it with SCOUT_ENGINE=local"
        )
    from include.spark_jobs.session import get_spark

    return get_spark(settings, f"scout-{what}")
