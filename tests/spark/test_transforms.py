"""The slice's transforms on tiny in-memory DataFrames, compared row by row."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from pyspark.sql import Row
from pyspark.sql import types as T

from include.errors import ExpectationFailed
from include.spark_jobs import gold, silver, sinks
from include.spark_jobs.rules import sentiment
from include.spark_jobs.rules.expectations import Expectation, apply_expectations
from include.spark_jobs.rules.schemas import BRONZE_SCHEMA, event_schema
from include.spark_jobs.silver import specs
from include.spark_jobs.tables import TableRef, locate
from scout_edge.contract import EVENT_TYPES, Heartbeat, Transcript, VisualDetection

pytestmark = pytest.mark.spark

INGEST = datetime(2026, 11, 2, 12, 0, 0)


def transcript(event_id: str, **overrides) -> str:
    fields = dict(
        event_id=event_id,
        device_id="d1",
        store_id="s1",
        ts="2026-11-02T09:15:00.000Z",
        session_id="sess-1",
        text="where is the bear brand milk",
        word_count=6,
        language="en",
        confidence=0.9,
    )
    fields.update(overrides)
    return json.dumps({"event_type": "transcript", "schema_version": 1, **fields})


def bronze(spark, payloads: list[str]):
    rows = [(p, Transcript.hub, "landing/f.jsonl", None, None, INGEST) for p in payloads]
    return spark.createDataFrame(rows, BRONZE_SCHEMA)


def test_contract_types_map_to_spark_types():
    schema = event_schema(VisualDetection)
    by_name = {f.name: f.dataType for f in schema.fields}
    assert by_name["ts"] == T.TimestampType()
    assert by_name["faces"] == T.LongType()
    assert by_name["motion"] == T.DoubleType()
    assert by_name["gesture"] == T.StringType()
    assert by_name["boxes"] == T.ArrayType(T.ArrayType(T.DoubleType()))
    assert event_schema(Heartbeat)["last_publish_ts"].dataType == T.TimestampType()


@pytest.mark.parametrize("event_cls", EVENT_TYPES, ids=lambda c: c.event_type)
def test_every_contract_field_has_a_spark_column(event_cls):
    import dataclasses

    names = [f.name for f in event_schema(event_cls).fields]
    assert names == ["event_type", *(f.name for f in dataclasses.fields(event_cls))]


def test_parse_reads_a_device_event_back_exactly(spark):
    event = Transcript(
        event_id="e-1",
        device_id="d1",
        store_id="s1",
        ts="2026-11-02T09:15:00.250Z",
        session_id="sess-1",
        text="hi",
        word_count=1,
        language="en",
        confidence=0.5,
        audio_url="file:///clips/e-1.wav",
    )
    (row,) = silver.parse(bronze(spark, [event.to_json()]), Transcript).collect()
    assert row["event_id"] == "e-1"
    assert row["ts"] == datetime(2026, 11, 2, 9, 15, 0, 250000)
    assert row["audio_url"] == "file:///clips/e-1.wav"
    assert row[specs.CORRUPT] is None


def test_silver_quarantines_bad_rows_with_reasons_and_keeps_warnings(spark):
    payloads = [
        transcript("ok-1"),
        transcript("warn-1", confidence=1.5),
        '{"event_type": "transcript", "event_id": ',
        transcript("nostore", store_id=None),
        transcript("neg", word_count=-1),
        transcript("v2", schema_version=2),
    ]
    outcome = apply_expectations(silver.parse(bronze(spark, payloads), Transcript), silver.TRANSCRIPTS.expectations)

    assert sorted(r.event_id for r in outcome.valid.collect()) == ["ok-1", "warn-1"]
    reasons = {r.payload: r.reasons for r in outcome.quarantine.collect()}
    assert reasons.pop(transcript("nostore", store_id=None)) == ["has_device_and_store"]
    assert reasons.pop(transcript("neg", word_count=-1)) == ["non_negative_word_count"]
    assert reasons.pop(transcript("v2", schema_version=2)) == ["known_schema_version"]
    (malformed,) = reasons.values()
    assert malformed[0] == "parses_against_contract"  # and every check of a field it lacks

    metrics = {m["expectation"]: (m["passed"], m["failed"], m["dropped"]) for m in outcome.metrics}
    assert metrics["confidence_in_range"] == (4, 2, 0)  # warn: counted, kept (NULL fails, as in DLT)
    assert metrics["has_device_and_store"] == (4, 2, 2)  # the malformed line fails it too
    assert metrics["parses_against_contract"] == (5, 1, 1)


def test_a_fail_expectation_stops_the_batch(spark):
    df = spark.createDataFrame([Row(x=1), Row(x=-1)])
    with pytest.raises(ExpectationFailed, match=r"positive_x \(1 rows\); nothing was written"):
        apply_expectations(df, [Expectation("positive_x", "x > 0", "fail")])


def test_a_fail_expectation_judges_only_the_rows_to_be_written(spark):
    df = spark.createDataFrame([Row(event_id="a", x=1), Row(event_id="b", x=-1), Row(event_id="c", x=-2)])
    rules = [Expectation("not_held", "event_id != 'c'"), Expectation("positive_x", "x > 0", "fail")]
    with pytest.raises(ExpectationFailed, match=r"positive_x \(1 rows\)") as failed:
        apply_expectations(df, rules)  # c is quarantined anyway; b would be written
    assert failed.value.event_ids == ["b"]
    outcome = apply_expectations(df.where("event_id != 'b'"), rules)
    assert [r.event_id for r in outcome.valid.collect()] == ["a"]
    assert [(r.event_id, r.reasons) for r in outcome.quarantine.collect()] == [("c", ["not_held"])]


def write_silver(settings, batch, batch_id: int) -> None:
    """One micro-batch of bronze transcripts through silver, as the medallion's batch does it."""
    silver.ensure_tables(batch.sparkSession, settings)
    silver.write_batch(settings, {Transcript.hub: batch}, batch_id, "scout-test").release()


