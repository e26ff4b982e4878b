"""Gold: interactions per store per hour (transcripts, detections and annotations: greetings, questions,
brand mentions, visits and dwell), sentiment per store, brand and day (from silver transcripts),
a health summary per device (from silver heartbeats) and taken/dismissed rates per store and insight type
(from silver insight feedback).

Each micro-batch names the keys it touched; those keys are recomputed from the whole silver table and
MERGEd into gold (the device health summary, one row a device, is recomputed whole and replaces the
table). Late events land in the right place, and a replayed batch rewrites the same values, so the tables
are correct after any restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, time, timedelta
from functools import partial, reduce
from time import perf_counter

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery

from include.settings import Settings
from include.spark_jobs import concurrently, interactions, sentiment, sinks
from include.spark_jobs.cli import Trigger, parse_args, session, start_query
from include.spark_jobs.tables import (
    GOLD_DEVICE_HEALTH_SUMMARY,
    GOLD_INSIGHT_FEEDBACK,
    GOLD_STORE_INTERACTION_METRICS,
    GOLD_TRANSCRIPT_SENTIMENT,
    SILVER_ANNOTATED_EVENTS,
    SILVER_DEVICE_HEARTBEAT,
    SILVER_INSIGHT_FEEDBACK,
    SILVER_TRANSCRIPTS,
    SILVER_VISUAL_DETECTIONS,
)

log = logging.getLogger(__name__)

QUERY = "gold"
KEYS = ["store_id", "hour_start"]
# A device is offline when its last heartbeat is this much older than the fleet's latest one (data time,
# not wall-clock time, so replays and backfills give the same answer). Heartbeats come every few minutes.
OFFLINE_AFTER_S = 3600


def with_hour(transcripts: DataFrame) -> DataFrame:
    return transcripts.withColumn("hour_start", F.date_trunc("hour", "ts"))


def touched_keys(batch: DataFrame) -> DataFrame:
    return with_hour(batch).select(*KEYS).distinct()


def store_hour_metrics(
    transcripts: DataFrame, visuals: DataFrame | None = None, annotations: DataFrame | None = None
) -> DataFrame:
    """Pure aggregation: one row per store and UTC hour.

    From transcripts: interactions (sessions), transcripts, devices, words, greetings, questions and
    brand mentions. From detections: visits (a zone reported empty with its dwell) and their dwell. From
    annotated events: sessions that were greeted and then asked about a brand (device or fused).
    """
    said = (
        interactions.classify(with_hour(transcripts))
        .groupBy(*KEYS)
        .agg(
            F.countDistinct("session_id").alias("interactions"),
            F.count(F.lit(1)).alias("transcripts"),
            F.countDistinct("device_id").alias("active_devices"),
            F.sum("word_count").alias("words"),
            # Rounded: a float sum's last bits depend on the order rows are added, which depends on how
            # the rows happen to be split into files; a replay must give the same value.
            F.round(F.sum("confidence"), 6).alias("confidence_sum"),
            F.count(F.when(F.col("is_greeting"), 1)).alias("greetings"),
            F.count(F.when(F.col("is_question"), 1)).alias("questions"),
            F.count(F.col("brand")).alias("brand_mentions"),
            F.max("ts").alias("last_event_ts"),
        )
    )
    if visuals is None or annotations is None:
        spark = transcripts.sparkSession
        visuals = visuals if visuals is not None else spark.createDataFrame([], VISIT_SCHEMA)
        annotations = annotations if annotations is not None else spark.createDataFrame([], ANNOTATION_SCHEMA)
    left = F.col("faces") == 0
    visits = (
        with_hour(visuals.where(left & (F.col("people") == 0) & F.col("dwell_s").isNotNull()))
        .groupBy(*KEYS)
        .agg(F.count(F.lit(1)).alias("visits"), F.sum("dwell_s").alias("dwell_s_total"))
    )
    greeted = (
        with_hour(annotations.where(F.col("label") == interactions.GREETED_AND_ASKED))
        .groupBy(*KEYS)
        .agg(F.countDistinct("device_id", "session_id").alias("greeted_and_asked"))
    )
    return (
        said.join(visits, KEYS, "left")
        .join(greeted, KEYS, "left")
        .select(
            *said.columns[:-1],
            F.coalesce("visits", F.lit(0)).alias("visits"),
            F.coalesce("dwell_s_total", F.lit(0.0)).alias("dwell_s_total"),
            F.round(F.col("dwell_s_total") / F.col("visits"), 1).alias("avg_dwell_s"),
            F.coalesce("greeted_and_asked", F.lit(0)).alias("greeted_and_asked"),
            "last_event_ts",
        )
    )


VISIT_SCHEMA = "store_id string, device_id string, ts timestamp, faces long, people long, dwell_s double"
ANNOTATION_SCHEMA = "store_id string, device_id string, session_id string, ts timestamp, label string"


def device_health(heartbeats: DataFrame, offline_after_s: int = OFFLINE_AFTER_S) -> DataFrame:
    """Pure: one row per device, its latest state, extremes, and whether it has gone silent."""
    per_device = heartbeats.groupBy("device_id").agg(
        F.max_by("store_id", "ts").alias("store_id"),
        F.max_by("location", "ts").alias("location"),
        F.max_by("client_version", "ts").alias("client_version"),
        F.min("ts").alias("first_seen"),
        F.max("ts").alias("last_seen"),
        F.count(F.lit(1)).alias("heartbeats"),
        F.max_by("uptime_s", "ts").alias("uptime_s"),
        F.round(F.avg("cpu_load"), 6).alias("avg_cpu_load"),  # rounded, as confidence_sum
        F.max("cpu_temp_c").alias("max_cpu_temp_c"),
        F.max("spool_depth").alias("max_spool_depth"),
    )
    fleet_latest = heartbeats.agg(F.max("ts").alias("fleet_latest"))
    offline = F.col("last_seen") < F.col("fleet_latest") - F.make_dt_interval(secs=F.lit(offline_after_s))
    return per_device.crossJoin(fleet_latest).withColumn("offline", offline).drop("fleet_latest")


def _between(rows: DataFrame, first: datetime, end: datetime) -> DataFrame:
    """Rows with first <= ts < end."""
    return rows.where((F.col("ts") >= F.lit(first)) & (F.col("ts") < F.lit(end)))


def write_store_metrics(settings: Settings, batch: DataFrame) -> None:
    """The batch holds (store_id, ts) of new transcripts, detections and annotations: their store-hours
    are recomputed from the three silver tables."""
    spark = batch.sparkSession
    keys = touched_keys(batch).cache()
    first, last = keys.agg(F.min("hour_start"), F.max("hour_start")).first()
    touched = F.broadcast(keys)

    def affected(table: str) -> DataFrame:
        # the touched hours only: Delta skips the files outside them by their stats
        rows = _between(sinks.read_table(spark, settings.table_path(table)), first, last + timedelta(hours=1))
        return with_hour(rows).join(touched, KEYS, "left_semi")

    rows = store_hour_metrics(
        affected(SILVER_TRANSCRIPTS), affected(SILVER_VISUAL_DETECTIONS), affected(SILVER_ANNOTATED_EVENTS)
    )
    # An hour with detections but nothing said yet has no row until its first transcript arrives.
    rows = rows.withColumn("updated_at", F.current_timestamp())
    sinks.merge_rows(rows, settings.table_path(GOLD_STORE_INTERACTION_METRICS), KEYS, update=True)
    keys.unpersist()


def write_sentiment(settings: Settings, batch: DataFrame) -> None:
    touched = batch.select("store_id", F.to_date("ts").alias("day")).distinct()
    silver = sinks.read_table(batch.sparkSession, settings.table_path(SILVER_TRANSCRIPTS))
    first, last = batch.agg(F.min("ts"), F.max("ts")).first()
    # whole UTC days around the batch: Delta skips the other files by their stats
    silver = _between(silver, datetime.combine(first.date(), time.min), datetime.combine(last.date(), time.max))
    affected = silver.withColumn("day", F.to_date("ts")).join(F.broadcast(touched), ["store_id", "day"], "left_semi")
    rows = sentiment.by_store_brand_day(affected).withColumn("updated_at", F.current_timestamp())
    sinks.merge_rows(rows, settings.table_path(GOLD_TRANSCRIPT_SENTIMENT), sentiment.KEYS, update=True)


def insight_feedback(feedback: DataFrame) -> DataFrame:
    """Pure: per store and insight type, how often advisors took or dismissed the insight."""
    taken = F.count(F.when(F.col("action") == "taken", 1))
    return feedback.groupBy("store_id", "insight_type").agg(
        taken.alias("taken"),
        F.count(F.when(F.col("action") == "dismissed", 1)).alias("dismissed"),
        F.count(F.lit(1)).alias("feedback"),
        F.round(taken / F.count(F.lit(1)), 4).alias("taken_rate"),
        F.max("ts").alias("last_feedback_ts"),
    )


def write_insight_feedback(settings: Settings, batch: DataFrame) -> None:
    keys = ["store_id", "insight_type"]
    silver = sinks.read_table(batch.sparkSession, settings.table_path(SILVER_INSIGHT_FEEDBACK))
    affected = silver.join(F.broadcast(batch.select(*keys).distinct()), keys, "left_semi")
    rows = insight_feedback(affected).withColumn("updated_at", F.current_timestamp())
    sinks.merge_rows(rows, settings.table_path(GOLD_INSIGHT_FEEDBACK), keys, update=True)


def write_device_health(settings: Settings, batch: DataFrame) -> None:
    # The offline flag of every device depends on the fleet's latest heartbeat, so the (small, one row a
    # device) summary is recomputed whole from silver and replaces the table.
    heartbeats = sinks.read_table(batch.sparkSession, settings.table_path(SILVER_DEVICE_HEARTBEAT))
    rows = device_health(heartbeats).withColumn("updated_at", F.current_timestamp())
    sinks.replace_all(rows, settings.table_path(GOLD_DEVICE_HEALTH_SUMMARY))


# gold table -> (silver tables whose new rows trigger it, the batch writer). The writer gets those rows'
# (store_id, ts, insight_type): the keys it recomputes.
GOLD_TABLES = {
    GOLD_STORE_INTERACTION_METRICS: (
        (SILVER_TRANSCRIPTS, SILVER_VISUAL_DETECTIONS, SILVER_ANNOTATED_EVENTS),
        write_store_metrics,
    ),
    GOLD_DEVICE_HEALTH_SUMMARY: ((SILVER_DEVICE_HEARTBEAT,), write_device_health),
    GOLD_TRANSCRIPT_SENTIMENT: ((SILVER_TRANSCRIPTS,), write_sentiment),
    GOLD_INSIGHT_FEEDBACK: ((SILVER_INSIGHT_FEEDBACK,), write_insight_feedback),
}


def ensure_tables(spark: SparkSession, settings: Settings) -> None:
    """Create the gold tables up front (empty if silver is), so dbt and the exports never meet a missing one."""
    transcripts = sinks.read_table(spark, settings.table_path(SILVER_TRANSCRIPTS)).limit(0)
    visuals = sinks.read_table(spark, settings.table_path(SILVER_VISUAL_DETECTIONS)).limit(0)
    annotations = sinks.read_table(spark, settings.table_path(SILVER_ANNOTATED_EVENTS)).limit(0)
    heartbeats = sinks.read_table(spark, settings.table_path(SILVER_DEVICE_HEARTBEAT)).limit(0)
    feedback = sinks.read_table(spark, settings.table_path(SILVER_INSIGHT_FEEDBACK)).limit(0)
    for table, rows in (
        (GOLD_STORE_INTERACTION_METRICS, store_hour_metrics(transcripts, visuals, annotations)),
        (GOLD_DEVICE_HEALTH_SUMMARY, device_health(heartbeats)),
        (GOLD_TRANSCRIPT_SENTIMENT, sentiment.by_store_brand_day(transcripts)),
        (GOLD_INSIGHT_FEEDBACK, insight_feedback(feedback)),
    ):
        sinks.ensure_table(
            spark, settings.table_path(table), rows.withColumn("updated_at", F.current_timestamp()).schema
        )


def touched(table: str, rows: DataFrame) -> DataFrame:
    """A silver table's new rows as (source, store_id, ts, insight_type): what gold recomputes."""
    insight_type = F.col("insight_type") if "insight_type" in rows.columns else F.lit(None).cast("string")
    return rows.select(F.lit(table).alias("source"), "store_id", "ts", insight_type.alias("insight_type"))


