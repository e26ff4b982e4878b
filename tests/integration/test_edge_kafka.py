"""The edge client's Kafka transport against the real local broker, and store-and-forward across kill -9.

The topics carry a per-test prefix so these messages never reach the medallion tests reading the hubs.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from confluent_kafka import Consumer

from include.settings import PROJECT_ROOT
from scout_edge.contract import HUBS, parse_event
from scout_edge.simulator import Fleet, FleetSpec
from scout_edge.transports import KafkaTransport
from tests.kafka import _free_ports
from tools import kafka_broker

pytestmark = pytest.mark.kafka


def prefixed_topics(broker) -> str:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    kafka_broker.create_topics(broker.bootstrap, [prefix + hub for hub in HUBS])
    return prefix


def consume(bootstrap: str, prefix: str, expect_at_least: int, quiet_s: float = 3.0, timeout_s: float = 60.0):
    """Every message on the prefixed topics: (topic, key, value)."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"check-{uuid.uuid4()}", "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([prefix + hub for hub in HUBS])
    messages, last, deadline = [], time.monotonic(), time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                if len(messages) >= expect_at_least and time.monotonic() - last > quiet_s:
                    break
                continue
            assert msg.error() is None, msg.error()
            messages.append((msg.topic(), msg.key().decode(), msg.value().decode()))
            last = time.monotonic()
    finally:
        consumer.close()
    return messages


def test_kafka_transport_delivers_every_record_keyed_by_device(kafka_broker):
    prefix = prefixed_topics(kafka_broker)
    records = list(Fleet(FleetSpec(duration_s=600, rate=10)).records())
    transport = KafkaTransport(kafka_broker.bootstrap, topic_prefix=prefix)
    assert sorted(transport.send(records)) == sorted(r.seq for r in records)
    transport.close()

    messages = consume(kafka_broker.bootstrap, prefix, len(records))
    assert len(messages) == len(records)
    for topic, key, value in messages:
        event = parse_event(value)
        assert (topic, key) == (prefix + type(event).hub, event.device_id)
    assert sorted(parse_event(v).event_id for _, _, v in messages) == sorted(r.event_id for r in records)


def test_kafka_transport_down_is_a_transport_error_not_a_loss(kafka_broker):
    from scout_edge.errors import TransportError

    (closed_port,) = _free_ports(1)
    transport = KafkaTransport(f"127.0.0.1:{closed_port}", timeout_s=1.5)
    with pytest.raises(TransportError, match=f"127.0.0.1:{closed_port} did not take the batch"):
        transport.send(list(Fleet(FleetSpec(duration_s=60, rate=1)).records())[:3])


def device_file(folder: Path, bootstrap: str, prefix: str, device_id: str) -> Path:
    path = folder / "device.toml"
    path.write_text(f"""
device_id = "{device_id}"
store_id = "store-saf"
heartbeat_interval_s = 0.1
[audio]
source = "off"
[vision]
source = "off"
[transport]
kind = "kafka"
bootstrap_servers = "{bootstrap}"
topic_prefix = "{prefix}"
timeout_s = 2
[spool]
path = "spool.db"
""")
    return path


def spooled_ids(spool: Path) -> list[str]:
    with sqlite3.connect(spool) as db:
        return [row[0] for row in db.execute("select event_id from spool order by seq")]


def start_client(config: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "scout_edge.cli", "run", "--config", str(config), *args],
        env={**os.environ, "SCOUT_EVENTHUBS_CONNECTION_STRING": ""},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_store_and_forward_across_an_outage_and_kill_9(kafka_broker, tmp_path):
    """Transport down: events pile up in the spool. kill -9 the client. Restart with the broker up: every
    event arrives exactly once per event_id and the spool ends empty."""
    prefix = prefixed_topics(kafka_broker)
    device_id = f"pi-saf-{uuid.uuid4().hex[:6]}"
    (closed_port,) = _free_ports(1)
    config = device_file(tmp_path, f"127.0.0.1:{closed_port}", prefix, device_id)
    spool = tmp_path / "spool.db"

    client = start_client(config)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not spool.exists() or len(spooled_ids(spool)) < 30):
        time.sleep(0.2)
    os.kill(client.pid, signal.SIGKILL)
    client.wait(timeout=10)
    before = spooled_ids(spool)
    assert len(before) >= 30, client.stderr.read()

    config = device_file(tmp_path, kafka_broker.bootstrap, prefix, device_id)
    restarted = start_client(config, "--duration", "3")
    _, stderr = restarted.communicate(timeout=120)
    assert restarted.returncode == 0, stderr
    assert spooled_ids(spool) == []  # drained on the way out

    messages = consume(kafka_broker.bootstrap, prefix, len(before))
    ids = Counter(parse_event(value).event_id for _, _, value in messages)
    assert all(ids[event_id] == 1 for event_id in before)  # every event from the outage, once
    assert max(ids.values()) == 1  # and nothing sent twice, old or new
    assert len(ids) > len(before)  # the restarted client kept producing heartbeats, also delivered
    assert {key for _, key, _ in messages} == {device_id}


def documented_command(readme: Path, program: str) -> list[str]:
    """The command line ``program ...`` as a README's code block shows it (continuation lines joined)."""
    text = readme.read_text().replace("\\\n", " ")
    (line,) = [ln for ln in text.splitlines() if ln.strip().startswith(program)]
    return shlex.split(line.split("#")[0])


def test_the_documented_simulate_command_publishes_every_record_to_the_broker(kafka_broker, tmp_path):
    """edge/README.md's `scout-edge simulate ... --transport kafka` as a user would paste it (the broker's
    address and a topic prefix of this test's own aside): every record it reports sent is on the topics."""
    from confluent_kafka import TopicPartition

    argv = documented_command(PROJECT_ROOT / "edge" / "README.md", "scout-edge simulate")
    argv[argv.index("--bootstrap") + 1] = kafka_broker.bootstrap
    prefix = prefixed_topics(kafka_broker)
    exe = shutil.which("scout-edge", path=str(Path(sys.executable).parent))
    done = subprocess.run(
        [exe, *argv[1:], "--topic-prefix", prefix, "--no-progress"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["malformed"] and summary["duplicates"] and summary["late"]  # the faults it was asked for

    consumer = Consumer({"bootstrap.servers": kafka_broker.bootstrap, "group.id": f"count-{uuid.uuid4()}"})
    try:
        on_topics = 0
        for hub in HUBS:
            partitions = consumer.list_topics(prefix + hub, timeout=10).topics[prefix + hub].partitions
            for p in partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(prefix + hub, p), timeout=10)
                on_topics += high - low
    finally:
        consumer.close()
    assert on_topics == summary["records_sent"]
