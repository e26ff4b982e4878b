"""The medallion reading the hubs from a real Kafka broker (the local stand-in for Event Hubs)."""

from __future__ import annotations

import dataclasses

import pytest
from confluent_kafka import Producer

from include.local import synthetic
from include.spark_jobs import jobs
from include.spark_jobs.sinks import table_counts as lakehouse_counts
from include.spark_jobs.tables import locate
from include.spark_jobs.trigger import Trigger
from scout_edge.contract import Heartbeat, Transcript
from tests.expected import table_counts

pytestmark = [pytest.mark.spark, pytest.mark.kafka]


def publish(bootstrap: str, day: synthetic.SyntheticDay) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for event in [*day.events, *day.duplicates]:
        producer.produce(event.hub, key=event.device_id, value=event.to_json())  # partition key = device
    for hub, lines in day.bad_lines.items():
        for line in lines:
            producer.produce(hub, key="faults", value=line)
    assert producer.flush(30) == 0


def test_bronze_silver_gold_from_kafka_exactly_once(spark, lake, kafka_broker):
    day = synthetic.generate()
    expected = synthetic.expected_summary(day)
    publish(kafka_broker.bootstrap, day)
    settings = dataclasses.replace(lake, source="kafka", kafka_bootstrap=kafka_broker.bootstrap)

    jobs.run("bronze", spark, settings, Trigger())
    jobs.run("bronze", spark, settings, Trigger())  # nothing new on the topics: nothing new in bronze
    stt = spark.read.format("delta").load(str(locate(settings, "bronze_stt_raw").path))
    positions = stt.select("kafka_partition", "kafka_offset").distinct().count()
    assert stt.where("kafka_offset is null or kafka_partition is null or source_file is not null").count() == 0
    assert positions == stt.count() == expected["bronze_lines"][Transcript.hub]
    assert {r.hub for r in stt.select("hub").distinct().collect()} == {Transcript.hub}

    jobs.run("silver", spark, settings, Trigger())
    jobs.run("gold", spark, settings, Trigger())
    assert lakehouse_counts(spark, settings) == table_counts(expected)

    late = synthetic.SyntheticDay(events=[e for e in day.events if isinstance(e, Heartbeat)][:5])
    publish(kafka_broker.bootstrap, late)  # the same heartbeats again: bronze keeps them (it is the replay log)
    jobs.run("bronze", spark, settings, Trigger())
    assert lakehouse_counts(spark, settings, prefix="bronze_device")["bronze_device_heartbeat"] == (
        expected["bronze_lines"][Heartbeat.hub] + 5
    )