def test_silver_batch_dedupes_and_a_replayed_batch_changes_nothing(spark, lake):
    happy = transcript("b", text="I love Bear Brand milk, it is great")
    batch = bronze(spark, [transcript("a"), transcript("a"), happy, transcript("bad", store_id=None)])
    write_silver(lake, batch, 0)
    write_silver(lake, batch, 0)  # the same micro-batch again, as after a crash

    def table(name):
        return sinks.read_table(spark, locate(lake, name))

    stored = {r.event_id: r.sentiment for r in table("silver_transcripts").collect()}
    assert sorted(stored) == ["a", "b"]
    assert stored["a"] == 0.0 < stored["b"]  # each transcript scored once, as silver takes it in
    assert table("silver_transcripts_quarantine").count() == 1
    dq = {r.expectation: r.dropped for r in table("gold_dq_metrics").collect()}
    assert dq["unique_event_id"] == 1
    assert dq["has_device_and_store"] == 1
    assert table("gold_dq_metrics").count() == len(silver.TRANSCRIPTS.expectations) + 1


def test_gold_aggregates_per_store_and_hour(spark):
    schema = (
        "store_id string, device_id string, session_id string, ts timestamp, word_count long, confidence double,"
        " text string"
    )
    rows = [
        ("s1", "d1", "a", datetime(2026, 11, 2, 9, 5), 4, 0.5, "good morning po"),
        ("s1", "d1", "a", datetime(2026, 11, 2, 9, 10), 6, 0.7, "do you have nescafe"),
        ("s1", "d2", "b", datetime(2026, 11, 2, 9, 59), 2, 0.9, "thanks"),
        ("s1", "d1", "c", datetime(2026, 11, 2, 10, 0), 3, 0.8, "alaska please"),
        ("s2", "d3", "d", datetime(2026, 11, 2, 9, 30), 5, 0.6, None),
    ]
    result = gold.store_hour_metrics(spark.createDataFrame(rows, schema)).orderBy(*gold.KEYS).collect()
    got = [
        (
            r.store_id,
            r.hour_start.hour,
            r.interactions,
            r.transcripts,
            r.active_devices,
            r.words,
            round(r.confidence_sum, 6),
            r.greetings,
            r.questions,
            r.brand_mentions,
            r.visits,
        )
        for r in result
    ]
    assert got == [
        ("s1", 9, 2, 3, 2, 12, 2.1, 1, 1, 1, 0),
        ("s1", 10, 1, 1, 1, 3, 0.8, 0, 0, 1, 0),
        ("s2", 9, 1, 1, 1, 5, 0.6, 0, 0, 0, 0),
    ]


