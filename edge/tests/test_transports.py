from __future__ import annotations

import json
import os
import time

import pytest
from azure.eventhub import EventDataBatch
from azure.eventhub.exceptions import ConnectError

from scout_edge.contract import ContractError, parse_event
from scout_edge.errors import TransportError
from scout_edge.forwarder import Forwarder
from scout_edge.simulator import Fleet, FleetSpec
from scout_edge.spool import Record, Spool
from scout_edge.transports import EventHubTransport, FileTransport, eventhubs_kafka_options


def fleet_records(n: int | None = None, **spec) -> list[Record]:
    records = list(Fleet(FleetSpec(duration_s=600, rate=5, **spec)).records())
    return records if n is None else records[:n]


def landed_lines(root) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in sorted(root.glob("*/*.jsonl")):
        out.setdefault(path.parent.name, []).extend(path.read_text().splitlines())
    return out


def test_file_transport_output_reads_back_and_validates_against_the_contract(tmp_path):
    records = fleet_records()
    transport = FileTransport(tmp_path, "pi-1")
    assert transport.send(records) == [r.seq for r in records]
    assert landed_lines(tmp_path) == {}  # still in hidden part files: readers see nothing half-written
    transport.close()

    lines = landed_lines(tmp_path)
    events = {hub: [parse_event(line) for line in hub_lines] for hub, hub_lines in lines.items()}
    assert {hub: len(v) for hub, v in events.items()} == {
        hub: sum(r.hub == hub for r in records) for hub in {r.hub for r in records}
    }
    assert all(type(e).hub == hub for hub, evs in events.items() for e in evs)
    assert sorted(e.event_id for evs in events.values() for e in evs) == sorted(r.event_id for r in records)
    assert not list(tmp_path.glob("*/.*.part"))


def test_file_transport_rotates_by_size_and_by_age(tmp_path):
    records = [r for r in fleet_records() if r.hub == "eh-pi-stt-raw"][:50]
    by_size = FileTransport(tmp_path / "size", "pi-1", rotate_bytes=2000, rotate_seconds=3600)
    for r in records:
        by_size.send([r])
    by_size.close()
    files = sorted((tmp_path / "size" / "eh-pi-stt-raw").glob("*.jsonl"))
    assert len(files) > 5
    assert all(f.stat().st_size < 2000 + 1000 for f in files)
    assert sum(len(f.read_text().splitlines()) for f in files) == 50

    by_age = FileTransport(tmp_path / "age", "pi-1", rotate_seconds=0.05)
    by_age.send(records[:1])
    assert not list((tmp_path / "age").glob("*/*.jsonl"))
    time.sleep(0.1)
    by_age.maintain()  # the forwarder calls this even when there is nothing to send
    assert len(list((tmp_path / "age").glob("*/*.jsonl"))) == 1


def test_part_files_of_a_killed_writer_are_published_and_acknowledged(tmp_path):
    spool = Spool(tmp_path / "spool.db")
    records = fleet_records(30)
    spool.put_raw((r.event_id, r.hub, r.key, r.payload) for r in records)
    crashed = FileTransport(tmp_path / "landing", "pi-1")
    crashed.send(spool.peek(20))  # written and fsynced, but the process dies before the spool ack

    forwarder = Forwarder(spool, FileTransport(tmp_path / "landing", "pi-1"))
    assert spool.depth() == 10
    assert forwarder.drain(timeout_s=5)
    forwarder.transport.close()
    ids = [json.loads(line)["event_id"] for lines in landed_lines(tmp_path / "landing").values() for line in lines]
    assert sorted(ids) == sorted(r.event_id for r in records)  # each exactly once


def test_faulty_lines_from_the_simulator_fail_validation_with_a_reason():
    records = fleet_records(faults=("malformed",), fault_share=0.2)
    bad = [r for r in records if not r.payload.endswith("}")]
    assert bad
    for r in bad:
        with pytest.raises(ContractError, match="not JSON"):
            parse_event(r.payload)


