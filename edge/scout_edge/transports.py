"""Transports: how spooled records leave the device. Three behind one interface.

``send(records)`` returns the spool sequence numbers the target acknowledged (possibly a prefix when the
target fails halfway) and raises :class:`TransportError` when nothing could be delivered; the forwarder
removes only acknowledged records from the spool, so a failed send is retried later, never lost.

- :class:`FileTransport` JSON lines into the landing zone, one folder per hub (the layout the Spark file
  source reads). Lines go to a hidden ``.<name>.part`` file (fsync before the ack) that is renamed into
  place when it reaches its size or age, so readers never see half a file.
- :class:`KafkaTransport` confluent-kafka, idempotent producer with acks=all; a local broker or the Event
  Hubs Kafka endpoint (SASL_SSL, ``$ConnectionString``) when a connection string is configured.
- :class:`EventHubTransport` azure-eventhub producers (one per hub), EventDataBatch per partition key
  (the device id), AMQP or AMQP over WebSocket.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import Any, Protocol

from scout_edge.config import DeviceConfig, TransportConfig
from scout_edge.errors import ConfigError, TransportError, missing_extra
from scout_edge.spool import Record

log = logging.getLogger(__name__)


class Transport(Protocol):
    name: str

    def send(self, records: Sequence[Record]) -> list[int]: ...

    def recover(self) -> list[str]:
        """Event ids already delivered by an earlier process that died before the spool was told."""
        ...

    def maintain(self) -> None:
        """Periodic housekeeping (file rotation by age); called by the forwarder even when idle."""
        ...

    def close(self) -> None: ...


class FileTransport:
    name = "file"

    def __init__(self, landing_dir: Path, writer: str, rotate_bytes: int = 4 << 20, rotate_seconds: float = 60.0):
        self.landing_dir = Path(landing_dir)
        self.writer = re.sub(r"[^\w.-]", "_", writer)
        self.rotate_bytes = rotate_bytes
        self.rotate_seconds = rotate_seconds
        self._open: dict[str, tuple[Any, Path, float]] = {}  # hub -> (file, part path, opened at)

    def _part_for(self, hub: str) -> Any:
        if hub not in self._open:
            folder = self.landing_dir / hub
            folder.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            part = folder / f".{self.writer}-{stamp}.jsonl.part"
            self._open[hub] = (part.open("a", encoding="utf-8"), part, time.monotonic())
        return self._open[hub][0]

    def send(self, records: Sequence[Record]) -> list[int]:
        try:
            for hub, group in groupby(records, key=lambda r: r.hub):
                out = self._part_for(hub)
                out.write("".join(r.payload + "\n" for r in group))
            for out, _, _ in self._open.values():
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise TransportError(f"cannot write to the landing zone {self.landing_dir}: {exc}") from exc
        self.maintain()
        return [r.seq for r in records]

    def maintain(self) -> None:
        now = time.monotonic()
        for hub, (out, _, opened) in list(self._open.items()):
            if out.tell() >= self.rotate_bytes or now - opened >= self.rotate_seconds:
                self._finish(hub)

    def _finish(self, hub: str) -> None:
        out, part, _ = self._open.pop(hub)
        empty = out.tell() == 0
        out.close()
        if empty:
            part.unlink()
        else:
            _publish(part)

    def recover(self) -> list[str]:
        """Finish the part files a killed writer left behind; their events were written, so ack them."""
        delivered: list[str] = []
        for part in sorted(self.landing_dir.glob(f"*/.{self.writer}-*.jsonl.part")):
            if any(part == p for _, p, _ in self._open.values()):
                continue
            with part.open(encoding="utf-8") as lines:
                for line in lines:
                    try:
                        delivered.append(json.loads(line)["event_id"])
                    except (ValueError, KeyError, TypeError):
                        continue  # an injected malformed line: it has no id to ack
            _publish(part)
        return delivered

    def close(self) -> None:
        for hub in list(self._open):
            self._finish(hub)


def _publish(part: Path) -> None:
    final = part.with_name(part.name[1:].removesuffix(".part"))
    os.replace(part, final)


class KafkaTransport:
    name = "kafka"

    def __init__(
        self,
        bootstrap_servers: str,
        connection_string: str | None = None,
        timeout_s: float = 10.0,
        topic_prefix: str = "",
    ):
        try:
            from confluent_kafka import Producer
        except ImportError:
            raise missing_extra("confluent-kafka", "kafka") from None
        conf: dict[str, Any] = {
            "bootstrap.servers": bootstrap_servers,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 20,
            "compression.type": "lz4",
            "message.timeout.ms": int(timeout_s * 1000),
            "socket.connection.setup.timeout.ms": int(timeout_s * 1000),
            "log_level": 3,
        }
        if connection_string:
            conf.update(eventhubs_kafka_options(connection_string))
        self.bootstrap = conf["bootstrap.servers"]
        self.topic_prefix = topic_prefix
        self._producer = Producer(conf, logger=log)

    def send(self, records: Sequence[Record]) -> list[int]:
        acked: list[int] = []
        errors: list[str] = []

        def delivered(seq: int) -> Callable[[Any, Any], None]:
            def callback(err: Any, _msg: Any) -> None:
                (errors.append(str(err)) if err else acked.append(seq))

            return callback

        for r in records:
            while True:
                try:
                    self._producer.produce(
                        self.topic_prefix + r.hub, value=r.payload, key=r.key, on_delivery=delivered(r.seq)
                    )
                    break
                except BufferError:  # local queue full: let deliveries drain
                    self._producer.poll(0.1)
        # message.timeout.ms bounds this: every message gets its callback, delivered or failed.
        while len(self._producer):
            self._producer.flush(1.0)
        if errors and not acked:
            raise TransportError(f"Kafka at {self.bootstrap} did not take the batch: {errors[0]}")
        if errors:
            log.warning("Kafka: %d of %d messages failed (%s); they stay spooled", len(errors), len(records), errors[0])
        return acked

    def recover(self) -> list[str]:
        return []

    def maintain(self) -> None:
        self._producer.poll(0)

    def close(self) -> None:
        self._producer.flush(5.0)


def eventhubs_kafka_options(connection_string: str) -> dict[str, str]:
    """librdkafka settings for the Event Hubs Kafka endpoint (port 9093, SASL PLAIN over TLS)."""
    match = re.search(r"Endpoint=sb://([^/;]+)", connection_string)
    if not match:
        raise ConfigError("the Event Hubs connection string has no Endpoint=sb://<namespace>.servicebus.windows.net/")
    return {
        "bootstrap.servers": f"{match.group(1)}:9093",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "PLAIN",
        "sasl.username": "$ConnectionString",
        "sasl.password": connection_string,
    }


ProducerFactory = Callable[[str], Any]  # hub name -> an EventHubProducerClient (or the tests' stand-in)


class EventHubTransport:
    name = "eventhub"

    def __init__(self, producer_for: ProducerFactory, timeout_s: float = 10.0):
        try:
            from azure.eventhub import EventData
        except ImportError:
            raise missing_extra("azure-eventhub", "eventhub") from None
        self._event_data = EventData
        self._producer_for = producer_for
        self._producers: dict[str, Any] = {}
        self.timeout_s = timeout_s

    @classmethod
    def from_connection_string(cls, connection_string: str, websocket: bool = False, timeout_s: float = 10.0):
        from azure.eventhub import EventHubProducerClient, TransportType

        transport = TransportType.AmqpOverWebsocket if websocket else TransportType.Amqp

        def producer_for(hub: str) -> Any:
            return EventHubProducerClient.from_connection_string(
                connection_string, eventhub_name=hub, transport_type=transport, retry_total=2
            )

        return cls(producer_for, timeout_s)

    def _producer(self, hub: str) -> Any:
        if hub not in self._producers:
            self._producers[hub] = self._producer_for(hub)
        return self._producers[hub]

    def send(self, records: Sequence[Record]) -> list[int]:
        from azure.eventhub.exceptions import EventHubError

        acked: list[int] = []
        try:
            for (hub, key), group in groupby(records, key=lambda r: (r.hub, r.key)):
                producer = self._producer(hub)
                batch, seqs = producer.create_batch(partition_key=key), []
                for r in group:
                    event = self._event_data(r.payload)
                    event.content_type = "application/json"
                    try:
                        batch.add(event)
                    except ValueError:  # the batch is full: send it, start the next one
                        if not seqs:
                            raise TransportError(f"event {r.event_id} is larger than an Event Hubs batch") from None
                        producer.send_batch(batch, timeout=self.timeout_s)
                        acked += seqs
                        batch, seqs = producer.create_batch(partition_key=key), []
                        batch.add(event)
                    seqs.append(r.seq)
                producer.send_batch(batch, timeout=self.timeout_s)
                acked += seqs
        except EventHubError as exc:
            if not acked:
                raise TransportError(f"Event Hubs refused the batch: {exc}") from exc
            log.warning("Event Hubs failed after %d events (%s); the rest stay spooled", len(acked), exc)
        return acked

    def recover(self) -> list[str]:
        return []

    def maintain(self) -> None:
        return None

    def close(self) -> None:
        for producer in self._producers.values():
            producer.close()


def from_config(config: DeviceConfig, writer: str | None = None) -> Transport:
    """The transport the device file asks for; secrets come from the environment variable it names."""
    t: TransportConfig = config.transport
    secret = config.secret(t.connection_string_env)
    if t.kind == "file":
        return FileTransport(config.path(t.landing_dir), writer or config.device_id, t.rotate_bytes, t.rotate_seconds)
    if t.kind == "kafka":
        return KafkaTransport(t.bootstrap_servers, secret, t.timeout_s, t.topic_prefix)
    if not secret:
        raise ConfigError(f"transport.kind = 'eventhub' needs the connection string in ${t.connection_string_env}")
    return EventHubTransport.from_connection_string(secret, t.websocket, t.timeout_s)
