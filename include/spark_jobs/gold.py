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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial, reduce
from time import perf_counter

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from include.settings import Settings
from include.spark_jobs import concurrently, sinks, sources
from include.spark_jobs.progress import TableBatch
from include.spark_jobs.rules import interactions, sentiment
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
    keys,
    locate,
)
from include.spark_jobs.trigger import Trigger

log = logging.getLogger(__name__)

KEYS = keys(GOLD_STORE_INTERACTION_METRICS)
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


def write_store_metrics(settings: Settings, batch: DataFrame) -> None:
    """The batch holds (store_id, ts) of new transcripts, detections and annotations: their store-hours
    are recomputed from the three silver tables."""
    spark = batch.sparkSession
    keys = touched_keys(batch).cache()
    first, last = keys.agg(F.min("hour_start"), F.max("hour_start")).first()
    touched = F.broadcast(keys)

    def affected(table: str) -> DataFrame:
        # the touched hours only (the semi-join drops a row at the next hour's first instant)
        rows = sinks.read_between(spark, locate(settings, table), first, last + timedelta(hours=1))
        return with_hour(rows).join(touched, KEYS, "left_semi")

    rows = store_hour_metrics(
        affected(SILVER_TRANSCRIPTS), affected(SILVER_VISUAL_DETECTIONS), affected(SILVER_ANNOTATED_EVENTS)
    )
    # An hour with detections but nothing said yet has no row until its first transcript arrives.
    rows = rows.withColumn("updated_at", F.current_timestamp())
    sinks.merge_rows(rows, locate(settings, GOLD_STORE_INTERACTION_METRICS), KEYS, update=True)
    keys.unpersist()


def write_sentiment(settings: Settings, batch: DataFrame) -> None:
    touched = batch.select("store_id", F.to_date("ts").alias("day")).distinct()
    first, last = batch.agg(F.min("ts"), F.max("ts")).first()
    # whole UTC days around the batch
    day_start, day_end = datetime.combine(first.date(), time.min), datetime.combine(last.date(), time.max)
    silver = sinks.read_between(batch.sparkSession, locate(settings, SILVER_TRANSCRIPTS), day_start, day_end)
    affected = silver.withColumn("day", F.to_date("ts")).join(F.broadcast(touched), ["store_id", "day"], "left_semi")
    rows = sentiment.by_store_brand_day(affected).withColumn("updated_at", F.current_timestamp())
    sinks.merge_rows(rows, locate(settings, GOLD_TRANSCRIPT_SENTIMENT), keys(GOLD_TRANSCRIPT_SENTIMENT), update=True)


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
    key = keys(GOLD_INSIGHT_FEEDBACK)
    silver = sinks.read_table(batch.sparkSession, locate(settings, SILVER_INSIGHT_FEEDBACK))
    affected = silver.join(F.broadcast(batch.select(*key).distinct()), key, "left_semi")
    rows = insight_feedback(affected).withColumn("updated_at", F.current_timestamp())
    sinks.merge_rows(rows, locate(settings, GOLD_INSIGHT_FEEDBACK), key, update=True)


def write_device_health(settings: Settings, batch: DataFrame) -> None:
    # The offline flag of every device depends on the fleet's latest heartbeat, so the (small, one row a
    # device) summary is recomputed whole from silver and replaces the table.
    heartbeats = sinks.read_table(batch.sparkSession, locate(settings, SILVER_DEVICE_HEARTBEAT))
    rows = device_health(heartbeats).withColumn("updated_at", F.current_timestamp())
    sinks.replace_all(rows, locate(settings, GOLD_DEVICE_HEALTH_SUMMARY))


@dataclass(frozen=True)
class GoldTable:
    """A gold table: the silver tables whose new rows make it recompute, the pure aggregation over their
    rows (which also gives the table's schema, from empty inputs), and the batch writer."""

    name: str
    inputs: tuple[str, ...]
    aggregate: Callable[..., DataFrame]  # the inputs' rows, in order -> the table's rows (without updated_at)
    write: Callable[[Settings, DataFrame], None]  # gets the inputs' new rows as (source, store_id, ts, ...)


GOLD_TABLES = (
    GoldTable(
        GOLD_STORE_INTERACTION_METRICS,
        (SILVER_TRANSCRIPTS, SILVER_VISUAL_DETECTIONS, SILVER_ANNOTATED_EVENTS),
        store_hour_metrics,
        write_store_metrics,
    ),
    GoldTable(GOLD_DEVICE_HEALTH_SUMMARY, (SILVER_DEVICE_HEARTBEAT,), device_health, write_device_health),
    GoldTable(GOLD_TRANSCRIPT_SENTIMENT, (SILVER_TRANSCRIPTS,), sentiment.by_store_brand_day, write_sentiment),
    GoldTable(GOLD_INSIGHT_FEEDBACK, (SILVER_INSIGHT_FEEDBACK,), insight_feedback, write_insight_feedback),
)


def ensure_tables(spark: SparkSession, settings: Settings) -> None:
    """Create the gold tables up front (empty if silver is), so dbt and the exports never meet a missing one."""
    for table in GOLD_TABLES:
        empty = [sinks.read_table(spark, locate(settings, t)).limit(0) for t in table.inputs]
        schema = table.aggregate(*empty).withColumn("updated_at", F.current_timestamp()).schema
        sinks.ensure_table(spark, locate(settings, table.name), schema)


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
        [partial(recompute, t.name, t.inputs, t.write) for t in GOLD_TABLES if sources.intersection(t.inputs)]
    )


def fed(silver: Mapping[str, TableBatch]) -> dict[str, TableBatch]:
    """What each gold table got from a batch's new silver rows: their count and newest event time."""
    fed = {}
    for table in GOLD_TABLES:
        inputs = [silver[t] for t in table.inputs if t in silver and silver[t].rows]
        if inputs:
            newest = max((i.newest_event_ts for i in inputs if i.newest_event_ts), default=None)
            fed[table.name] = TableBatch(sum(i.rows for i in inputs), newest)
    return fed


def write_silver_batch(settings: Settings, batch: DataFrame, batch_id: int, app: str) -> dict[str, TableBatch]:
    """The gold job's micro-batch: the touched rows of the silver tables it streams (MERGEs need no txn id);
    returns what each gold table got from them."""
    write_batch(settings, batch)
    per_source = batch.groupBy("source").agg(F.count(F.lit(1)).alias("rows"), F.max("ts").alias("newest"))
    return fed({r["source"]: TableBatch(r["rows"], r["newest"]) for r in per_source.collect()})


def stream(spark: SparkSession, settings: Settings, trigger: Trigger) -> DataFrame:
    """The gold job's input: the new rows of the silver tables gold is made from, as touched keys."""
    inputs = dict.fromkeys(s for table in GOLD_TABLES for s in table.inputs)
    streams = [touched(s, sources.read_table_stream(spark, locate(settings, s))) for s in inputs]
    return reduce(DataFrame.unionByName, streams)


def store_totals(metrics: DataFrame) -> DataFrame:
    """Pure: gold_store_interaction_metrics summed per store, with the average dwell (null without visits)."""
    summed = ("greetings", "questions", "brand_mentions", "greeted_and_asked", "visits")
    return metrics.groupBy("store_id").agg(
        *(F.sum(c).alias(c) for c in summed),
        F.round(F.try_divide(F.sum("dwell_s_total"), F.sum("visits")), 1).alias("avg_dwell_s"),
    )
