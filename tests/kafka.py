"""A real Kafka broker for tests: started from the project's jars on free loopback ports, once a session."""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path

import pytest

from tools import kafka_broker as broker_tool


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.fixture(scope="session")
def kafka_broker(settings):
    port, controller = _free_ports(2)
    data_dir = Path(tempfile.mkdtemp(prefix="scout-kafka-"))
    broker = broker_tool.start(settings, data_dir, port=port, controller_port=controller)
    yield broker
    broker_tool.stop(data_dir)
