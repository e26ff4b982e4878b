"""Bronze: every hub's raw events, verbatim, with ingest metadata. Bronze is the replay log.

One streaming query per hub, each with its own checkpoint; the Delta sink commits each micro-batch
exactly once, so a restart neither loses nor duplicates rows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.streaming import StreamingQuery

from include.settings import Settings
from include.spark_jobs import sinks, sources
from include.spark_jobs.cli import Trigger, parse_args, session
from include.spark_jobs.schemas import BRONZE_SCHEMA
from include.spark_jobs.tables import BRONZE_TABLES

# Event Hubs in production: the job's environment carries the namespace connection string (on Databricks
# from a secret scope, e.g. spark_env_vars = {"SCOUT_EVENTHUBS_CONNECTION_STRING": "{{secrets/scout/eh}}"}).
EVENTHUBS_SECRET_ENV = "SCOUT_EVENTHUBS_CONNECTION_STRING"


def extract(spark: SparkSession, settings: Settings, hub: str, trigger: Trigger) -> DataFrame:
    if settings.source == "files":
        return sources.read_landing_files(spark, settings.landing_dir, hub, trigger.max_files)
    if connection_string := os.environ.get(EVENTHUBS_SECRET_ENV):
        bootstrap, options = sources.eventhubs_kafka_options(
            connection_string, databricks=settings.engine == "databricks"
        )
        return sources.read_kafka(spark, bootstrap, hub, options)
    return sources.read_kafka(spark, settings.kafka_bootstrap, hub)


def load(stream: DataFrame, settings: Settings, table: str, trigger: Trigger) -> StreamingQuery:
    writer = (
        stream.writeStream.format("delta")
        .queryName(table)
        .outputMode("append")
        .option("checkpointLocation", str(settings.checkpoint_dir / table))
    )
    return trigger.apply(writer).start(str(settings.table_path(table)))


def ensure_tables(spark: SparkSession, settings: Settings) -> None:
    """Every bronze table exists, empty if its hub had nothing yet: downstream streams never meet a missing one."""
    for table in BRONZE_TABLES.values():
        sinks.ensure_table(spark, settings.table_path(table), BRONZE_SCHEMA)


def start(spark: SparkSession, settings: Settings, trigger: Trigger) -> list[StreamingQuery]:
    return [
        load(extract(spark, settings, hub, trigger), settings, table, trigger) for hub, table in BRONZE_TABLES.items()
    ]


def run(spark: SparkSession, settings: Settings, trigger: Trigger) -> None:
    ensure_tables(spark, settings)
    for query in start(spark, settings, trigger):
        query.awaitTermination()


def main(argv: Sequence[str] | None = None) -> None:
    settings, trigger = parse_args("bronze", argv)
    run(session(settings, "scout-bronze"), settings, trigger)


if __name__ == "__main__":
    main()
