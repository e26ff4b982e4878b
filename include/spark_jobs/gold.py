"""Gold: interactions per store per hour, from silver transcripts.

Each micro-batch names the (store, hour) keys it touched; those keys are recomputed from the whole silver
table and MERGEd into gold. Late events land in the right hour, and a replayed batch rewrites the same
values, so the table is correct after any restart.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from include.settings import Settings
from include.spark_jobs import sinks
from include.spark_jobs.cli import Trigger, parse_args, session
from include.spark_jobs.tables import GOLD_STORE_INTERACTION_METRICS, SILVER_TRANSCRIPTS

KEYS = ["store_id", "hour_start"]


def with_hour(transcripts: DataFrame) -> DataFrame:
    return transcripts.withColumn("hour_start", F.date_trunc("hour", "ts"))


def touched_keys(batch: DataFrame) -> DataFrame:
    return with_hour(batch).select(*KEYS).distinct()


def store_hour_metrics(transcripts: DataFrame) -> DataFrame:
    """Pure aggregation: one row per store and UTC hour."""
    return (
        with_hour(transcripts)
        .groupBy(*KEYS)
        .agg(
            F.countDistinct("session_id").alias("interactions"),
            F.count(F.lit(1)).alias("transcripts"),
            F.countDistinct("device_id").alias("active_devices"),
            F.sum("word_count").alias("words"),
            F.sum("confidence").alias("confidence_sum"),
            F.max("ts").alias("last_event_ts"),
        )
    )


def write_batch(settings: Settings, batch: DataFrame, batch_id: int) -> None:
    spark = batch.sparkSession
    silver = sinks.read_table(spark, settings.table_path(SILVER_TRANSCRIPTS))
    affected = with_hour(silver).join(F.broadcast(touched_keys(batch)), KEYS, "left_semi")
    rows = store_hour_metrics(affected).withColumn("updated_at", F.current_timestamp())
    sinks.merge_rows(rows, settings.table_path(GOLD_STORE_INTERACTION_METRICS), KEYS, update=True)


def run(spark: SparkSession, settings: Settings, trigger: Trigger) -> None:
    stream = spark.readStream.format("delta").load(str(settings.table_path(SILVER_TRANSCRIPTS)))
    writer = (
        stream.writeStream.queryName(GOLD_STORE_INTERACTION_METRICS)
        .option("checkpointLocation", str(settings.checkpoint_dir / GOLD_STORE_INTERACTION_METRICS))
        .foreachBatch(lambda batch, batch_id: write_batch(settings, batch, batch_id))
    )
    trigger.apply(writer).start().awaitTermination()


def main(argv: Sequence[str] | None = None) -> None:
    settings, trigger = parse_args("gold", argv)
    run(session(settings, "scout-gold"), settings, trigger)


if __name__ == "__main__":
    main()
