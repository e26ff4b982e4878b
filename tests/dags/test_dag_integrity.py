"""DAG integrity: every file in dags/ parses cleanly and without touching anything heavy or remote. (How
fast is a time, checked by `make lint`: tools/dag_parse_budget.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from include.settings import DAGS_DIR

PROBE = Path(__file__).with_name("parse_probe.py")
# The freshness verdict: alerted another way (the e-mail `check` sends once per breach), and not retried
# (a retry 30 s later would find the same stale table).
ALERTED_ELSEWHERE = NOT_RETRIED = {("scout_stream_health", "sla")}


def parse(dags_folder: Path) -> dict:
    env = {**os.environ, "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder)}
    result = subprocess.run(
        [sys.executable, str(PROBE), str(dags_folder)], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def problems(report: dict) -> list[str]:
    """Everything wrong with a parse report, as readable sentences (empty when the folder is fine)."""
    found = [
        f"import error in {path}: {error.strip().splitlines()[-1]}" for path, error in report["import_errors"].items()
    ]
    files_with_dags = {d["file"] for d in report["dags"].values()}
    found += [f"{f} defines no DAG" for f in report["files"] if f not in files_with_dags]
    for dag_id, dag in report["dags"].items():
        if not dag["tags"]:
            found.append(f"DAG {dag_id} has no tags")
        if not dag["owner"] or dag["owner"] == "airflow":
            found.append(f"DAG {dag_id} has no owner in default_args")
        if not all(r and r > 0 for t, r in dag["retries"].items() if (dag_id, t) not in NOT_RETRIED):
            found.append(f"DAG {dag_id} has tasks without retries")
        unalerted = [t for t in dag["unalerted"] if (dag_id, t) not in ALERTED_ELSEWHERE]
        if unalerted:
            found.append(f"DAG {dag_id} has tasks whose failure e-mails no one: {', '.join(unalerted)}")
    found += [f"heavy module imported at parse time: {m}" for m in report["heavy_modules"]]
    found += [f"lookup while parsing: {what}" for what in report["lookups"]]
    found += [f"database query while parsing: {q}" for q in report["queries"]]
    return found


@pytest.fixture(scope="module")
def project_report() -> dict:
    return parse(DAGS_DIR)


def test_project_dags_parse_cleanly(project_report):
    assert problems(project_report) == []
    assert "scout_slice" in project_report["dags"]


def write_dag(folder: Path, name: str, top: str, alert: str = "lambda context: None") -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(
        textwrap.dedent(
            """
            from datetime import datetime
            from airflow.sdk import dag, task
            {top}

            @dag(start_date=datetime(2026, 1, 1), schedule=None, tags=["t"],
                 default_args={{"owner": "me", "retries": 1, "on_failure_callback": {alert}}})
            def {name}():
                @task
                def noop():
                    pass
                noop()

            {name}()
            """
        ).format(top=top, name=name.removesuffix(".py"), alert=alert)
    )


def test_the_check_catches_pyspark_imported_at_module_level(tmp_path):
    write_dag(tmp_path, "heavy.py", "import pyspark.sql")
    assert problems(parse(tmp_path)) == ["heavy module imported at parse time: pyspark"]


def test_the_check_catches_a_connection_lookup_at_module_level(tmp_path):
    write_dag(
        tmp_path,
        "lookup.py",
        "from airflow.sdk import BaseHook\ntry:\n    BaseHook.get_connection('x')\nexcept Exception:\n    pass",
    )
    assert problems(parse(tmp_path)) == ["lookup while parsing: BaseHook.get_connection('x',)"]


def test_the_check_catches_a_task_without_a_failure_alert(tmp_path):
    write_dag(tmp_path, "silent.py", "", alert="None")
    assert problems(parse(tmp_path)) == ["DAG silent has tasks whose failure e-mails no one: noop"]


def test_the_check_catches_a_dag_without_tags_or_retries(tmp_path):
    (tmp_path / "bare.py").write_text(
        "from datetime import datetime\nfrom airflow.sdk import DAG\n"
        "from airflow.providers.standard.operators.empty import EmptyOperator\n"
        "with DAG('bare', start_date=datetime(2026, 1, 1), schedule=None):\n    EmptyOperator(task_id='e')\n"
    )
    assert problems(parse(tmp_path)) == [
        "DAG bare has no tags",
        "DAG bare has no owner in default_args",
        "DAG bare has tasks without retries",
        "DAG bare has tasks whose failure e-mails no one: e",
    ]
