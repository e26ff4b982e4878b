"""`make demo`'s failure path: a failed task stops the run with the task named and a non-zero exit."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys

from include.errors import PipelineStepFailed
from include.local import cli
from include.local.airflow import pools, private_file
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


def test_a_failed_task_is_named_on_a_quiet_terminal(tmp_path):
    """`make demo`'s way of running a DAG: a line per task on the terminal, Airflow's logs in the file, and
    a failed task named in its line and in the error."""
    # Airflow fixes its DAGs folder at import, so this DAG runs in a fresh interpreter pointed at it.
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "breaks.py").write_text(FAILING_DAG)
    log = tmp_path / "demo.log"
    script = (
        "from pathlib import Path; from include.local import airflow; from include.settings import load_settings\n"
        "from include.local.progress import output_to, quiet_run\n"
        f"dags = Path({str(dags)!r})\n"
        f"with output_to(Path({str(log)!r})) as terminal:\n"
        "    airflow.prepare_airflow(load_settings(), dags)\n"
        "    quiet_run(lambda: airflow.run_dag('breaks', dags), terminal)\n"
    )
    env = {**os.environ, "SCOUT_HOME": str(tmp_path / "home")}
    env.pop("AIRFLOW_HOME")
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last == "include.errors.PipelineStepFailed: DAG breaks ended failed; failed: explode"
    shown = [re.sub(r"\(\d+ s\)$", "(N s)", line.strip()) for line in result.stdout.splitlines()]
    assert shown == [
        f"{'fine':<34} done (N s)",
        f"{'explode':<34} FAILED: boom (N s)",
    ]
    logged = log.read_text()
    assert "[DAG TEST] end task task_id=fine" in logged and "RuntimeError: boom" in logged


def test_the_command_exits_non_zero_with_the_error(monkeypatch, capsys):
    def fail():
        raise PipelineStepFailed("DAG scout_slice ended failed; failed: silver")

    monkeypatch.setitem(cli.COMMANDS, "demo", fail)
    assert cli.main(["demo"]) == 1
    assert capsys.readouterr().err == "FAILED: DAG scout_slice ended failed; failed: silver\n"
    assert cli.main(["nope"]) == 2


def test_the_dbt_pool_cosmos_uses_is_the_one_airflow_settings_defines():
    from include.orchestration.dbt import DBT_POOL, operator_args

    assert operator_args()["pool"] == DBT_POOL
    assert pools()[DBT_POOL][0] == 1  # one dbt-spark session at a time (embedded Derby metastore)


def test_the_demo_summary_counts_clips_and_says_when_audio_url_is_deprecated(tmp_path, monkeypatch):
    from include.local import demo
    from include.retail_db import config, migrate
    from include.rollback import database
    from include.rollback.request import Direction, Request
    from tests.sql import rows

    url = f"sqlite:///{tmp_path / 'retail_advisor.db'}"
    migrate.upgrade(url)
    monkeypatch.setattr(config, "database_url", lambda: url)
    (line,) = demo._retail_db_lines()
    assert line.endswith(": 0 interactions, 0 transcripts (0 with AudioURL), 0 brand mentions")

    database.run(url, Request(Direction.DEPRECATE, dry_run=False))  # the column goes (the rollback's step)
    assert "AudioURL" not in {r[1] for r in rows(url, 'PRAGMA table_info("SalesInteractionTranscripts")')}
    (line,) = demo._retail_db_lines()
    assert line.endswith(": 0 interactions, 0 transcripts (AudioURL deprecated), 0 brand mentions")


def test_the_passwords_file_is_made_private_and_keeps_what_it_holds(tmp_path):
    fresh = private_file(tmp_path / "airflow" / "passwords.json")
    assert fresh.read_text() == "" and stat.S_IMODE(fresh.stat().st_mode) == 0o600
    earlier = tmp_path / "earlier.json"
    earlier.write_text('{"admin": "s3cret"}')
    earlier.chmod(0o644)  # as Airflow leaves one it created itself
    assert private_file(earlier).read_text() == '{"admin": "s3cret"}'
    assert stat.S_IMODE(earlier.stat().st_mode) == 0o600
