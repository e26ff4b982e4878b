"""Streaming sources for bronze: landing-zone files (embedded default) or Kafka / Event Hubs.

Both return the bronze shape (schemas.BRONZE_SCHEMA): the raw payload verbatim plus where it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from include.errors import SettingsError
from include.spark_jobs.tables import TableRef


def read_landing_files(spark: SparkSession, landing_dir: Path, hubs: Sequence[str], max_files: int = 100) -> DataFrame:
    """JSON lines written by the edge file transport into ``landing_dir/<hub>/``, one line a row, every
    hub in one stream (the hub is the file's folder). The glob names the hubs, so a stray folder in the
    landing zone is never read as one.

    Read as text, not JSON: a malformed line must reach bronze verbatim so silver can quarantine it.
    """
    for hub in hubs:  # a hub with no files yet is simply empty, not an error
        (landing_dir / hub).mkdir(parents=True, exist_ok=True)
    path = F.col("_metadata.file_path")
    return (
        spark.readStream.format("text")
        .option("maxFilesPerTrigger", max_files)
        .load(f"{landing_dir}/{{{','.join(hubs)}}}/*")
        .select(
            F.col("value").alias("payload"),
            F.regexp_extract(path, r"/([^/]+)/[^/]*$", 1).alias("hub"),
            path.alias("source_file"),
            F.lit(None).cast(T.IntegerType()).alias("kafka_partition"),
            F.lit(None).cast(T.LongType()).alias("kafka_offset"),
            F.current_timestamp().alias("ingest_time"),
        )
    )


def read_table_stream(spark: SparkSession, ref: TableRef) -> DataFrame:
    """A Delta table's new rows as a stream (the layer jobs chain through the tables this way).

    Commits that rewrite rows rather than add them (the AudioURL rollback's UPDATE of silver, the rollback
    repair's DELETEs) are skipped: the reader would otherwise stop at them for good, and the step that
    makes them also updates what is built from the rows."""
    reader = spark.readStream.option("skipChangeCommits", "true")
    if ref.path is None:
        return reader.table(ref.qualified_name)
    return reader.format("delta").load(str(ref.path))


def eventhubs_kafka_options(connection_string: str, *, databricks: bool) -> tuple[str, dict[str, str]]:
    """(bootstrap servers, kafka.* options) for the Kafka endpoint of an Event Hubs namespace.

    The password is the namespace's connection string and the user the literal `$ConnectionString`; on
    Databricks the Kafka client is shaded, so the JAAS login module has a `kafkashaded.` prefix.
    """
    fields = dict(part.split("=", 1) for part in connection_string.strip().rstrip(";").split(";") if "=" in part)
    endpoint = fields.get("Endpoint", "")
    if not endpoint.startswith("sb://"):
        raise SettingsError(
            "SCOUT_EVENTHUBS_CONNECTION_STRING is not an Event Hubs connection string: it starts with"
            " Endpoint=sb://<namespace>.servicebus.windows.net/ (copy it from the namespace's access policy)"
        )
    host = endpoint.removeprefix("sb://").rstrip("/")
    module = "org.apache.kafka.common.security.plain.PlainLoginModule"
    if databricks:
        module = f"kafkashaded.{module}"
    secret = connection_string.replace("\\", "\\\\").replace('"', '\\"')
    return f"{host}:9093", {
        "kafka.security.protocol": "SASL_SSL",
        "kafka.sasl.mechanism": "PLAIN",
        "kafka.sasl.jaas.config": f'{module} required username="$ConnectionString" password="{secret}";',
        "kafka.request.timeout.ms": "60000",
        "kafka.session.timeout.ms": "30000",
    }


def read_kafka(
    spark: SparkSession,
    bootstrap: str,
    hubs: Sequence[str],
    max_offsets: int,
    options: dict[str, str] | None = None,
) -> DataFrame:
    """The hubs as Kafka topics, in one stream, at most ``max_offsets`` records a micro-batch (a backlog
    after an outage is taken in bounded batches, not one). ``options`` carries kafka.* security settings
    (SASL_SSL for Event Hubs)."""
    reader = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap)
        .option("subscribe", ",".join(hubs))
        .option("startingOffsets", "earliest")
        .option("failOnDataLoss", "false")
        .option("maxOffsetsPerTrigger", max_offsets)
    )
    for key, value in (options or {}).items():
        reader = reader.option(key, value)
    return reader.load().select(
        F.col("value").cast("string").alias("payload"),
        F.col("topic").alias("hub"),
        F.lit(None).cast(T.StringType()).alias("source_file"),
        F.col("partition").alias("kafka_partition"),
        F.col("offset").alias("kafka_offset"),
        F.current_timestamp().alias("ingest_time"),
    )
