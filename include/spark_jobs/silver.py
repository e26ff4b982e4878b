"""Silver: bronze transcripts parsed against the contract, checked, deduplicated on event_id.

Rows that fail a `drop` expectation go to silver_quarantine with their raw payload and the reasons; the
pass/fail counts of every expectation go to gold_dq_metrics, per micro-batch (like the DLT event log).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from include.settings import Settings
from include.spark_jobs import sinks
from include.spark_jobs.cli import Trigger, parse_args, session
from include.spark_jobs.expectations import Expectation, apply_expectations
from include.spark_jobs.schemas import hub_schema
from include.spark_jobs.tables import BRONZE_TABLES, GOLD_DQ_METRICS, SILVER_QUARANTINE, SILVER_TRANSCRIPTS
from scout_edge.contract import SCHEMA_VERSION, Transcript

CORRUPT = "_corrupt_record"

TRANSCRIPT_EXPECTATIONS = [
    Expectation("valid_json", f"{CORRUPT} is null"),
    Expectation("is_transcript", f"event_type = '{Transcript.event_type}'"),
    Expectation("known_schema_version", f"schema_version = {SCHEMA_VERSION}"),
    Expectation("has_event_id", "event_id is not null and event_id != ''"),
    Expectation("has_device_and_store", "device_id is not null and store_id is not null"),
    Expectation("has_timestamp", "ts is not null"),
    Expectation("non_negative_word_count", "word_count >= 0"),
    Expectation("confidence_in_range", "confidence between 0 and 1", "warn"),
]

DQ_METRICS_SCHEMA = (
    "table string, batch_id long, expectation string, action string,"
    " passed long, failed long, dropped long, recorded_at timestamp"
)

SILVER_COLUMNS = [
    "event_id",
    "device_id",
    "store_id",
    "session_id",
    "ts",
    "text",
    "word_count",
    "language",
    "confidence",
    "audio_url",
    "source_file",
    "redacted",
    "schema_version",
    "ingest_time",
]


def parse(bronze: DataFrame) -> DataFrame:
    """Bronze rows -> contract fields (+ ingest_time, raw payload, and the corrupt-record marker)."""
    schema = hub_schema(Transcript.hub).add(T.StructField(CORRUPT, T.StringType(), True))
    event = F.from_json("payload", schema, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT})
    return bronze.select(
        event.alias("e"), "payload", "ingest_time", F.col("source_file").alias("bronze_source_file")
    ).select("e.*", "payload", "ingest_time", "bronze_source_file")


def dedupe(valid: DataFrame) -> DataFrame:
    return valid.dropDuplicates(["event_id"]).select(*SILVER_COLUMNS)


def quarantine_rows(rejected: DataFrame, table: str, batch_id: int) -> DataFrame:
    return rejected.select(
        F.lit(table).alias("target_table"),
        F.lit(batch_id).cast("long").alias("batch_id"),
        "payload",
        "reasons",
        F.col("bronze_source_file").alias("source_file"),
        "ingest_time",
    )


def metrics_rows(spark: SparkSession, metrics: list[dict], table: str, batch_id: int, duplicates: int) -> DataFrame:
    now = datetime.now(UTC)
    rows = [{**m, "table": table, "batch_id": batch_id, "recorded_at": now} for m in metrics]
    rows.append(
        {
            "expectation": "unique_event_id",
            "action": "dedupe",
            "passed": None,
            "failed": duplicates,
            "dropped": duplicates,
            "table": table,
            "batch_id": batch_id,
            "recorded_at": now,
        }
    )
    return spark.createDataFrame(rows, schema=DQ_METRICS_SCHEMA)


def write_batch(settings: Settings, batch: DataFrame, batch_id: int) -> None:
    parsed = parse(batch).cache()
    try:
        outcome = apply_expectations(parsed, TRANSCRIPT_EXPECTATIONS)
        rows = dedupe(outcome.valid).cache()
        duplicates = outcome.valid.count() - rows.count()
        app_id = f"scout-silver-{SILVER_TRANSCRIPTS}"
        sinks.append_once(
            quarantine_rows(outcome.quarantine, SILVER_TRANSCRIPTS, batch_id),
            settings.table_path(SILVER_QUARANTINE),
            app_id,
            batch_id,
        )
        sinks.append_once(
            metrics_rows(batch.sparkSession, outcome.metrics, SILVER_TRANSCRIPTS, batch_id, duplicates),
            settings.table_path(GOLD_DQ_METRICS),
            app_id,
            batch_id,
        )
        sinks.merge_rows(rows, settings.table_path(SILVER_TRANSCRIPTS), ["event_id"], update=False)
        rows.unpersist()
    finally:
        parsed.unpersist()


def run(spark: SparkSession, settings: Settings, trigger: Trigger) -> None:
    bronze_table = BRONZE_TABLES[Transcript.hub]
    stream = spark.readStream.format("delta").load(str(settings.table_path(bronze_table)))
    writer = (
        stream.writeStream.queryName(SILVER_TRANSCRIPTS)
        .option("checkpointLocation", str(settings.checkpoint_dir / SILVER_TRANSCRIPTS))
        .foreachBatch(lambda batch, batch_id: write_batch(settings, batch, batch_id))
    )
    trigger.apply(writer).start().awaitTermination()


def main(argv: Sequence[str] | None = None) -> None:
    settings, trigger = parse_args("silver", argv)
    run(session(settings, "scout-silver"), settings, trigger)


if __name__ == "__main__":
    main()