def test_merge_rows_is_idempotent_and_updates_in_place(spark, tmp_path):
    path = TableRef("t", path=tmp_path / "t")
    sinks.merge_rows(spark.createDataFrame([("k1", 1), ("k2", 2)], "k string, v long"), path, ["k"], update=True)
    sinks.merge_rows(spark.createDataFrame([("k1", 1), ("k2", 5)], "k string, v long"), path, ["k"], update=True)
    assert sorted(tuple(r) for r in sinks.read_table(spark, path).collect()) == [("k1", 1), ("k2", 5)]


@pytest.mark.parametrize("where", ["folder", "catalog"])
def test_ensure_table_adds_the_columns_an_older_table_lacks(spark, tmp_path, where):
    if where == "folder":
        path = TableRef("t", path=tmp_path / "t")
        spark.createDataFrame([("k1", 1)], "k string, v long").write.format("delta").save(str(path.path))
    else:
        path = TableRef("t", qualified_name="spark_catalog.scout_sinks_test.t")
        spark.sql("CREATE SCHEMA IF NOT EXISTS spark_catalog.scout_sinks_test")
        spark.sql("DROP TABLE IF EXISTS spark_catalog.scout_sinks_test.t")
        spark.createDataFrame([("k1", 1)], "k string, v long").write.format("delta").saveAsTable(path.qualified_name)
    sinks.ensure_table(spark, path, spark.createDataFrame([], "k string, v long, score double").schema)
    sinks.append_once(spark.createDataFrame([("k2", 2, 0.5)], "k string, v long, score double"), path, "app", 0)
    sinks.append_once(spark.createDataFrame([("k2", 2, 0.5)], "k string, v long, score double"), path, "app", 0)
    assert sorted(tuple(r) for r in sinks.read_table(spark, path).collect()) == [("k1", 1, None), ("k2", 2, 0.5)]


def test_wrong_types_and_oversized_payloads_are_quarantined_with_their_reason(spark):
    payloads = [
        transcript("ok"),
        transcript("typed", word_count="six"),  # a string where the contract says integer
        transcript("big", text="x" * (specs.MAX_PAYLOAD_BYTES + 1)),
    ]
    outcome = apply_expectations(silver.parse(bronze(spark, payloads), Transcript), silver.TRANSCRIPTS.expectations)
    assert [r.event_id for r in outcome.valid.collect()] == ["ok"]
    reasons = {r.payload: r.reasons for r in outcome.quarantine.collect()}
    assert reasons[payloads[2]] == ["payload_within_limit"]
    assert reasons[payloads[1]][0] == "parses_against_contract"


def test_device_health_flags_a_device_that_went_silent(spark):
    schema = (
        "device_id string, store_id string, location string, client_version string, ts timestamp,"
        " uptime_s double, cpu_load double, cpu_temp_c double, spool_depth long"
    )
    rows = [
        ("d1", "s1", "door", "0.1.0", datetime(2026, 11, 2, 9, 0), 100.0, 0.5, 50.0, 0),
        ("d1", "s1", "door", "0.1.1", datetime(2026, 11, 2, 12, 0), 10900.0, 1.5, 71.5, 12),
        ("d2", "s1", "till", "0.1.0", datetime(2026, 11, 2, 9, 0), 50.0, 0.2, None, 3),
        ("d2", "s1", "till", "0.1.0", datetime(2026, 11, 2, 10, 30), 5450.0, 0.4, 48.0, 0),
    ]
    result = {r.device_id: r for r in gold.device_health(spark.createDataFrame(rows, schema), 3600).collect()}
    assert (result["d1"].offline, result["d2"].offline) == (False, True)  # d2 last seen 90 min before the fleet
    assert result["d1"].client_version == "0.1.1" and result["d1"].uptime_s == 10900.0
    assert (result["d1"].heartbeats, result["d1"].max_cpu_temp_c, result["d1"].max_spool_depth) == (2, 71.5, 12)
    assert result["d2"].max_cpu_temp_c == 48.0 and result["d2"].avg_cpu_load == pytest.approx(0.3)


