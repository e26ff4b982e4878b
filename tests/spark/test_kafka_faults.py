"""The hubs read from a real Kafka broker, under the faults a store's day brings, ends in the tables plain
Python computes from the events (tests/independent.py):

1. the first half of the synthetic day goes through the edge client's own spool and Kafka transport, and a
   misbehaving device publishes a duplicate and two malformed lines straight to the topics;
2. the job, continuous in its own process, is killed with SIGKILL right after silver's first append (read
   from the Delta log), inside the micro-batch making it (its checkpoint's offsets ahead of its commits),
   then started again on the same checkpoints (in this process's
   JVM: one start fewer, the same job code);
3. while it runs, the broker is stopped; the second half of the day waits in the edge spool (nothing of it
   sent), the broker is started again on the same data, and the spool drains into it;
4. the job takes it all in (``processAllAvailable``), and is stopped.

Then bronze holds every message on the topics once (each partition and offset once), silver every event
once, gold and the alignment equal the computation from the events, and the data-quality counts equal
the faults on the topics (the duplicates counted from the topics themselves: a send the broker took but
did not acknowledge before it stopped is sent again, and silver must drop it too).

Run for the medallion job, and for the layer jobs as three queries chained through the Delta tables.
"""

from __future__ import annotations

import os
import signal
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from pyspark.sql.streaming import StreamingQuery

from include.local import synthetic
from include.settings import Settings, Source
from include.spark_jobs import bronze, jobs, sinks
from include.spark_jobs.progress import read_progress
from include.spark_jobs.tables import BRONZE_TABLES, GOLD_DQ_METRICS, locate
from include.spark_jobs.tables import GOLD_STORE_INTERACTION_METRICS as GOLD
from include.spark_jobs.trigger import Trigger, TriggerMode
from scout_edge.contract import AnnotatedEvent, Heartbeat, InsightFeedback, Transcript, VisualDetection, parse_event
from scout_edge.forwarder import Forwarder
from scout_edge.spool import Spool
from scout_edge.transports import KafkaTransport
from tests.independent import assert_gold_and_alignment_as_computed, fused_sessions
from tests.kafka import _free_ports
from tests.ports import wait_for
from tests.processes import JobProcess, start_layers, start_medallion
from tools import kafka_broker

pytestmark = [pytest.mark.spark, pytest.mark.kafka]

DAY = synthetic.generate()
SILVER_OF = {  # the silver table each kind of event lands in
    Transcript: "silver_transcripts",
    VisualDetection: "silver_visual_detections",
    Heartbeat: "silver_device_heartbeat",
    AnnotatedEvent: "silver_annotated_events",
    InsightFeedback: "silver_insight_feedback",
}
START = {"medallion": start_medallion, "layers": start_layers}
NAMES = {"medallion": ("medallion",), "layers": tuple(job.name for job in jobs.LAYERS)}  # the queries of each kind


class Broker:
    """A broker of this test's own (the session's carries other tests' messages on the hubs' topics),
    stopped and started again on the same ports and data."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.data_dir = Path(tempfile.mkdtemp(prefix="scout-kafka-faults-"))
        self.port, self.controller_port = _free_ports(2)
        self.bootstrap = f"127.0.0.1:{self.port}"

    def start(self) -> None:
        kafka_broker.start(self.settings, self.data_dir, port=self.port, controller_port=self.controller_port)

    def stop(self) -> None:
        assert kafka_broker.stop(self.data_dir)


@pytest.fixture
def broker(settings):
    broker = Broker(settings)
    broker.start()
    yield broker
    kafka_broker.stop(broker.data_dir)


class Edge:
    """The edge client's store-and-forward path: its spool and forwarder over its Kafka transport."""

    def __init__(self, bootstrap: str, spool_path: Path):
        self.spool = Spool(spool_path)
        self.forwarder = Forwarder(self.spool, KafkaTransport(bootstrap, timeout_s=2), batch_size=50)
        self.forwarder.start()

    def publish(self, events) -> None:
        self.spool.put_many(events)

    def close(self) -> None:
        self.forwarder.stop(drain_timeout_s=5)
        self.spool.close()


