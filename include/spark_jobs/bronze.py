"""Bronze: every hub's raw events, verbatim, with ingest metadata. Bronze is the replay log.

One stream reads all the hubs (one Kafka subscription, or one file source over the landing zone); each
micro-batch is split by hub and appended to the hub's table with Delta's txnAppId/txnVersion, so a batch
replayed after a crash is skipped by the tables it already reached and nothing is written twice.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from include.settings import Engine, Settings, Source
from include.spark_jobs import concurrently, sinks, sources
from include.spark_jobs.progress import TableBatch
from include.spark_jobs.rules.schemas import BRONZE_SCHEMA
from include.spark_jobs.tables import BRONZE_TABLES, locate
from include.spark_jobs.trigger import Trigger

# Event Hubs in production: the job's environment carries the namespace connection string (on Databricks
# from a secret scope, e.g. spark_env_vars = {"SCOUT_EVENTHUBS_CONNECTION_STRING": "{{secrets/scout/eh}}"}).
EVENTHUBS_SECRET_ENV = "SCOUT_EVENTHUBS_CONNECTION_STRING"


def extract(spark: SparkSession, settings: Settings, trigger: Trigger) -> DataFrame:
    """Every hub in one stream of bronze-shaped rows."""
    hubs = list(BRONZE_TABLES)
    if settings.source == Source.FILES:
        return sources.read_landing_files(spark, settings.landing_dir, hubs, trigger.max_files)
    if connection_string := os.environ.get(EVENTHUBS_SECRET_ENV):
        bootstrap, options = sources.eventhubs_kafka_options(
            connection_string, databricks=settings.engine == Engine.DATABRICKS
        )
        return sources.read_kafka(spark, bootstrap, hubs, trigger.max_offsets, options)
    return sources.read_kafka(spark, settings.kafka_bootstrap, hubs, trigger.max_offsets)


def hub_counts(batch: DataFrame) -> dict[str, int]:
    """Rows per hub of the batch (every hub, 0 for none)."""
    counts = {row["hub"]: row["count"] for row in batch.groupBy("hub").count().collect()}
    return {hub: counts.get(hub, 0) for hub in BRONZE_TABLES}


def write_batch(
    settings: Settings, batch: DataFrame, batch_id: int, app: str, counts: dict[str, int] | None = None
) -> dict[str, TableBatch]:
    """Append each hub's rows of the (cached) batch to its table, once; return the rows each table got.

    A hub with no rows in the batch writes nothing (a replay of the batch counts the same and skips it too).
    """
    counts = hub_counts(batch) if counts is None else counts

    def append(hub: str, table: str) -> Callable[[], None]:
        rows = batch.where(F.col("hub") == hub)
        return lambda: sinks.append_once(rows, locate(settings, table), f"{app}-{table}", batch_id)

    concurrently.run_all([append(hub, table) for hub, table in BRONZE_TABLES.items() if counts.get(hub)])
    return {BRONZE_TABLES[hub]: TableBatch(n) for hub, n in counts.items() if n}


def ensure_tables(spark: SparkSession, settings: Settings) -> None:
    """Every bronze table exists, empty if its hub had nothing yet: downstream streams never meet a missing one."""
    for table in BRONZE_TABLES.values():
        sinks.ensure_table(spark, locate(settings, table), BRONZE_SCHEMA)
