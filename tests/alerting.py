"""What the alerting tests share: a real SMTP server on loopback (aiosmtpd) and the Airflow connection to
it, and a streaming job's state written in the formats the runner and the job write."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path

from aiosmtpd.controller import Controller

from include.orchestration.health import GOLD_TABLES
from tests.ports import free_port


class Inbox:
    """Every message the SMTP server received, parsed."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def with_subject(self, prefix: str) -> list[Message]:
        return [m for m in self.messages if m["Subject"].startswith(prefix)]


def body(message: Message) -> str:
    part = message.get_payload(0) if message.is_multipart() else message
    return part.get_payload(decode=True).decode()


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def smtp_connection(port: int) -> str:
    """AIRFLOW_CONN_SMTP_DEFAULT for the server on ``port`` (plain SMTP: loopback only)."""
    extra = {"disable_tls": True, "disable_ssl": True}
    return json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": port, "extra": extra})


def _iso(ts: datetime) -> str:
    return ts.isoformat(timespec="seconds")


def write_stopped_job(ops: Path, minutes_since_rows: float, rows_total: int) -> None:
    """An operator-stopped medallion (nothing to restart) whose gold tables last got rows that long ago."""
    ops.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    record = {
        "pid": 999_999_999,
        "created": 0.0,
        "started_at": _iso(now - timedelta(hours=2)),
        "stopped_by_operator": True,
    }
    (ops / "medallion.run.json").write_text(json.dumps(record))
    last = _iso(now - timedelta(minutes=minutes_since_rows))
    tables = {t: {"rows_total": rows_total, "last_rows_at": last, "newest_event_ts": last} for t in GOLD_TABLES}
    progress = {"job": "medallion", "state": "stopped", "started_at": record["started_at"], "tables": tables}
    (ops / "medallion.progress.json").write_text(json.dumps(progress))
