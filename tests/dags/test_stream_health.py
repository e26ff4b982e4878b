"""scout_stream_health under dag.test(), against a real SMTP server on loopback (aiosmtpd): a stale gold
table is e-mailed once per breach and once on recovery, the `sla` task fails while it lasts, and the
gold tables that advanced emit their Asset events.

The job's state here is written in the formats the runner and the job write (run record, progress
record); tests/integration/test_stream_runner.py has the real job write them."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from include.local.airflow import prepare_airflow
from include.orchestration.health import GOLD_TABLES
from include.settings import DAGS_DIR


class Inbox:
    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def ops(tmp_path, monkeypatch, smtp, settings):
    prepare_airflow(settings)
    _, port = smtp
    conn = {"conn_type": "smtp", "host": "127.0.0.1", "port": port, "extra": {"disable_tls": True, "disable_ssl": True}}
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps(conn))
    monkeypatch.setenv("SCOUT_HOME", str(tmp_path))
    monkeypatch.setenv("SCOUT_ALERT_EMAIL", "oncall@scout.test")
    monkeypatch.setenv("SCOUT_FRESHNESS_SLA", "15 minutes")
    (tmp_path / "ops").mkdir()
    return tmp_path / "ops"


def iso(ts: datetime) -> str:
    return ts.isoformat(timespec="seconds")


def write_state(ops, minutes_since_rows: float, rows_total: int) -> None:
    """An operator-stopped job (nothing to restart) whose gold tables last got rows that long ago."""
    now = datetime.now(UTC)
    record = {
        "pid": 999_999_999,
        "created": 0.0,
        "started_at": iso(now - timedelta(hours=2)),
        "stopped_by_operator": True,
    }
    (ops / "medallion.run.json").write_text(json.dumps(record))
    last = iso(now - timedelta(minutes=minutes_since_rows))
    tables = {t: {"rows_total": rows_total, "last_rows_at": last, "newest_event_ts": last} for t in GOLD_TABLES}
    progress = {"job": "medallion", "state": "stopped", "started_at": record["started_at"], "tables": tables}
    (ops / "medallion.progress.json").write_text(json.dumps(progress))


def run_health():
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=DAGS_DIR / "scout_stream_health.py").get_dag("scout_stream_health")
    run = dag.test()
    return run.state, {ti.task_id: ti.state for ti in run.get_task_instances()}


def test_a_stale_gold_is_alerted_once_then_its_recovery(ops, smtp):
    inbox, _ = smtp
    inbox.messages.clear()
    write_state(ops, minutes_since_rows=40, rows_total=10)

    state, tasks = run_health()
    assert (state, tasks["check"], tasks["sla"]) == ("failed", "success", "failed")
    (alert,) = inbox.messages
    assert alert["To"] == "oncall@scout.test"
    assert alert["Subject"] == f"[scout] freshness SLA missed (15 min): {', '.join(GOLD_TABLES)}"
    body = alert.get_payload(0).get_payload(decode=True).decode() if alert.is_multipart() else alert.get_payload()
    assert "gold_store_interaction_metrics: last rows 40.0 min ago" in body
    assert "stopped by an operator" in body and "/dags/scout_stream_health" in body
    assert {tasks[f"advanced_{t}"] for t in GOLD_TABLES} == {"success"}  # first sight: every table's rows are new

    state, tasks = run_health()  # still stale: no second alert, the SLA task still fails
    assert (state, tasks["sla"], len(inbox.messages)) == ("failed", "failed", 1)
    assert {tasks[f"advanced_{t}"] for t in GOLD_TABLES} == {"skipped"}  # nothing new: no Asset events

    write_state(ops, minutes_since_rows=1, rows_total=25)  # the job wrote again
    state, tasks = run_health()
    assert (state, tasks["sla"]) == ("success", "success")
    assert [m["Subject"] for m in inbox.messages[1:]] == [f"[scout] freshness recovered: {', '.join(GOLD_TABLES)}"]
    assert {tasks[f"advanced_{t}"] for t in GOLD_TABLES} == {"success"}


def test_the_advanced_tables_emit_their_asset_events(ops, smtp):
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    def events() -> int:
        with create_session() as session:
            return session.scalar(
                select(func.count())
                .select_from(AssetEvent)
                .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
                .where(AssetModel.uri == "x-scout://lakehouse/gold_store_interaction_metrics")
            )

    write_state(ops, minutes_since_rows=1, rows_total=5)
    before = events()
    run_health()
    assert events() == before + 1
    run_health()  # no new rows: no event
    assert events() == before + 1