class FakeProducer:
    """Stands in for EventHubProducerClient (no Event Hubs emulator runs here): it builds the SDK's own
    EventDataBatch objects, so the size limits and partition keys are the real ones."""

    def __init__(self, hub: str, max_batch_bytes: int = 4096, fail_after: int | None = None):
        self.hub = hub
        self.max_batch_bytes = max_batch_bytes
        self.fail_after = fail_after
        self.sent: list[EventDataBatch] = []
        self.closed = False

    def create_batch(self, *, partition_key=None, partition_id=None, max_size_in_bytes=None):
        return EventDataBatch(max_size_in_bytes=max_size_in_bytes or self.max_batch_bytes, partition_key=partition_key)

    def send_batch(self, batch, *, timeout=None):
        if self.fail_after is not None and len(self.sent) >= self.fail_after:
            raise ConnectError("connection to the namespace failed")
        assert isinstance(batch, EventDataBatch)
        self.sent.append(batch)

    def close(self):
        self.closed = True


def test_eventhub_transport_sends_sdk_batches_keyed_by_device():
    producers: dict[str, FakeProducer] = {}
    transport = EventHubTransport(lambda hub: producers.setdefault(hub, FakeProducer(hub)))
    records = fleet_records(200)
    assert sorted(transport.send(records)) == sorted(r.seq for r in records)

    delivered = []
    for hub, producer in producers.items():
        for batch in producer.sent:
            events = list(batch._internal_events)
            assert batch.size_in_bytes <= producer.max_batch_bytes
            assert {e.partition_key for e in events} == {batch._partition_key}
            for e in events:
                event = parse_event(e.body_as_str())
                assert (type(event).hub, event.device_id) == (hub, e.partition_key)
                assert e.content_type == "application/json"
                delivered.append(event.event_id)
    assert sorted(delivered) == sorted(r.event_id for r in records)
    assert any(len(p.sent) > 1 for p in producers.values())  # 4 KB batches: the full-batch path ran
    transport.close()
    assert all(p.closed for p in producers.values())


def test_eventhub_failures_keep_the_unsent_events_spooled(tmp_path):
    spool = Spool(tmp_path / "spool.db")
    records = [r for r in fleet_records() if r.hub == "eh-pi-stt-raw" and r.key == "pi-001-1"][:60]
    spool.put_raw((r.event_id, r.hub, r.key, r.payload) for r in records)
    down = EventHubTransport(lambda hub: FakeProducer(hub, fail_after=0))
    with pytest.raises(TransportError, match="Event Hubs refused the batch"):
        Forwarder(spool, down).forward_once()
    assert spool.depth() == 60

    halfway = FakeProducer("eh-pi-stt-raw", max_batch_bytes=4096, fail_after=2)
    assert Forwarder(spool, EventHubTransport(lambda hub: halfway)).forward_once() == sum(len(b) for b in halfway.sent)
    assert 0 < spool.depth() < 60
    up = FakeProducer("eh-pi-stt-raw")
    assert Forwarder(spool, EventHubTransport(lambda hub: up)).drain(timeout_s=5)
    resent = [parse_event(e.body_as_str()).event_id for b in up.sent for e in b._internal_events]
    sent_first = [parse_event(e.body_as_str()).event_id for b in halfway.sent for e in b._internal_events]
    assert sorted(sent_first + resent) == sorted(r.event_id for r in records)


def test_eventhubs_kafka_endpoint_settings_come_from_the_connection_string():
    secret = "Endpoint=sb://scout-ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=abc="
    options = eventhubs_kafka_options(secret)
    assert options["bootstrap.servers"] == "scout-ns.servicebus.windows.net:9093"
    assert (options["security.protocol"], options["sasl.mechanism"]) == ("SASL_SSL", "PLAIN")
    assert (options["sasl.username"], options["sasl.password"]) == ("$ConnectionString", secret)


def test_an_unwritable_landing_zone_is_a_transport_error(tmp_path):
    (tmp_path / "landing").write_text("a file where the folder should be")
    with pytest.raises(TransportError, match="cannot write to the landing zone"):
        FileTransport(tmp_path / "landing", "pi-1").send(fleet_records(1))
    assert os.path.isfile(tmp_path / "landing")
