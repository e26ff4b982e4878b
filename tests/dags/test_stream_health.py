"""scout_stream_health under dag.test(), against a real SMTP server on loopback (aiosmtpd): a stale gold
table is e-mailed once per breach and once on recovery, the `sla` task fails while it lasts, and the
gold tables that advanced emit their Asset events.

The SLA alert and recovery are driven by the medallion job's own progress record (the real job, run in this
process); the operator-stopped and restart-limit branches by the runner's run record, written in its format
(tests/integration/test_airflow_up.py has the health DAG restart a dead job under the scheduler)."""

from __future__ import annotations

import re
import time

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


def run_health_with_check():
    """One scout_stream_health run under dag.test(): its state, each task's state, the check's report."""
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=DAGS_DIR / "scout_stream_health.py").get_dag("scout_stream_health")
    run = dag.test()
    instances = run.get_task_instances()
    (check,) = [ti for ti in instances if ti.task_id == "check"]
    return run.state, {ti.task_id: ti.state for ti in instances}, check.xcom_pull(task_ids="check")


def run_health():
    state, tasks, _ = run_health_with_check()
    return state, tasks


def medallion_writes(lake, spark, seed: int) -> None:
    """The real medallion job (available-now, in this process) on a small synthetic day: it writes the
    progress record the health DAG reads, as the continuous job does after every batch."""
    from include.local import synthetic
    from include.spark_jobs import jobs
    from include.spark_jobs.trigger import Trigger

    staged = lake.home / f"staged-{seed}"  # the day's file names are the same for every seed: rename them
    synthetic.write_landing(synthetic.generate(seed=seed, sessions_per_device=1), staged)
    for path in staged.rglob("*.jsonl"):
        landed = lake.landing_dir / path.parent.name / f"{path.stem}-seed{seed}.jsonl"
        landed.parent.mkdir(parents=True, exist_ok=True)
        path.rename(landed)
    jobs.run("medallion", spark, lake, Trigger())


@pytest.mark.spark
def test_a_real_jobs_progress_drives_the_sla_alert_once_then_its_recovery(ops, lake, spark, smtp, monkeypatch):
    """No hand-written state: the medallion job's own progress record. Its gold tables are fresh right after
    a run, stale once the SLA has passed without rows (one alert however many checks see it), and recover
    when the job writes again. The job was never started by the runner here: the check says so and starts
    nothing."""
    inbox, _ = smtp
    inbox.messages.clear()
    monkeypatch.setenv("SCOUT_HOME", str(lake.home))
    tables = ", ".join(GOLD_TABLES)

    medallion_writes(lake, spark, seed=7)
    monkeypatch.setenv("SCOUT_FRESHNESS_SLA", "1 hour")
    state, tasks, check = run_health_with_check()
    assert (state, tasks["sla"], inbox.messages) == ("success", "success", [])
    assert check["action"] == "never started here: start it with the scout_streaming DAG"
    assert {tasks[f"advanced_{t}"] for t in GOLD_TABLES} == {"success"}

    time.sleep(2)  # the rows are now older than a 1-second SLA
    monkeypatch.setenv("SCOUT_FRESHNESS_SLA", "1 second")
    state, tasks, _ = run_health_with_check()
    assert (state, tasks["check"], tasks["sla"]) == ("failed", "success", "failed")
    (alert,) = inbox.messages
    assert alert["To"] == "oncall@scout.test"
    assert alert["Subject"] == f"[scout] freshness SLA missed (0.0166667 min): {tables}"
    text = body(alert)
    assert all(re.search(rf"{t}: last rows \d+\.\d min ago", text) for t in GOLD_TABLES), text
    state, tasks, _ = run_health_with_check()  # still stale: no second alert
    assert (state, tasks["sla"], len(inbox.messages)) == ("failed", "failed", 1)
    assert {tasks[f"advanced_{t}"] for t in GOLD_TABLES} == {"skipped"}  # no new rows: no Asset events

    medallion_writes(lake, spark, seed=8)  # the job writes again
    monkeypatch.setenv("SCOUT_FRESHNESS_SLA", "1 hour")
    state, tasks, _ = run_health_with_check()
    assert (state, tasks["sla"]) == ("success", "success")
    assert [m["Subject"] for m in inbox.messages[1:]] == [f"[scout] freshness recovered: {tables}"]
    assert {tasks[f"advanced_{t}"] for t in GOLD_TABLES} == {"success"}


def test_a_stopped_jobs_stale_gold_says_an_operator_stopped_it(ops, smtp):
    """The operator-stopped branch (the runner's record): alerted, and the job is left stopped."""
    inbox, _ = smtp
    inbox.messages.clear()
    write_stopped_job(ops, minutes_since_rows=40, rows_total=10)
    state, tasks, check = run_health_with_check()
    assert (state, tasks["sla"], check["action"]) == ("failed", "failed", "left stopped (an operator stopped it)")
    (alert,) = inbox.messages
    assert re.search(r"gold_store_interaction_metrics: last rows 40\.\d min ago", body(alert))
    assert "stopped by an operator" in body(alert) and "/dags/scout_stream_health" in body(alert)


def test_a_dead_job_past_its_restart_limit_is_left_down_and_alerted(ops, smtp, monkeypatch):
    """The restart-limit branch: the job died (its process is gone, no operator stopped it) and the check
    already restarted it SCOUT_MAX_RESTARTS_PER_HOUR times this hour: it starts nothing, says why, and the
    stale gold is still alerted."""
    import json
    from datetime import UTC, datetime, timedelta

    inbox, _ = smtp
    inbox.messages.clear()
    monkeypatch.setenv("SCOUT_MAX_RESTARTS_PER_HOUR", "2")
    write_stopped_job(ops, minutes_since_rows=40, rows_total=10)
    run_file = ops / "medallion.run.json"
    died = json.loads(run_file.read_text()) | {"stopped_by_operator": False}  # pid 999999999: not alive
    run_file.write_text(json.dumps(died))
    now = datetime.now(UTC)
    restarts = [(now - timedelta(minutes=m)).isoformat(timespec="seconds") for m in (50, 20)]
    (ops / "medallion.health.json").write_text(json.dumps({"breached": {}, "restarts": restarts, "rows_seen": {}}))

    state, tasks, check = run_health_with_check()
    assert (state, tasks["sla"]) == ("failed", "failed")
    assert check["action"] == "restart limit reached: 2 restarts in the last hour, not trying again"
    assert json.loads(run_file.read_text()) == died  # nothing was started
    (alert,) = inbox.messages
    assert "restart limit reached" in body(alert)


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
