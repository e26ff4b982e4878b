"""The Databricks engine through the Databricks provider's real code (DatabricksCreateJobsOperator,
DatabricksHook), against a stand-in workspace on loopback speaking the Jobs API 2.2 (tests/databricks_workspace.py)."""

from __future__ import annotations

import json

import pytest

from include.errors import SettingsError
from include.orchestration import streaming
from include.orchestration.health import HealthCheck
from include.orchestration.runners import runner_for
from include.orchestration.runners.databricks import DatabricksRunner
from include.settings import load_settings


@pytest.fixture
def workspace(databricks_workspace, monkeypatch):
    monkeypatch.setenv("SCOUT_CATALOG", "retail")
    monkeypatch.setenv("SCOUT_ALERT_EMAIL", "oncall@scout.test")
    return databricks_workspace


def only_job(ws) -> tuple[int, dict]:
    (job,) = ws.jobs.values()
    return job["job_id"], job["settings"]


def active_runs(ws, job_id: int) -> list[int]:
    return [
        r["run_id"] for r in ws.runs.values() if r["job_id"] == job_id and r["state"]["life_cycle_state"] == "RUNNING"
    ]


def test_the_settings_choose_the_databricks_runner(workspace):
    assert isinstance(runner_for(load_settings()), DatabricksRunner)
    with pytest.raises(SettingsError, match="streaming engine 'emr' is not one of: local, spark-submit, databricks"):
        runner_for(load_settings(), engine="emr")


def test_start_creates_the_continuous_job_from_the_spec(workspace):
    state = DatabricksRunner(load_settings()).start()

    job_id, spec = only_job(workspace)
    assert spec["name"] == "scout-medallion"
    assert spec["continuous"] == {"pause_status": "UNPAUSED"}
    assert spec["max_concurrent_runs"] == "1"  # the provider sends numbers as strings; Databricks takes both
    (task,) = spec["tasks"]
    assert task["python_wheel_task"] == {
        "package_name": "scout_pipeline",
        "entry_point": "scout-jobs",
        "parameters": ["medallion", "--trigger", "continuous", "--interval", "10 seconds"],
    }
    jobs_wheel, edge_wheel = (library["whl"] for library in task["libraries"])
    assert jobs_wheel == "/Workspace/Shared/scout/dist/scout_pipeline-0.1.0-py3-none-any.whl"
    assert edge_wheel.startswith("/Workspace/Shared/scout/dist/scout_edge-") and edge_wheel.endswith(".whl")
    (cluster,) = spec["job_clusters"]
    assert cluster["job_cluster_key"] == task["job_cluster_key"]
    new_cluster = cluster["new_cluster"]
    assert (new_cluster["runtime_engine"], new_cluster["autoscale"]) == (
        "PHOTON",
        {"min_workers": "1", "max_workers": "4"},
    )
    env = new_cluster["spark_env_vars"]
    assert (env["SCOUT_CATALOG"], env["SCOUT_LAKEHOUSE_SCHEMA"]) == ("retail", "scout_lakehouse")
    assert env["SCOUT_HOME"] == "/Volumes/retail/scout_lakehouse/state"
    assert env["SCOUT_EVENTHUBS_CONNECTION_STRING"] == "{{secrets/scout/eventhubs-connection-string}}"
    assert {(r["metric"], r["op"]) for r in spec["health"]["rules"]} == {
        ("STREAMING_BACKLOG_SECONDS", "GREATER_THAN"),
        ("STREAMING_BACKLOG_RECORDS", "GREATER_THAN"),
    }
    assert spec["email_notifications"]["on_streaming_backlog_exceeded"] == ["oncall@scout.test"]

    (run_id,) = active_runs(workspace, job_id)  # the unpaused continuous job's one run
    assert state.running and f"run {run_id} (RUNNING)" in state.detail
    assert [path for method, path, _ in workspace.calls if method == "POST"] == ["/api/2.2/jobs/create"]


def test_a_second_start_resets_the_job_and_leaves_the_run_alone(workspace):
    runner = DatabricksRunner(load_settings())
    runner.start()
    job_id, _ = only_job(workspace)
    (run_id,) = active_runs(workspace, job_id)

    again = runner.start()

    assert len(workspace.jobs) == 1  # reset, not a duplicate
    assert [path for method, path, _ in workspace.calls if method == "POST"][-1] == "/api/2.2/jobs/reset"
    assert active_runs(workspace, job_id) == [run_id]
    assert again.detail == "already running: left alone (job settings reset)"


def test_status_reads_the_active_run_and_the_progress_on_the_volume(workspace):
    runner = DatabricksRunner(load_settings())
    assert runner.status().detail == "no job named scout-medallion in the workspace"
    runner.start()
    progress = {"job": "medallion", "state": "running", "batch_id": 41, "tables": {}}
    workspace.files["/Volumes/retail/scout_lakehouse/state/ops/medallion.progress.json"] = json.dumps(progress).encode()

    state = runner.status()

    assert state.running and state.progress == progress and state.since
    assert "last batch 41" in state.describe()


def test_restart_cancels_the_active_run_and_databricks_starts_the_next(workspace):
    runner = DatabricksRunner(load_settings())
    runner.start()
    job_id, _ = only_job(workspace)
    (first,) = active_runs(workspace, job_id)

    state = runner.restart()

    (second,) = active_runs(workspace, job_id)
    assert second != first and workspace.runs[first]["state"]["result_state"] == "CANCELED"
    assert ("POST", "/api/2.2/jobs/runs/cancel", {"run_id": first}) in workspace.calls
    assert state.running and f"run {second}" in state.detail


def test_stop_pauses_the_job_so_nothing_brings_it_back(workspace):
    settings = load_settings()
    runner = DatabricksRunner(settings)
    runner.start()
    job_id, _ = only_job(workspace)

    stopped = runner.stop()

    assert active_runs(workspace, job_id) == []
    assert workspace.jobs[job_id]["settings"]["continuous"] == {"pause_status": "PAUSED"}
    assert not stopped.running and stopped.stopped_by_operator
    assert "is paused; the last run" in stopped.detail and "CANCELED" in stopped.detail
    assert HealthCheck(settings, runner).run().action == "left stopped (an operator stopped it)"
    assert active_runs(workspace, job_id) == []

    started = runner.start()  # an operator's start unpauses it again
    assert started.running and workspace.jobs[job_id]["settings"]["continuous"] == {"pause_status": "UNPAUSED"}


def test_a_run_in_backoff_is_started_by_the_health_check(workspace):
    settings = load_settings()
    runner = DatabricksRunner(settings)
    runner.start()
    job_id, _ = only_job(workspace)
    workspace.fail_active_run(job_id, "Query terminated with exception: [STREAM_FAILED]")

    seen = runner.status()
    assert not seen.running and not seen.stopped_by_operator
    assert "ended FAILED: Query terminated with exception: [STREAM_FAILED]" in seen.detail

    report = HealthCheck(settings, runner).run()
    assert report.action == "restarted (1 of 3 this hour)" and report.state.running
    assert len(active_runs(workspace, job_id)) == 1


def test_the_stream_dag_task_body_drives_databricks_by_its_engine_param(workspace):
    started = streaming.control("start", engine="databricks")
    assert started["engine"] == "databricks" and started["running"]
    assert streaming.control("stop", engine="databricks")["stopped_by_operator"]
