"""scout_stream_health under dag.test(), against a real SMTP server on loopback (aiosmtpd): a stale gold
table is e-mailed once per breach and once on recovery, the `sla` task fails while it lasts, and the
gold tables that advanced emit their Asset events.

The job's state here is written in the formats the runner and the job write (run record, progress
record); tests/integration/test_stream_runner.py has the real job write them."""

from __future__ import annotations

import re

import pytest

from include.local.airflow import prepare_airflow
from include.orchestration.health import GOLD_TABLES
from include.settings import DAGS_DIR
from tests.alerting import body, smtp_connection, smtp_server, write_stopped_job


@pytest.fixture(scope="module")
def smtp():
    with smtp_server() as server:
        yield server


@pytest.fixture
def ops(tmp_path, monkeypatch, smtp, settings):
    prepare_airflow(settings)
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(smtp[1]))
    monkeypatch.setenv("SCOUT_HOME", str(tmp_path))
    monkeypatch.setenv("SCOUT_ALERT_EMAIL", "oncall@scout.test")
    monkeypatch.setenv("SCOUT_FRESHNESS_SLA", "15 minutes")
    return tmp_path / "ops"


def run_health():
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=DAGS_DIR / "scout_stream_health.py").get_dag("scout_stream_health")
    run = dag.test()
    return run.state, {ti.task_id: ti.state for ti in run.get_task_instances()}


def test_a_stale_gold_is_alerted_once_then_its_recovery(ops, smtp):
    inbox, _ = smtp
    inbox.messages.clear()
    write_stopped_job(ops, minutes_since_rows=40, rows_total=10)

    state, tasks = run_health()
    assert (state, tasks["check"], tasks["sla"]) == ("failed", "success", "failed")
    (alert,) = inbox.messages
    assert alert["To"] == "oncall@scout.test"
    assert alert["Subject"] == f"[scout] freshness SLA missed (15 min): {', '.join(GOLD_TABLES)}"
    text = body(alert)
    # 40 minutes when written, plus however long the run took to get to the check
    assert re.search(r"gold_store_interaction_metrics: last rows 40\.\d min ago", text)
    assert "stopped by an operator" in text and "/dags/scout_stream_health" in text
    assert {tasks[f"advanced_{t}"] for t in GOLD_TABLES} == {"success"}  # first sight: every table's rows are new

    state, tasks = run_health()  # still stale: no second alert, the SLA task still fails
    assert (state, tasks["sla"], len(inbox.messages)) == ("failed", "failed", 1)
    assert {tasks[f"advanced_{t}"] for t in GOLD_TABLES} == {"skipped"}  # nothing new: no Asset events

    write_stopped_job(ops, minutes_since_rows=1, rows_total=25)  # the job wrote again
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

    write_stopped_job(ops, minutes_since_rows=1, rows_total=5)
    before = events()
    run_health()
    assert events() == before + 1
    run_health()  # no new rows: no event
    assert events() == before + 1


def test_a_failed_task_is_emailed_with_its_dag_run_and_error(ops, smtp, monkeypatch):
    """Every DAG's tasks carry the failure notifier (DAG defaults): scout_streaming asked for the spark-submit
    engine without a master fails in its task, and that failure is e-mailed."""
    from airflow.dag_processing.dagbag import DagBag

    inbox, _ = smtp
    inbox.messages.clear()
    monkeypatch.delenv("SCOUT_SPARK_MASTER", raising=False)
    dag = DagBag(dag_folder=DAGS_DIR / "scout_streaming.py").get_dag("scout_streaming")

    run = dag.test(run_conf={"action": "status", "engine": "spark-submit"})

    assert run.state == "failed"
    (mail,) = inbox.messages
    assert mail["To"] == "oncall@scout.test"
    assert mail["Subject"] == f"[scout] scout_streaming failed: task control in run {run.run_id}"
    text = body(mail)
    assert "the spark-submit engine needs SCOUT_SPARK_MASTER" in text and "Task log" in text
