"""A single-node Apache Kafka broker (KRaft mode) on 127.0.0.1, from the jars in SCOUT_HOME/kafka/libs.

    python -m tools.kafka_broker start     # format storage once, start, create the hubs' topics
    python -m tools.kafka_broker stop
    python -m tools.kafka_broker status

`make kafka` / `make kafka-stop` call these; tests start their own broker on free ports (tests/kafka.py).
Production reads the same topics from the Event Hubs Kafka endpoint instead (include/spark_jobs/sources.py).
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from include.errors import BrokerFailed, EnvironmentNotReady, ScoutError
from include.settings import Settings, load_settings
from scout_edge.contract import HUBS

PARTITIONS = 2


@dataclass(frozen=True)
class Broker:
    data_dir: Path
    port: int
    controller_port: int
    pid: int

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"


def libs_dir(settings: Settings) -> Path:
    return settings.home / "kafka" / "libs"


def _properties(data_dir: Path, port: int, controller_port: int) -> str:
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
            f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            f"log.dirs={data_dir / 'logs'}",
            f"num.partitions={PARTITIONS}",
            "offsets.topic.replication.factor=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=false",
        ]
    )


def _java(settings: Settings, *args: str) -> list[str]:
    libs = libs_dir(settings)
    if not (libs / ".stamp").exists():
        raise EnvironmentNotReady(f"Kafka jars are missing in {libs}; fetch them with `make kafka-jars`")
    return ["java", "-Xmx512m", "-cp", f"{libs}/*", *args]


def _cluster_id() -> str:
    """A random cluster id as Kafka writes them: base64url of a UUID, never starting with '-' (which
    StorageTool's argument parser would take for an option, as Kafka's own ``Uuid.randomUuid`` avoids)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def start(
    settings: Settings, data_dir: Path, port: int = 9092, controller_port: int = 9093, timeout: float = 60.0
) -> Broker:
    """Start a broker whose state lives in ``data_dir`` and create one topic per hub."""
    if _listening(port):
        raise BrokerFailed(f"127.0.0.1:{port} is already in use; stop the other broker (`make kafka-stop`)")
    data_dir.mkdir(parents=True, exist_ok=True)
    props = data_dir / "server.properties"
    props.write_text(_properties(data_dir, port, controller_port))
    if not (data_dir / "logs" / "meta.properties").exists():
        cluster_id = _cluster_id()
        formatted = subprocess.run(
            _java(settings, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(props)),
            capture_output=True,
            text=True,
        )
        if formatted.returncode:
            raise BrokerFailed(f"Kafka could not format {data_dir / 'logs'}: {formatted.stderr.strip()[-2000:]}")
    log = (data_dir / "broker.log").open("w")
    process = subprocess.Popen(
        _java(settings, "kafka.Kafka", str(props)), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + timeout
    while not _listening(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            tail = (data_dir / "broker.log").read_text()[-2000:]
            raise BrokerFailed(f"Kafka broker did not start on 127.0.0.1:{port}:\n{tail}")
        time.sleep(0.3)
    (data_dir / "broker.pid").write_text(str(process.pid))
    broker = Broker(data_dir, port, controller_port, process.pid)
    create_topics(broker.bootstrap, list(HUBS))
    return broker


def create_topics(bootstrap: str, topics: list[str], partitions: int = PARTITIONS) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    existing = set(admin.list_topics(timeout=30).topics)
    wanted = [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in topics if t not in existing]
    for topic, future in (admin.create_topics(wanted) if wanted else {}).items():
        try:
            future.result(timeout=30)
        except Exception as error:
            raise BrokerFailed(f"could not create topic {topic}: {error}") from error


def stop(data_dir: Path, timeout: float = 30.0) -> bool:
    """Stop the broker whose pid file is in ``data_dir``; False if none was running."""
    pid_file = data_dir / "broker.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    try:
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _reaped(pid):
                break
            os.killpg(pid, 0)  # raises ProcessLookupError once it is gone
            time.sleep(0.3)
        else:
            os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    pid_file.unlink()
    return True


def _reaped(pid: int) -> bool:
    """Reap the broker if this process started it (else the exited JVM lingers as a zombie)."""
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    except ChildProcessError:
        return False


def main(argv: list[str]) -> int:
    settings = load_settings()
    data_dir = settings.home / "kafka" / "broker"
    port = int(settings.kafka_bootstrap.rsplit(":", 1)[1])
    try:
        if argv == ["start"]:
            broker = start(settings, data_dir, port=port, controller_port=port + 1)
            print(f"Kafka broker on {broker.bootstrap} (pid {broker.pid}); topics: {', '.join(HUBS)}")
        elif argv == ["stop"]:
            print("stopped" if stop(data_dir) else "no broker was running")
        elif argv == ["status"]:
            print(f"listening on 127.0.0.1:{port}" if _listening(port) else "not running")
        else:
            print("usage: python -m tools.kafka_broker {start|stop|status}", file=sys.stderr)
            return 2
    except ScoutError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
