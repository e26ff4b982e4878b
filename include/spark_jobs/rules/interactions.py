"""What a store interaction is made of, as pure DataFrame functions shared by silver and gold.

- ``classify``: per transcript, whether it is a greeting, a question, and the catalog brand it names
  (the greeting and question patterns are the edge client's, scout_edge.fusion, so device-side and
  pipeline-side fusion agree on what a greeting is).
- ``fuse_greeted_and_asked``: the pipeline-side "Greeted + Asked": in one device session, a face in the
  counter zone, a greeting, and then, within ``window_s``, a question naming a brand. One event per
  session, with an id derived from the session so recomputing it never makes a second one.
- ``aligned``: transcripts x visual detections of the same device within +-``window_s`` seconds (what
  silver_multimodal_aligned holds; silver_derived runs it per micro-batch around the batch's rows).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from include.catalog import BRANDS
from scout_edge.contract import SCHEMA_VERSION
from scout_edge.fusion import GREETING, QUESTION

GREETED_AND_ASKED = "Greeted + Asked"


def brand_of(text: Column) -> Column:
    """The catalog brand named first in the text (case-insensitive), else null. Native Spark, no UDF."""
    lowered = F.lower(text)
    found = F.array(*(F.struct(F.locate(b.lower(), lowered).alias("at"), F.lit(b).alias("brand")) for b in BRANDS))
    named = F.array_sort(F.filter(found, lambda x: x["at"] > 0))
    return F.try_element_at(named, F.lit(1))["brand"]


def classify(transcripts: DataFrame) -> DataFrame:
    text = F.coalesce(F.col("text"), F.lit(""))
    return transcripts.withColumns(
        {
            "is_greeting": text.rlike("(?i)" + GREETING.pattern),
            "is_question": text.rlike("(?i)" + QUESTION.pattern),
            "brand": brand_of(text),
        }
    )


def fuse_greeted_and_asked(
    transcripts: DataFrame, visuals: DataFrame, counter_zone: str = "counter", window_s: int = 120
) -> DataFrame:
    """One annotated event per session that was greeted at the counter and then asked about a brand."""
    session = ["device_id", "session_id"]
    at_counter = (
        visuals.where((F.col("zone_id") == counter_zone) & (F.col("faces") > 0) & F.col("session_id").isNotNull())
        .groupBy(*session)
        .agg(F.min("ts").alias("face_at"))
    )
    said = classify(transcripts.where(F.col("session_id").isNotNull()))
    greeted = said.where("is_greeting").groupBy(*session).agg(F.min("ts").alias("greeted_at"))
    questions = said.where(F.col("is_question") & F.col("brand").isNotNull()).select(
        *session, "store_id", "ts", "brand", "event_id"
    )
    window = F.make_dt_interval(secs=F.lit(window_s))
    asked = (
        questions.join(greeted, session)
        .join(at_counter, session)
        .where((F.col("ts") >= F.col("greeted_at")) & (F.col("ts") <= F.col("greeted_at") + window))
        .groupBy(*session)
        .agg(F.min_by(F.struct("ts", "brand", "store_id"), F.struct("ts", "event_id")).alias("q"))
    )
    return asked.select(
        _session_uuid(F.lit("fused:" + GREETED_AND_ASKED), "device_id", "session_id").alias("event_id"),
        "device_id",
        F.col("q.store_id").alias("store_id"),
        "session_id",
        F.col("q.ts").alias("ts"),
        F.lit(GREETED_AND_ASKED).alias("label"),
        F.lit(counter_zone).alias("zone_id"),
        F.col("q.brand").alias("brand"),
        F.lit(SCHEMA_VERSION).alias("schema_version"),
        F.lit("fused").alias("origin"),
    )


def _session_uuid(kind: Column, device: str, session: str) -> Column:
    """A UUID-shaped id derived from (kind, device, session): recomputing a fusion gives the same id."""
    h = F.sha2(F.concat_ws(":", kind, F.col(device), F.col(session)), 256)
    return F.concat_ws("-", *(F.substring(h, start, n) for start, n in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))))


BUCKET = "_align_bucket"


def bucketed(transcripts: DataFrame, visuals: DataFrame, window_s: int) -> tuple[DataFrame, DataFrame]:
    """Both sides keyed by window-wide time buckets, each transcript under its bucket and both neighbours.

    A pair within +-window_s is at most one bucket apart, so it meets under exactly one key. With the
    bucket in the equi-join key, the join only compares rows of the same device and minute instead of a
    device's whole day.
    """
    bucket = F.floor(F.unix_micros("ts") / F.lit(window_s * 1_000_000))
    t = transcripts.withColumn(BUCKET, F.explode(F.array(bucket - 1, bucket, bucket + 1)))
    return t, visuals.withColumn(BUCKET, bucket)


def alignment_condition(window_s: int, t: str = "t", v: str = "v") -> Column:
    """Same device and bucket, visual within +-window_s of the transcript (inclusive)."""
    window = F.expr(f"interval {int(window_s)} seconds")
    same = (F.col(f"{t}.device_id") == F.col(f"{v}.device_id")) & (F.col(f"{t}.{BUCKET}") == F.col(f"{v}.{BUCKET}"))
    return same & F.col(f"{v}.ts").between(F.col(f"{t}.ts") - window, F.col(f"{t}.ts") + window)


def aligned_columns(t: str = "t", v: str = "v") -> list[Column]:
    return [
        F.col(f"{t}.event_id").alias("transcript_event_id"),
        F.col(f"{v}.event_id").alias("visual_event_id"),
        F.col(f"{t}.device_id").alias("device_id"),
        F.col(f"{t}.store_id").alias("store_id"),
        F.col(f"{t}.session_id").alias("transcript_session_id"),
        F.col(f"{v}.session_id").alias("visual_session_id"),
        F.col(f"{t}.ts").alias("transcript_ts"),
        F.col(f"{v}.ts").alias("visual_ts"),
        (F.unix_micros(F.col(f"{v}.ts")) - F.unix_micros(F.col(f"{t}.ts"))).alias("offset_us"),
        F.col(f"{t}.text").alias("text"),
        F.col(f"{v}.zone_id").alias("zone_id"),
        F.col(f"{v}.faces").alias("faces"),
        F.col(f"{v}.people").alias("people"),
        F.col(f"{v}.gesture").alias("gesture"),
    ]


def aligned(transcripts: DataFrame, visuals: DataFrame, window_s: int) -> DataFrame:
    """Transcripts x detections of the same device within +-window_s seconds (inclusive)."""
    t, v = bucketed(transcripts, visuals, window_s)
    return t.alias("t").join(v.alias("v"), alignment_condition(window_s)).select(*aligned_columns())