def publish_faults(bootstrap: str, day: synthetic.SyntheticDay) -> None:
    """What a misbehaving device sends past the spool: an event again, and lines that are not events."""
    producer = Producer({"bootstrap.servers": bootstrap})
    for event in day.duplicates:
        producer.produce(event.hub, key=event.device_id, value=event.to_json())
    for hub, lines in day.bad_lines.items():
        for line in lines:
            producer.produce(hub, key="faults", value=line)
    assert producer.flush(30) == 0


def on_topics(bootstrap: str) -> dict[str, list[str]]:
    """Every message on the hubs' topics, read back with a plain consumer: hub -> values."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"check-{uuid.uuid4()}"})
    ends: dict[tuple[str, int], int] = {}
    try:
        for hub in BRONZE_TABLES:
            for p in consumer.list_topics(hub, timeout=10).topics[hub].partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(hub, p), timeout=10)
                if high > low:
                    ends[(hub, p)] = high
        consumer.assign([TopicPartition(hub, p, OFFSET_BEGINNING) for hub, p in ends])
        messages: dict[str, list[str]] = defaultdict(list)
        deadline = time.monotonic() + 60
        while ends:
            assert time.monotonic() < deadline, f"the topics were not read to their end: {ends}"
            if (msg := consumer.poll(0.5)) is None:
                continue
            assert msg.error() is None, msg.error()
            messages[msg.topic()].append(msg.value().decode())
            if msg.offset() + 1 >= ends.get((msg.topic(), msg.partition()), 0):
                ends.pop((msg.topic(), msg.partition()), None)
    finally:
        consumer.close()
    return messages


def delta_version(settings: Settings, table: str) -> int:
    """The table's newest commit (version 0 is its creation by ensure_tables)."""
    log = locate(settings, table).path / "_delta_log"
    return max((int(p.stem) for p in log.glob("*.json")), default=-1)


def latest(log: Path) -> int:
    """The newest batch id in a checkpoint's offsets/ or commits/ log (-1 for none)."""
    return max((int(p.name) for p in log.glob("[0-9]*")), default=-1)


def kill_after_silver_appends(process: JobProcess, settings: Settings, query: str) -> None:
    """SIGKILL the job right after silver's first append to any of its tables, while ``query`` (the one
    writing silver) has not committed that batch: the restart must replay it without appending again.
    (For the layer jobs that need not be silver's batch 0: its first may hold only hubs bronze committed
    first, and append nothing to some tables.)"""
    deadline = time.monotonic() + 300
    while max(delta_version(settings, table) for table in SILVER_OF.values()) < 1:
        assert process.poll() is None, f"the job ended before silver's first append: {process.log_tail(2000)}"
        assert time.monotonic() < deadline, "no append to silver after 300 s"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the driver and its JVM, right after that commit
    process.wait()
    assert process.returncode == -signal.SIGKILL, "it had already exited"
    checkpoint = settings.checkpoint_dir / query
    assert latest(checkpoint / "offsets") > latest(checkpoint / "commits"), "killed between batches, not inside"


def alive(queries: list[StreamingQuery]) -> bool:
    for query in queries:
        assert query.isActive, f"{query.name} stopped: {query.exception()}"
    return True


