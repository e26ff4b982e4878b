"""Silver tables made from other silver tables: speech and vision brought together per device.

- ``silver_annotated_events`` (fused rows, origin = "fused"): each micro-batch of new transcripts or
  detections names the sessions it touched; those sessions' "Greeted + Asked" is recomputed from their
  silver rows within a watermark of the batch's events and MERGEd on its derived event_id. Whichever
  of speech or vision arrives last completes the session, and a replay rewrites nothing.
- ``silver_multimodal_aligned``: a stream-stream join of transcripts and detections of the same device
  within +-SCOUT_ALIGN_WINDOW_S, both sides under a SCOUT_WATERMARK event-time watermark, so Spark drops
  join state older than the watermark instead of keeping it forever. Rows MERGE on the pair of event ids.
  An event arriving later than the watermark still lands in its own silver table; it is not aligned.
"""

from __future__ import annotations

from datetime import timedelta

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery

from include.settings import Settings
from include.spark_jobs import interactions, sinks
from include.spark_jobs.cli import Trigger
from include.spark_jobs.silver import ANNOTATED_EVENTS
from include.spark_jobs.tables import (
    SILVER_ANNOTATED_EVENTS,
    SILVER_MULTIMODAL_ALIGNED,
    SILVER_TRANSCRIPTS,
    SILVER_VISUAL_DETECTIONS,
)

FUSION_QUERY = "silver_annotated_events_fused"
SESSION = ["device_id", "session_id"]
ALIGNED_KEYS = ["transcript_event_id", "visual_event_id"]


def _stream(spark: SparkSession, settings: Settings, table: str) -> DataFrame:
    return spark.readStream.format("delta").load(str(settings.table_path(table)))


def write_fusion(settings: Settings, batch: DataFrame, batch_id: int) -> None:
    spark = batch.sparkSession
    sessions = F.broadcast(batch.where(F.col("session_id").isNotNull()).select(*SESSION).distinct())
    first, last = batch.agg(F.min("ts"), F.max("ts")).first()
    margin = timedelta(seconds=settings.watermark_s)  # a session's events lie within a watermark of each other

    def touched(table: str) -> DataFrame:
        rows = sinks.read_table(spark, settings.table_path(table))
        if first is not None:  # Delta skips the files outside the batch's time range by their stats
            rows = rows.where((F.col("ts") >= F.lit(first - margin)) & (F.col("ts") <= F.lit(last + margin)))
        return rows.join(sessions, SESSION, "left_semi")

    fused = interactions.fuse_greeted_and_asked(
        touched(SILVER_TRANSCRIPTS), touched(SILVER_VISUAL_DETECTIONS), settings.counter_zone
    )
    rows = fused.withColumn("ingest_time", F.current_timestamp()).select(*ANNOTATED_EVENTS.columns)
    sinks.merge_rows(rows, settings.table_path(SILVER_ANNOTATED_EVENTS), ["event_id"], update=False)


def start_fusion(spark: SparkSession, settings: Settings, trigger: Trigger) -> StreamingQuery:
    touched = _stream(spark, settings, SILVER_TRANSCRIPTS).select(*SESSION, "ts")
    touched = touched.unionByName(_stream(spark, settings, SILVER_VISUAL_DETECTIONS).select(*SESSION, "ts"))
    writer = (
        touched.writeStream.queryName(FUSION_QUERY)
        .option("checkpointLocation", str(settings.checkpoint_dir / FUSION_QUERY))
        .foreachBatch(lambda batch, batch_id: write_fusion(settings, batch, batch_id))
    )
    return trigger.apply(writer).start()


def aligned_stream(transcripts: DataFrame, visuals: DataFrame, settings: Settings) -> DataFrame:
    window = settings.align_window_s
    t, v = interactions.bucketed(
        transcripts.withWatermark("ts", settings.watermark), visuals.withWatermark("ts", settings.watermark), window
    )
    joined = t.alias("t").join(v.alias("v"), interactions.alignment_condition(window))
    return joined.select(*interactions.aligned_columns())


def write_aligned(settings: Settings, batch: DataFrame, batch_id: int) -> None:
    rows = batch.withColumn("ingest_time", F.current_timestamp())
    sinks.merge_rows(rows, settings.table_path(SILVER_MULTIMODAL_ALIGNED), ALIGNED_KEYS, update=False)


def start_aligned(spark: SparkSession, settings: Settings, trigger: Trigger) -> StreamingQuery:
    joined = aligned_stream(
        _stream(spark, settings, SILVER_TRANSCRIPTS), _stream(spark, settings, SILVER_VISUAL_DETECTIONS), settings
    )
    writer = (
        joined.writeStream.queryName(SILVER_MULTIMODAL_ALIGNED)
        .outputMode("append")
        .option("checkpointLocation", str(settings.checkpoint_dir / SILVER_MULTIMODAL_ALIGNED))
        .foreachBatch(lambda batch, batch_id: write_aligned(settings, batch, batch_id))
    )
    return trigger.apply(writer).start()


def ensure_tables(spark: SparkSession, settings: Settings) -> None:
    transcripts = sinks.read_table(spark, settings.table_path(SILVER_TRANSCRIPTS)).limit(0)
    visuals = sinks.read_table(spark, settings.table_path(SILVER_VISUAL_DETECTIONS)).limit(0)
    schema = interactions.aligned(transcripts, visuals, 1).withColumn("ingest_time", F.current_timestamp()).schema
    sinks.ensure_table(spark, settings.table_path(SILVER_MULTIMODAL_ALIGNED), schema)


def start(spark: SparkSession, settings: Settings, trigger: Trigger) -> list[StreamingQuery]:
    return [start_fusion(spark, settings, trigger), start_aligned(spark, settings, trigger)]
