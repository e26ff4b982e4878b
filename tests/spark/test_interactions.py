"""Speech x vision on tiny DataFrames: fusion, alignment window edges, store metrics, versioned parsing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from pyspark.sql import functions as F
from pyspark.sql import types as T

from include.spark_jobs import gold, silver, sinks
from include.spark_jobs.rules import interactions, schemas
from include.spark_jobs.rules.schemas import BRONZE_SCHEMA
from include.spark_jobs.silver import derived as silver_derived
from include.spark_jobs.silver import specs
from include.spark_jobs.tables import SILVER_MULTIMODAL_ALIGNED, SILVER_TRANSCRIPTS, SILVER_VISUAL_DETECTIONS, locate
from scout_edge.contract import Transcript

pytestmark = pytest.mark.spark

T0 = datetime(2026, 11, 2, 10, 0, 0)
SAID = "event_id string, device_id string, store_id string, session_id string, ts timestamp, text string"
SEEN = (
    "event_id string, device_id string, store_id string, session_id string, ts timestamp, zone_id string,"
    " faces long, people long, gesture string, dwell_s double"
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_greeted_at_the_counter_then_asked_about_a_brand_is_fused_once_per_session(spark):
    said = spark.createDataFrame(
        [
            ("t1", "d1", "s1", "A", at(10), "Good morning, welcome!"),
            ("t2", "d1", "s1", "A", at(40), "Do you have Lucky Me pancit canton?"),
            ("t3", "d1", "s1", "A", at(60), "Where is the Bear Brand?"),  # a second question: still one event
            ("t4", "d1", "s1", "B", at(10), "Hello!"),  # B: greeted, asked, but never at the counter
            ("t5", "d1", "s1", "B", at(20), "Is Nescafe on promo?"),
            ("t6", "d2", "s1", "C", at(10), "Do you have Alaska?"),  # C: asked without a greeting
            ("t7", "d2", "s1", "D", at(10), "Hi there"),  # D: greeted, asked too late (> 120 s)
            ("t8", "d2", "s1", "D", at(200), "Do you have Safeguard?"),
            ("t9", "d2", "s1", "E", at(10), "Hello"),  # E: greeted, a brand but no question
            ("t10", "d2", "s1", "E", at(20), "Safeguard is fine."),
        ],
        SAID,
    )
    seen = spark.createDataFrame(
        [
            ("v1", "d1", "s1", "A", at(0), "counter", 1, 1, None, None),
            ("v2", "d1", "s1", "B", at(0), "aisle-1", 1, 1, None, None),
            ("v3", "d2", "s1", "C", at(0), "counter", 1, 1, None, None),
            ("v4", "d2", "s1", "D", at(0), "counter", 1, 1, None, None),
            ("v5", "d2", "s1", "E", at(0), "counter", 1, 1, None, None),
        ],
        SEEN,
    )
    fused = interactions.fuse_greeted_and_asked(said, seen, "counter").collect()
    assert [(r.session_id, r.brand, r.ts, r.label, r.zone_id, r.origin) for r in fused] == [
        ("A", "Lucky Me", at(40), "Greeted + Asked", "counter", "fused")
    ]
    again = interactions.fuse_greeted_and_asked(said, seen, "counter").collect()
    assert again[0].event_id == fused[0].event_id and len(fused[0].event_id) == 36  # stable, UUID-shaped


@pytest.mark.parametrize(
    ("offset_s", "aligned"),
    [(-60, True), (-61, False), (60, True), (61, False), (0, True)],
)
def test_alignment_window_edges_are_inclusive(spark, offset_s, aligned):
    said = spark.createDataFrame([("t1", "d1", "s1", "A", at(100), "hello")], SAID)
    seen = spark.createDataFrame(
        [
            ("v1", "d1", "s1", "A", at(100 + offset_s), "counter", 1, 1, None, None),
            ("v2", "d2", "s1", "A", at(100), "counter", 1, 1, None, None),  # another device: never
        ],
        SEEN,
    )
    rows = interactions.aligned(said, seen, 60).collect()
    assert [(r.transcript_event_id, r.visual_event_id, r.offset_us) for r in rows] == (
        [("t1", "v1", offset_s * 1_000_000)] if aligned else []
    )


def test_store_hour_metrics_count_visits_dwell_and_greeted_sessions(spark):
    said = spark.createDataFrame(
        [("t1", "d1", "s1", "A", at(10), "hello"), ("t2", "d1", "s1", "A", at(30), "do you have milo?")],
        SAID,
    ).withColumns({"word_count": F.lit(2).cast("long"), "confidence": F.lit(0.5)})
    seen = spark.createDataFrame(
        [
            ("v1", "d1", "s1", "A", at(0), "counter", 1, 1, None, 0.0),
            ("v2", "d1", "s1", "A", at(50), "counter", 0, 0, None, 50.0),  # left after 50 s
            ("v3", "d1", "s1", "B", at(60), "counter", 0, 0, None, 70.0),  # another visit, 70 s
            ("v4", "d1", "s1", "C", at(70), "counter", 0, 0, None, None),  # empty but no dwell: not a visit
        ],
        SEEN,
    )
    notes = spark.createDataFrame(
        [("s1", "d1", "A", at(30), "Greeted + Asked"), ("s1", "d1", "A", at(30), "Greeted + Asked")],
        gold.ANNOTATION_SCHEMA,
    )  # the device's and the fused annotation of one session: one greeted session
    (row,) = gold.store_hour_metrics(said, seen, notes).collect()
    assert (row.visits, row.dwell_s_total, row.avg_dwell_s, row.greeted_and_asked) == (2, 120.0, 60.0, 1)
    assert (row.greetings, row.questions, row.brand_mentions) == (1, 1, 0)  # milo is not in the catalog


def test_payloads_parse_by_their_schema_version(spark, monkeypatch):
    # A hypothetical version 0 named the text field "utterance": registered, it is lifted to the contract.
    v0 = T.StructType([f for f in schemas.event_schema(Transcript).fields if f.name != "text"]).add(
        T.StructField("utterance", T.StringType(), True)
    )

    def upgrade(old):
        fields = [f.name for f in schemas.event_schema(Transcript).fields] + [specs.CORRUPT]
        return F.struct(*[(old["utterance"] if n == "text" else old[n]).alias(n) for n in fields])

    monkeypatch.setitem(schemas.UPGRADES, ("transcript", 0), (v0, upgrade))
    base = {"event_type": "transcript", "device_id": "d1", "store_id": "s1", "ts": "2026-11-02T10:00:00Z",
            "session_id": None, "word_count": 2, "language": "en", "confidence": 0.9}  # fmt: skip
    payloads = [
        json.dumps({**base, "event_id": "old", "schema_version": 0, "utterance": "hello there"}),
        json.dumps({**base, "event_id": "new", "schema_version": 1, "text": "hi there"}),
        json.dumps({**base, "event_id": "future", "schema_version": 2, "text": "hey"}),
    ]
    bronze = spark.createDataFrame([(p, Transcript.hub, "f", None, None, T0) for p in payloads], BRONZE_SCHEMA)
    table = silver.SilverTable("t", Transcript, specs.contract_expectations(Transcript), ["event_id", "text"])
    rows = {r.event_id: r for r in silver.parse(bronze, Transcript).collect()}
    assert (rows["old"].text, rows["new"].text, rows["future"].text) == ("hello there", "hi there", "hey")
    from include.spark_jobs.rules.expectations import apply_expectations

    outcome = apply_expectations(silver.parse(bronze, Transcript), table.expectations)
    assert sorted(r.event_id for r in outcome.valid.collect()) == ["new", "old"]
    (rejected,) = outcome.quarantine.collect()
    assert rejected.reasons == ["known_schema_version"] and '"future"' in rejected.payload


def test_alignment_per_batch_pairs_new_rows_with_silver_whatever_arrives_last(spark, lake):
    """Each batch's transcripts meet silver's detections and its detections meet silver's transcripts:
    a pair forms whichever side comes later, even hours late; other devices and rows outside the window
    never pair; a replayed batch adds nothing."""
    import dataclasses

    settings = dataclasses.replace(lake, align_window_s=60)
    silver.ensure_tables(spark, settings)

    def batch(table: str, rows: list[tuple], ddl: str):
        """Rows land in silver (as the batch's silver step does), then the batch's derived step runs."""
        target = sinks.read_table(spark, locate(settings, table))
        df = spark.createDataFrame(rows, ddl)
        if table == SILVER_TRANSCRIPTS:
            df = specs.TRANSCRIPTS.stored(df)  # silver scores and classifies each transcript it takes in
        df = df.select([F.col(c) if c in df.columns else F.lit(None).cast(t).alias(c) for c, t in target.dtypes])
        df.write.format("delta").mode("append").save(str(locate(settings, table).path))
        said = df if table == SILVER_TRANSCRIPTS else None
        seen = df if table == SILVER_VISUAL_DETECTIONS else None
        silver_derived.write_batch(settings, said, seen)
        return df

    def aligned_pairs() -> set[tuple[str, str]]:
        table = sinks.read_table(spark, locate(settings, SILVER_MULTIMODAL_ALIGNED))
        return {(r.transcript_event_id, r.visual_event_id) for r in table.collect()}

    batch(SILVER_VISUAL_DETECTIONS, [("v1", "d1", "s1", "A", at(0), "counter", 1, 1, None, None)], SEEN)
    said = batch(SILVER_TRANSCRIPTS, [("t1", "d1", "s1", "A", at(30), "hello")], SAID)
    assert aligned_pairs() == {("t1", "v1")}  # the transcript came second: it found the detection in silver

    batch(SILVER_TRANSCRIPTS, [("t2", "d1", "s1", "B", at(3600), "hi"), ("t9", "d2", "s9", "A", at(3600), "x")], SAID)
    batch(SILVER_VISUAL_DETECTIONS, [("v2", "d1", "s1", "B", at(3661), "counter", 1, 1, None, None)], SEEN)
    assert aligned_pairs() == {("t1", "v1")}  # 61 s apart; and d2 has no detections
    batch(SILVER_VISUAL_DETECTIONS, [("v3", "d1", "s1", "B", at(3540), "counter", 1, 1, None, None)], SEEN)
    assert aligned_pairs() == {("t1", "v1"), ("t2", "v3")}  # the detection came second, exactly 60 s before

    batch(SILVER_TRANSCRIPTS, [("t3", "d1", "s1", "A", at(20), "late words")], SAID)  # an hour late
    assert aligned_pairs() == {("t1", "v1"), ("t2", "v3"), ("t3", "v1")}
    silver_derived.write_batch(settings, said, None)  # t1's batch replayed: nothing new
    assert sinks.read_table(spark, locate(settings, SILVER_MULTIMODAL_ALIGNED)).count() == 3
