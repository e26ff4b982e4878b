"""The deploy commands. `deploy pipeline` against the stand-in Databricks workspace
(tests/databricks_workspace.py): the edge wheel built and uploaded with the job's code, the streaming job
created once and reset after, its pause status left as the operator set it. `deploy infra` and `deploy
airflow` with stand-in `terraform` and `astro` executables that record what they were asked (the real ones
need Azure and Astronomer): plan always, apply only with --confirm. The dry runs and every missing tool or
credential, as a user would meet them: one line, exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from include.deploy.pipeline import PipelineDeploy, code_files, marts_job_spec
from include.orchestration.runners.databricks import DatabricksRunner
from include.settings import PROJECT_ROOT, load_settings

DEPLOY = [sys.executable, "-m", "include.deploy", "pipeline"]


@pytest.fixture
def workspace(databricks_workspace, monkeypatch):
    monkeypatch.setenv("SCOUT_DATABRICKS_WAREHOUSE_ID", "wh-123")
    return databricks_workspace


def jobs_by_name(ws) -> dict[str, dict]:
    return {job["settings"]["name"]: job for job in ws.jobs.values()}


def test_deploy_uploads_the_code_and_creates_the_jobs_once_then_resets_them(workspace, tmp_path):
    settings = load_settings()
    first = PipelineDeploy(settings).run(tmp_path / "dist", say=lambda line: None)

    jobs = jobs_by_name(workspace)
    assert set(jobs) == {"scout-medallion", "scout-marts"}
    job = jobs["scout-medallion"]
    assert first["jobs"] == {"medallion": job["job_id"], "marts": jobs["scout-marts"]["job_id"]}
    assert job["settings"]["continuous"] == {"pause_status": "PAUSED"}  # deploying never starts the stream
    (task,) = job["settings"]["tasks"]
    for library in task["libraries"]:  # the job installs exactly the wheels built and uploaded
        built = tmp_path / "dist" / library["whl"].rsplit("/", 1)[-1]
        assert workspace.workspace_files[library["whl"]] == built.read_bytes()
    assert len(workspace.workspace_files) == len(code_files(settings)) + 2  # the dbt project and the wheels
    with zipfile.ZipFile(tmp_path / "dist" / "scout_pipeline-0.1.0-py3-none-any.whl") as wheel:
        names = wheel.namelist()
        (entry_points,) = [n for n in names if n.endswith("entry_points.txt")]
        assert "scout-jobs = include.spark_jobs.cli:main" in wheel.read(entry_points).decode()
    assert "include/spark_jobs/medallion.py" in names and "include/spark_jobs/tables.py" in names
    assert task["python_wheel_task"]["entry_point"] == "scout-jobs"
    assert not [p for p in PROJECT_ROOT.iterdir() if p.name == "build" or p.name.endswith(".egg-info")]

    (dbt,) = [t["dbt_task"] for t in jobs["scout-marts"]["settings"]["tasks"]]
    assert (dbt["commands"], dbt["catalog"], dbt["schema"], dbt["warehouse_id"]) == (
        ["dbt build --exclude resource_type:unit_test"],
        "main",
        "scout_marts",
        "wh-123",
    )
    project = dbt["project_directory"]
    assert f"{project}/dbt_project.yml" in workspace.workspace_files
    assert f"{project}/profiles.yml" not in workspace.workspace_files  # Databricks writes the warehouse's own
    assert any(f.startswith(f"{project}/models/") and f.endswith(".sql") for f in workspace.workspace_files)

    DatabricksRunner(settings).start()  # an operator starts the stream
    (run_id,) = [r["run_id"] for r in workspace.runs.values() if r["state"]["life_cycle_state"] == "RUNNING"]
    second = PipelineDeploy(replace(settings, stream_interval="30 seconds")).run(tmp_path / "dist", say=lambda _: None)

    assert second["jobs"] == first["jobs"] and len(workspace.jobs) == 2  # reset, not duplicated
    settings_now = workspace.jobs[job["job_id"]]["settings"]
    assert settings_now["continuous"] == {"pause_status": "UNPAUSED"}  # as the operator left it
    assert settings_now["tasks"][0]["python_wheel_task"]["parameters"][-1] == "30 seconds"  # the new settings
    assert workspace.runs[run_id]["state"]["life_cycle_state"] == "RUNNING"  # a deploy does not stop it


def test_the_marts_job_installs_the_dbt_adapter_the_project_pins():
    (environment,) = marts_job_spec(load_settings({"SCOUT_ENGINE": "databricks"}))["environments"]
    (adapter,) = environment["spec"]["dependencies"]
    assert adapter in (PROJECT_ROOT / "dbt-requirements.txt").read_text().split()


def run(command: list[str], **env: str) -> subprocess.CompletedProcess:
    secret = ("AIRFLOW_CONN_", "ARM_", "ASTRO_", "SCOUT_ASTRO_")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(secret)}
    return subprocess.run(command, cwd=PROJECT_ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120)


def fake_tool(folder, name: str, exit_status: int = 0, says: str = "") -> str:
    """An executable ``name`` that appends its arguments to ``folder/<name>.calls``, prints ``says`` on stderr
    and exits with ``exit_status``; returns a PATH with it."""
    folder.mkdir(exist_ok=True)
    tool = folder / name
    tool.write_text(f'#!/bin/sh\necho "$@" >> "{folder / name}.calls"\necho "{says}" >&2\nexit {exit_status}\n')
    tool.chmod(0o755)
    return f"{folder}:{os.environ['PATH']}"


A_WORKSPACE = json.dumps({"conn_type": "databricks", "host": "adb-1.azuredatabricks.net", "password": "dapi-x"})
CLIENT_SECRET = "sp-client-secret-4711"
SERVICE_PRINCIPAL = {
    "ARM_SUBSCRIPTION_ID": "s",
    "ARM_CLIENT_ID": "c",
    "ARM_CLIENT_SECRET": CLIENT_SECRET,
    "ARM_TENANT_ID": "t",
}


def test_the_dry_run_of_all_prints_each_plan_without_any_tool_or_credential(tmp_path):
    done = run([sys.executable, "-m", "include.deploy", "all", "--dry-run"], PATH=str(tmp_path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    headers = [line for line in lines if line.startswith("deploy ")]
    assert headers == [
        f"deploy {t} (dry run: nothing is built, uploaded or changed):" for t in ("infra", "pipeline", "airflow")
    ]
    text = "\n".join(lines)
    assert f"  - terraform -chdir={PROJECT_ROOT}/infra/terraform plan -input=false" in text
    assert "  - apply: not without --confirm" in text
    assert "  - upload /Workspace/Shared/scout/dist/scout_pipeline-0.1.0-py3-none-any.whl" in text
    assert any(line.startswith("  - create or reset the job scout-medallion (continuous;") for line in lines)
    assert "  - astro deploy <SCOUT_ASTRO_DEPLOYMENT_ID>" in text


@pytest.mark.parametrize(
    ("target", "tools", "env", "says"),
    [
        ("pipeline", [], {"SCOUT_DATABRICKS_WAREHOUSE_ID": "w"}, "no Airflow connection 'databricks_default' to"
         " the Databricks workspace: set AIRFLOW_CONN_DATABRICKS_DEFAULT (host and token) or SCOUT_DATABRICKS_CONN_ID"),
        ("pipeline", [], {"AIRFLOW_CONN_DATABRICKS_DEFAULT": A_WORKSPACE}, "no SCOUT_DATABRICKS_WAREHOUSE_ID"),
        ("infra", [], {}, "terraform is not installed"),
        ("infra", ["terraform"], {"ARM_SUBSCRIPTION_ID": "s"}, "no Azure credentials: set ARM_SUBSCRIPTION_ID with"),
        ("airflow", [], {}, "the Astro CLI is not installed"),
        ("airflow", ["astro"], {}, "no ASTRO_API_TOKEN"),
        ("airflow", ["astro"], {"ASTRO_API_TOKEN": "t"}, "no SCOUT_ASTRO_DEPLOYMENT_ID"),
    ],
)  # fmt: skip
def test_a_missing_tool_or_credential_is_one_line_and_exit_2(tmp_path, target, tools, env, says):
    path = str(tmp_path / "empty")
    for tool in tools:
        path = fake_tool(tmp_path / "bin", tool)
    done = run([sys.executable, "-m", "include.deploy", target], PATH=f"{path}:{Path(sys.executable).parent}", **env)
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("python -m include.deploy: error: ") and says in line
    assert not list((tmp_path / "bin").glob("*.calls"))  # refused before running anything


def test_infra_plans_and_applies_only_with_confirm(tmp_path):
    path = fake_tool(tmp_path / "bin", "terraform")
    calls = tmp_path / "bin" / "terraform.calls"
    home = {"SCOUT_HOME": str(tmp_path / "home"), "PATH": path, **SERVICE_PRINCIPAL}

    planned = run([sys.executable, "-m", "include.deploy", "infra"], **home)
    assert planned.returncode == 0, planned.stderr
    chdir = f"-chdir={PROJECT_ROOT}/infra/terraform"
    plan = f"{tmp_path}/home/deploy/infra.tfplan"
    assert calls.read_text().splitlines() == [f"{chdir} init -input=false", f"{chdir} plan -input=false -out={plan}"]
    assert "apply it with --confirm" in planned.stdout
    assert CLIENT_SECRET not in planned.stdout + planned.stderr  # the client secret is never printed

    calls.unlink()
    applied = run([sys.executable, "-m", "include.deploy", "infra", "--confirm"], **home)
    assert applied.returncode == 0, applied.stderr
    assert calls.read_text().splitlines()[-1] == f"{chdir} apply -input=false {plan}"


def test_airflow_checks_the_project_then_runs_astro_deploy(tmp_path):
    path = fake_tool(tmp_path / "bin", "astro")
    done = run(
        [sys.executable, "-m", "include.deploy", "airflow"],
        PATH=path,
        ASTRO_API_TOKEN="secret-token",
        SCOUT_ASTRO_DEPLOYMENT_ID="clx123",
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "bin" / "astro.calls").read_text().splitlines() == ["deploy clx123 --force"]
    assert "project and DAGs checked" in done.stdout and "secret-token" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("target", "tool", "env", "says", "secret"),
    [
        ("infra", "terraform", SERVICE_PRINCIPAL, "FAILED: `terraform init` failed", CLIENT_SECRET),
        ("airflow", "astro", {"ASTRO_API_TOKEN": "secret-token", "SCOUT_ASTRO_DEPLOYMENT_ID": "clx123"},
         "FAILED: `astro deploy` failed", "secret-token"),
    ],
)  # fmt: skip
def test_a_tool_that_fails_fails_the_deploy_with_exit_1_and_no_secret(tmp_path, target, tool, env, says, secret):
    path = fake_tool(tmp_path / "bin", tool, exit_status=1, says="Error: the service said no")
    done = run([sys.executable, "-m", "include.deploy", target], SCOUT_HOME=str(tmp_path / "home"), PATH=path, **env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert says in done.stderr and "the service said no" in done.stderr
    assert "Traceback" not in done.stderr
    assert secret not in done.stdout + done.stderr
    assert len((tmp_path / "bin" / f"{tool}.calls").read_text().splitlines()) == 1  # stopped at the first failure


def test_airflow_refuses_a_dag_that_fails_astronomers_checks_before_astro_runs(tmp_path, monkeypatch):
    from include.deploy import airflow
    from include.errors import SettingsError

    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "untagged.py").write_text(
        "from datetime import datetime\n"
        "from airflow.sdk import DAG\n"
        "from airflow.providers.standard.operators.empty import EmptyOperator\n"
        "with DAG('untagged', start_date=datetime(2026, 1, 1), schedule=None):\n"
        "    EmptyOperator(task_id='t')\n"
    )
    (dags / "broken.py").write_text("from airflow.sdk import DAG\nimport no_such_module\n")  # (names a DAG: parsed)
    monkeypatch.setenv("PATH", fake_tool(tmp_path / "bin", "astro"))
    monkeypatch.setenv("ASTRO_API_TOKEN", "secret-token")
    monkeypatch.setenv("SCOUT_ASTRO_DEPLOYMENT_ID", "clx123")
    monkeypatch.setattr(airflow, "DAGS_DIR", dags)
    with pytest.raises(SettingsError) as refused:
        airflow.run(say=lambda _: None)
    message = str(refused.value)
    assert "broken.py: import error" in message
    assert "untagged: no tags" in message and "untagged: retries < 2" in message
    assert not (tmp_path / "bin" / "astro.calls").exists()