def write_batch(settings: Settings, batch: DataFrame) -> None:
    """``batch``: the touched rows (see ``touched``) of any silver tables, cached by the caller. Each gold
    table whose sources have rows in it is recomputed for the keys they touched."""
    sources = {row["source"] for row in batch.select("source").distinct().collect()}

    def recompute(table: str, inputs: tuple[str, ...], write: Callable[[Settings, DataFrame], None]) -> None:
        started = perf_counter()
        write(settings, batch.where(F.col("source").isin(*inputs)))
        log.info("%s: %.1f s", table, perf_counter() - started)

    concurrently.run_all(
        [
            partial(recompute, table, inputs, write)
            for table, (inputs, write) in GOLD_TABLES.items()
            if sources.intersection(inputs)
        ]
    )


def process(settings: Settings, batch: DataFrame, batch_id: int) -> None:
    batch.persist()
    try:
        write_batch(settings, batch)
    finally:
        batch.unpersist()


def start(spark: SparkSession, settings: Settings, trigger: Trigger) -> StreamingQuery:
    """One query over the silver tables gold is made from: each micro-batch recomputes what it touched."""
    sources = dict.fromkeys(s for inputs, _ in GOLD_TABLES.values() for s in inputs)
    streams = [touched(s, spark.readStream.format("delta").load(str(settings.table_path(s)))) for s in sources]
    return start_query(reduce(DataFrame.unionByName, streams), QUERY, settings, trigger, process)


def run(spark: SparkSession, settings: Settings, trigger: Trigger) -> None:
    ensure_tables(spark, settings)
    start(spark, settings, trigger).awaitTermination()


def main(argv: Sequence[str] | None = None) -> None:
    settings, trigger = parse_args("gold", argv)
    run(session(settings, "scout-gold"), settings, trigger)


if __name__ == "__main__":
    main()