@pytest.mark.parametrize("kind", ["medallion", "layers"])
def test_kill_9_and_a_broker_outage_end_in_the_computed_tables(spark, lake, broker, tmp_path, kind):
    settings = Settings(home=lake.home, source=Source.KAFKA, kafka_bootstrap=broker.bootstrap)
    half = len(DAY.events) // 2
    edge = Edge(broker.bootstrap, tmp_path / "spool.db")
    queries: list[StreamingQuery] = []
    try:
        edge.publish(DAY.events[:half])
        publish_faults(broker.bootstrap, DAY)
        wait_for(lambda: edge.spool.depth() == 0, 60, "the first half to reach the broker", 0.2)

        # The job in its own process, killed inside its first batch right after silver's append ...
        run = ("--source", "kafka", "--trigger", "continuous", "--interval", "1 second")
        started = START[kind](lake.home, *run, env={"SCOUT_KAFKA_BOOTSTRAP": broker.bootstrap})
        kill_after_silver_appends(started, settings, "silver" if kind == "layers" else kind)
        # ... and started again (here: a JVM start fewer, the same job code) on the same checkpoints.
        continuous = Trigger(TriggerMode.CONTINUOUS, "1 second")
        queries = [jobs.start(name, spark, settings, continuous) for name in NAMES[kind]]
        commits = settings.checkpoint_dir / NAMES[kind][-1] / "commits"
        before = latest(commits)
        wait_for(lambda: alive(queries) and latest(commits) > before, 300, "the restarted job to finish a batch", 0.2)

        # The broker goes away while the job runs; the devices keep producing into their spool.
        broker.stop()
        edge.publish(DAY.events[half:])
        wait_for(lambda: edge.forwarder.last_error, 60, "the forwarder to meet the outage", 0.2)
        time.sleep(3)  # a few of the job's 1-second triggers against no broker
        assert edge.spool.depth() == len(DAY.events) - half  # nothing sent, nothing lost
        broker.start()
        wait_for(lambda: alive(queries) and edge.spool.depth() == 0, 120, "the spool to drain into the broker")
        for query in queries:  # in order: each layer's input is complete once the one before is done
            query.processAllAvailable()
    finally:
        for query in queries:
            query.stop()
        edge.close()

    topics = on_topics(broker.bootstrap)
    if kind == "layers":  # each layer job's progress record (what the health check reads) counts its rows
        records = (("bronze", "bronze_stt_raw"), ("silver", "silver_transcripts"), ("gold", GOLD))

        def counted() -> bool:  # (Spark hands the listener its events asynchronously)
            progress = {name: read_progress(settings.ops_dir, name) or {} for name, _ in records}
            return all(progress[n].get("tables", {}).get(t, {}).get("rows_total") for n, t in records)

        wait_for(counted, 60, "each layer job's progress record to count its tables' rows")

    # bronze: every message on the topics, once
    for hub, table in BRONZE_TABLES.items():
        rows = sinks.read_table(spark, locate(settings, table))
        assert rows.count() == rows.select("kafka_partition", "kafka_offset").distinct().count()
        assert sorted(r.payload for r in rows.collect()) == sorted(topics[hub]), hub

    # silver: every event once
    for kind_of_event, table in SILVER_OF.items():
        ids = Counter(r.event_id for r in sinks.read_table(spark, locate(settings, table)).collect())
        assert max(ids.values()) == 1, table
        sent = {e.event_id for e in DAY.events if isinstance(e, kind_of_event)}
        assert sent <= set(ids), f"{table} lacks {sorted(sent - set(ids))[:5]}"
        fused = len(fused_sessions(DAY)) if kind_of_event is AnnotatedEvent else 0  # made here from speech
        assert len(ids) == len(sent) + fused, table

    assert_gold_and_alignment_as_computed(spark, settings, DAY)

    # the data-quality counts: the faults as found on the topics
    failed_rows: dict[tuple[str, str], int] = defaultdict(int)
    for r in sinks.read_table(spark, locate(settings, GOLD_DQ_METRICS)).collect():
        failed_rows[(r.table, r.expectation)] += r.failed
    for kind_of_event, table in SILVER_OF.items():
        bad = DAY.bad_lines.get(kind_of_event.hub, [])
        ids = [parse_event(v).event_id for v in topics[kind_of_event.hub] if v not in bad]
        again = len(ids) - len(set(ids))
        assert failed_rows[(table, "unique_event_id")] == again, table
    assert failed_rows[("silver_transcripts", "parses_against_contract")] == 1  # cut off mid-JSON
    assert failed_rows[("silver_transcripts", "has_device_and_store")] == 2  # that one, and a null store_id
    others = {k: n for k, n in failed_rows.items() if k[0] != "silver_transcripts" and k[1] != "within_watermark"}
    assert set(others.values()) == {0}  # nothing wrong elsewhere (the cut-off line fails every rule it meets)


def test_the_batch_bound_reaches_the_kafka_reader(spark, lake):
    """--max-offsets-per-trigger reaches the reader as Kafka's maxOffsetsPerTrigger (read from the plan)."""
    settings = Settings(home=lake.home, source=Source.KAFKA, kafka_bootstrap="127.0.0.1:9")
    for trigger, bound in ((Trigger(), 100_000), (Trigger(max_offsets=77), 77)):
        plan = bronze.extract(spark, settings, trigger)._jdf.queryExecution().logical().toString()
        assert f"maxOffsetsPerTrigger={bound}]" in plan or f"maxOffsetsPerTrigger={bound}," in plan
