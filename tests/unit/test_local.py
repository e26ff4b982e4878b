"""`make demo`'s failure path: a failed task stops the run with the task named and a non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys

from include.errors import PipelineStepFailed
from include.local import cli
from include.local.airflow import pools
from include.settings import PROJECT_ROOT

FAILING_DAG = """
from datetime import datetime
from airflow.sdk import dag, task

@dag(start_date=datetime(2026, 1, 1), schedule=None, tags=["t"], default_args={"owner": "me", "retries": 0})
def breaks():
    @task
    def fine():
        return 1

    @task
    def explode(x):
        raise RuntimeError("boom")

    explode(fine())

breaks()
"""


def test_a_failed_task_is_named(tmp_path):
    # Airflow fixes its DAGs folder at import, so this DAG runs in a fresh interpreter pointed at it.
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "breaks.py").write_text(FAILING_DAG)
    script = (
        "from pathlib import Path; from include.local import airflow; from include.settings import load_settings\n"
        f"airflow.prepare_airflow(load_settings(), Path({str(dags)!r}))\n"
        f"airflow.run_dag('breaks', Path({str(dags)!r}))\n"
    )
    env = {**os.environ, "SCOUT_HOME": str(tmp_path / "home")}
    env.pop("AIRFLOW_HOME")
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last == "include.errors.PipelineStepFailed: DAG breaks ended failed; tasks not successful: explode"


def test_the_command_exits_non_zero_with_the_error(monkeypatch, capsys):
    def fail():
        raise PipelineStepFailed("DAG scout_slice ended failed; tasks not successful: silver")

    monkeypatch.setitem(cli.COMMANDS, "demo", fail)
    assert cli.main(["demo"]) == 1
    assert capsys.readouterr().err == "FAILED: DAG scout_slice ended failed; tasks not successful: silver\n"
    assert cli.main(["nope"]) == 2


def test_the_dbt_pool_cosmos_uses_is_the_one_airflow_settings_defines():
    from include.orchestration.dbt import DBT_POOL, operator_args

    assert operator_args()["pool"] == DBT_POOL
    assert pools()[DBT_POOL][0] == 1  # one dbt-spark session at a time (embedded Derby metastore)
