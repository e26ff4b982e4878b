"""Silver tables made from other silver tables: speech and vision brought together per device.

Both are recomputed, per micro-batch, around the rows the batch brought (its valid transcripts and
detections), after those rows are in silver. Nothing is kept between batches, so whichever of speech
or vision arrives last completes the picture, the result does not depend on how events were cut into
batches, and a replayed batch MERGEs the same rows again (no change).

- ``silver_annotated_events`` (fused rows, origin = "fused"): the sessions the batch touched get their
  "Greeted + Asked" recomputed from their silver rows within a watermark of the batch's events, MERGEd
  on an event_id derived from the session.
- ``silver_multimodal_aligned``: the batch's transcripts x the silver detections of the same device
  within +-SCOUT_ALIGN_WINDOW_S, and the batch's detections x the silver transcripts, MERGEd on the pair
  of event ids. Each side is read only over the batch's time range plus the window (Delta skips the
  other files by their statistics), so the work per batch is bounded by the batch, not by history.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import reduce
from time import perf_counter

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from include.settings import Settings
from include.spark_jobs import concurrently, sinks
from include.spark_jobs.rules import interactions
from include.spark_jobs.silver.specs import ANNOTATED_EVENTS
from include.spark_jobs.tables import (
    SILVER_ANNOTATED_EVENTS,
    SILVER_MULTIMODAL_ALIGNED,
    SILVER_TRANSCRIPTS,
    SILVER_VISUAL_DETECTIONS,
    keys,
    locate,
)

log = logging.getLogger(__name__)

SESSION = ["device_id", "session_id"]
ALIGNED_KEYS = keys(SILVER_MULTIMODAL_ALIGNED)


def _around(spark: SparkSession, settings: Settings, table: str, first, last, margin: timedelta) -> DataFrame:
    """The silver table's rows with first - margin <= ts <= last + margin."""
    return sinks.read_between(spark, locate(settings, table), first - margin, last + margin)


def write_fusion(settings: Settings, touched: DataFrame) -> DataFrame | None:
    """``touched``: (device_id, session_id, ts) of the batch's events. Returns the fused rows (materialized)."""
    spark = touched.sparkSession
    first, last = touched.agg(F.min("ts"), F.max("ts")).first()
    if first is None:
        return None
    sessions = F.broadcast(touched.where(F.col("session_id").isNotNull()).select(*SESSION).distinct())
    margin = timedelta(seconds=settings.watermark_s)  # a session's events lie within a watermark of each other

    def session_rows(table: str) -> DataFrame:
        return _around(spark, settings, table, first, last, margin).join(sessions, SESSION, "left_semi")

    fused = interactions.fuse_greeted_and_asked(
        session_rows(SILVER_TRANSCRIPTS), session_rows(SILVER_VISUAL_DETECTIONS), settings.counter_zone
    )
    # Materialized once: the MERGE and gold's touched keys both use it.
    rows = fused.withColumn("ingest_time", F.current_timestamp()).select(*ANNOTATED_EVENTS.columns).localCheckpoint()
    if rows.isEmpty():
        return rows
    sinks.merge_rows(rows, locate(settings, SILVER_ANNOTATED_EVENTS), ["event_id"], update=False)
    return rows


def write_alignment(settings: Settings, transcripts: DataFrame | None, visuals: DataFrame | None) -> None:
    """Align the batch's transcripts with silver's detections and the batch's detections with silver's
    transcripts (the batch's own rows are in silver by now, so new x new pairs come out of either)."""
    window = settings.align_window_s
    margin = timedelta(seconds=window)
    pairs, said_from, said_to = [], [], []  # the pairs, and the range their transcripts' times lie in

    def time_range(batch: DataFrame) -> tuple[datetime | None, datetime | None]:
        return tuple(batch.agg(F.min("ts"), F.max("ts")).first())

    if transcripts is not None:
        transcripts = transcripts.dropDuplicates(["event_id"])
        first, last = time_range(transcripts)
        if first is not None:
            seen = _around(transcripts.sparkSession, settings, SILVER_VISUAL_DETECTIONS, first, last, margin)
            pairs.append(interactions.aligned(transcripts, seen, window))
            said_from.append(first)
            said_to.append(last)
    if visuals is not None:
        first, last = time_range(visuals)
        if first is not None:
            said = _around(visuals.sparkSession, settings, SILVER_TRANSCRIPTS, first, last, margin)
            if transcripts is not None:  # the batch's own transcripts were paired above: each pair once
                said = said.join(transcripts.select("event_id"), "event_id", "left_anti")
            pairs.append(interactions.aligned(said, visuals.dropDuplicates(["event_id"]), window))
            said_from.append(first - margin)
            said_to.append(last + margin)
    if not pairs:
        return
    rows = reduce(DataFrame.unionByName, pairs).withColumn("ingest_time", F.current_timestamp())
    # A pair already in the table has the same transcript time: the MERGE only looks at that time range,
    # so it reads the files of the batch's minutes, not the whole (ever growing) table.
    since = F.col("t.transcript_ts").between(F.lit(min(said_from)), F.lit(max(said_to)))
    sinks.merge_rows(rows, locate(settings, SILVER_MULTIMODAL_ALIGNED), ALIGNED_KEYS, update=False, target_filter=since)


def write_batch(settings: Settings, transcripts: DataFrame | None, visuals: DataFrame | None) -> DataFrame | None:
    """Fusion and alignment for a micro-batch's valid transcripts and detections; returns the fused rows."""
    frames = [f.select(*SESSION, "ts") for f in (transcripts, visuals) if f is not None]
    if not frames:
        return None

    def fusion() -> DataFrame | None:
        started = perf_counter()
        fused = write_fusion(settings, reduce(DataFrame.unionByName, frames))
        log.info("fusion: %.1f s", perf_counter() - started)
        return fused

    def alignment() -> None:
        started = perf_counter()
        write_alignment(settings, transcripts, visuals)
        log.info("alignment: %.1f s", perf_counter() - started)

    fused, _ = concurrently.run_all([fusion, alignment])
    return fused


def ensure_tables(spark: SparkSession, settings: Settings) -> None:
    transcripts = sinks.read_table(spark, locate(settings, SILVER_TRANSCRIPTS)).limit(0)
    visuals = sinks.read_table(spark, locate(settings, SILVER_VISUAL_DETECTIONS)).limit(0)
    schema = interactions.aligned(transcripts, visuals, 1).withColumn("ingest_time", F.current_timestamp()).schema
    sinks.ensure_table(spark, locate(settings, SILVER_MULTIMODAL_ALIGNED), schema)