def test_a_duplicate_arriving_in_a_later_batch_is_counted_not_inserted(spark, lake):
    write_silver(lake, bronze(spark, [transcript("a"), transcript("b")]), 0)
    write_silver(lake, bronze(spark, [transcript("b"), transcript("c")]), 1)
    assert sorted(r.event_id for r in sinks.read_table(spark, locate(lake, "silver_transcripts")).collect()) == [
        "a",
        "b",
        "c",
    ]
    dq = sinks.read_table(spark, locate(lake, "gold_dq_metrics")).where("expectation = 'unique_event_id'")
    assert sorted((r.batch_id, r.dropped) for r in dq.collect()) == [(0, 0), (1, 1)]


def test_sentiment_per_store_brand_and_day(spark):
    schema = "store_id string, ts timestamp, text string"
    rows = [
        ("s1", datetime(2026, 11, 2, 9, 0), "I love Bear Brand milk, it is great"),
        ("s1", datetime(2026, 11, 2, 9, 5), "where is the bear brand milk"),
        ("s1", datetime(2026, 11, 2, 23, 59), "this nescafe is terrible and awful"),
        ("s1", datetime(2026, 11, 3, 0, 1), "this nescafe is terrible and awful"),
        ("s2", datetime(2026, 11, 2, 10, 0), "where is aisle five"),
    ]
    result = sentiment.by_store_brand_day(sentiment.with_sentiment(spark.createDataFrame(rows, schema)))
    got = sorted(
        (r.store_id, r.brand, r.day.isoformat(), r.transcripts, r.positive, r.negative, r.neutral)
        for r in result.collect()
    )
    assert got == [
        ("s1", "Bear Brand", "2026-11-02", 2, 1, 0, 1),
        ("s1", "Nescafe", "2026-11-02", 1, 0, 1, 0),
        ("s1", "Nescafe", "2026-11-03", 1, 0, 1, 0),
        ("s2", "(none)", "2026-11-02", 1, 0, 0, 1),
    ]
    by_key = {(r.brand, r.day.isoformat()): r.avg_compound for r in result.collect()}
    assert by_key[("Bear Brand", "2026-11-02")] > 0 > by_key[("Nescafe", "2026-11-02")]


def test_brand_detection_takes_the_first_catalog_brand_named():
    from include.catalog import brand_mentioned

    assert brand_mentioned("is Nescafe cheaper than bear brand?") == "Nescafe"
    assert brand_mentioned("where is the BEAR BRAND milk") == "Bear Brand"
    assert brand_mentioned("can i pay with gcash") is None
    assert brand_mentioned(None) is None


def test_insight_feedback_rates_per_store_and_type(spark):
    schema = "store_id string, insight_type string, action string, ts timestamp"
    rows = [
        ("s1", "restock", "taken", datetime(2026, 11, 2, 9)),
        ("s1", "restock", "taken", datetime(2026, 11, 2, 10)),
        ("s1", "restock", "dismissed", datetime(2026, 11, 2, 11)),
        ("s1", "upsell", "dismissed", datetime(2026, 11, 2, 12)),
        ("s2", "restock", "taken", datetime(2026, 11, 2, 13)),
    ]
    result = gold.insight_feedback(spark.createDataFrame(rows, schema)).collect()
    got = sorted((r.store_id, r.insight_type, r.taken, r.dismissed, r.feedback, r.taken_rate) for r in result)
    assert got == [
        ("s1", "restock", 2, 1, 3, 0.6667),
        ("s1", "upsell", 0, 1, 1, 0.0),
        ("s2", "restock", 1, 0, 1, 1.0),
    ]
