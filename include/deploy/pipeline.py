"""`make deploy-pipeline`: the streaming job's code and the edge wheel to the Databricks workspace, and the job
created or reset from its one definition (include/orchestration/runners/databricks.py ``job_spec``).

    python -m include.deploy pipeline            # build, upload, create or reset
    python -m include.deploy pipeline --dry-run  # print what it would do; needs no credentials

What goes up, under SCOUT_DATABRICKS_CODE_DIR (workspace files, through the Workspace API's import): the
two wheels ``make wheels`` builds with uv, in ``dist/`` (``scout-pipeline``: include/, whose entry point
``scout-jobs`` the streaming job runs; ``scout-edge``: the event contract), and the dbt project
(``include/dbt_project``: models, macros, dbt_project.yml), the paths the job specs name. Two jobs, each
created or reset by name:

- ``scout-medallion``: the continuous stream (``job_spec``). A deploy never starts or stops it: a new job is
  created PAUSED (``scout_streaming`` starts it), an existing one keeps its pause status.
- ``scout-marts``: ``dbt build`` of the marts on a SQL warehouse (``marts_job_spec``: a dbt task, dbt
  from PyPI in a serverless environment), run on demand.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from include.errors import PipelineStepFailed, SettingsError
from include.orchestration.runners.databricks import WHEELS, DatabricksRunner, job_spec, wheel_name, wheel_paths
from include.settings import DBT_PROJECT_DIR, DBT_SCHEDULED_EXCLUDE, MARTS_SCHEMA, PROJECT_ROOT, Settings

EDGE_DIR = PROJECT_ROOT / "edge"
UV = PROJECT_ROOT / ".venv" / "bin" / "uv"
JOBS = ("medallion",)


@dataclass(frozen=True)
class Upload:
    source: Path
    target: str  # a workspace path


DBT_ADAPTER = "dbt-databricks==1.12.7"  # as dbt-requirements.txt pins it (a test keeps them in step)


def marts_job_spec(settings: Settings) -> dict[str, Any]:
    """The Jobs API 2.2 settings of the dbt marts job: one dbt task over the uploaded project."""
    return {
        "name": "scout-marts",
        "description": "Scout's dbt marts (scout_lakehouse -> scout_marts), managed by Airflow.",
        "tags": {"project": "scout", "managed-by": "airflow", "job": "marts"},
        "max_concurrent_runs": 1,
        "tasks": [
            {
                "task_key": "dbt_build",
                "environment_key": "dbt",
                "dbt_task": {
                    "source": "WORKSPACE",
                    "project_directory": f"{settings.databricks_code_dir}/{DBT_PROJECT_DIR.relative_to(PROJECT_ROOT)}",
                    "commands": [f"dbt build --exclude {DBT_SCHEDULED_EXCLUDE}"],
                    "catalog": settings.catalog,
                    "schema": MARTS_SCHEMA,
                    "warehouse_id": settings.databricks_warehouse_id or "<SCOUT_DATABRICKS_WAREHOUSE_ID>",
                },
            }
        ],
        "environments": [{"environment_key": "dbt", "spec": {"client": "2", "dependencies": [DBT_ADAPTER]}}],
        "email_notifications": {"on_failure": [settings.alert_email]},
    }


def code_files(settings: Settings) -> list[Upload]:
    """The dbt project's sources (not its target/, logs/ or local profiles.yml): the marts job runs them."""
    root = settings.databricks_code_dir
    sources = [
        p
        for p in DBT_PROJECT_DIR.rglob("*")
        if p.suffix in {".sql", ".yml", ".md"}
        and not {"target", "logs"} & set(p.relative_to(DBT_PROJECT_DIR).parts)
        and p.name != "profiles.yml"  # Databricks writes the warehouse's profile itself
    ]
    return [Upload(p, f"{root}/{p.relative_to(PROJECT_ROOT).as_posix()}") for p in sorted(sources)]


def build_wheels(out_dir: Path) -> list[Path]:
    """Both wheels, built fresh into ``out_dir``, in the order of ``WHEELS`` (their names are the job's)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    wheels = []
    for distribution, source in zip(WHEELS, (PROJECT_ROOT, EDGE_DIR), strict=True):
        wheel = out_dir / wheel_name(distribution)
        wheel.unlink(missing_ok=True)
        before = set(source.iterdir())
        done = subprocess.run(
            [str(UV), "build", "--quiet", "--wheel", "--out-dir", str(out_dir), str(source)],
            capture_output=True,
            text=True,
        )
        for leftover in set(source.iterdir()) - before:  # setuptools' scratch (build/, *.egg-info) in the tree
            shutil.rmtree(leftover, ignore_errors=True)
        if done.returncode or not wheel.exists():
            raise PipelineStepFailed(f"building the {distribution} wheel failed: {done.stderr.strip()[-500:]}")
        wheels.append(wheel)
    return wheels


def check_connection(settings: Settings) -> None:
    """One line naming what to set when the workspace connection is missing (never its value)."""
    from airflow.exceptions import AirflowNotFoundException
    from airflow.sdk import BaseHook

    try:
        conn = BaseHook.get_connection(settings.databricks_conn_id)
    except AirflowNotFoundException:
        raise SettingsError(
            f"no Airflow connection {settings.databricks_conn_id!r} to the Databricks workspace: set"
            f" AIRFLOW_CONN_{settings.databricks_conn_id.upper()} (host and token) or SCOUT_DATABRICKS_CONN_ID"
        ) from None
    if not conn.host or not conn.password:
        raise SettingsError(f"the connection {settings.databricks_conn_id!r} needs a host and a token (password)")


def plan(settings: Settings) -> list[str]:
    """What a deploy does, one line a step (the dry run prints it)."""
    files = code_files(settings)
    lines = [
        "build the wheels with uv (make wheels): scout-pipeline from include/, scout-edge from edge/",
        *(f"upload {path}" for path in wheel_paths(settings)),
        f"upload the dbt project ({len(files)} files) to {settings.databricks_code_dir}/include/dbt_project/",
    ]
    for job in JOBS:
        spec = job_spec(settings, job)
        cluster = spec["job_clusters"][0]["new_cluster"]
        lines.append(
            f"create or reset the job {spec['name']} (continuous; {cluster['spark_version']},"
            f" {cluster['node_type_id']} x {cluster['autoscale']['min_workers']}-{cluster['autoscale']['max_workers']},"
            f" {cluster['runtime_engine']}; tables in {settings.catalog}.{settings.lakehouse_schema});"
            " a new job starts PAUSED, an existing one keeps its pause status"
        )
    dbt = marts_job_spec(settings)["tasks"][0]["dbt_task"]
    lines.append(
        f"create or reset the job scout-marts (dbt build on SQL warehouse {dbt['warehouse_id']},"
        f" into {dbt['catalog']}.{dbt['schema']}; {DBT_ADAPTER})"
    )
    if not settings.databricks_warehouse_id:
        lines.append("set SCOUT_DATABRICKS_WAREHOUSE_ID before a real deploy (the marts job needs a SQL warehouse)")
    return lines


class PipelineDeploy:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _api(self, method: str, endpoint: str, body: dict[str, Any]) -> Any:
        return DatabricksRunner(self.settings).hook._do_api_call((method, endpoint), body)

    def upload(self, source: Path, target: str) -> None:
        self._api("POST", "2.0/workspace/mkdirs", {"path": target.rsplit("/", 1)[0]})
        content = base64.b64encode(source.read_bytes()).decode()
        self._api(
            "POST", "2.0/workspace/import", {"path": target, "format": "AUTO", "content": content, "overwrite": True}
        )

    def deploy_job(self, job: str) -> tuple[int, str]:
        """Create the job PAUSED, or reset it keeping its pause status; (job id, "created" | "reset")."""
        runner = DatabricksRunner(self.settings, job)
        existing = runner.hook.find_job_id_by_name(runner.name)
        pause = "PAUSED"
        if existing is not None:
            current = self._api("GET", "2.2/jobs/get", {"job_id": existing})["settings"]
            pause = (current.get("continuous") or {}).get("pause_status", "PAUSED")
        spec = job_spec(self.settings, job)
        spec["continuous"] = {"pause_status": pause}
        return runner.deploy(spec), "created" if existing is None else "reset"

    def run(self, out_dir: Path, say=print) -> dict[str, Any]:
        check_connection(self.settings)
        if not self.settings.databricks_warehouse_id:
            raise SettingsError(
                "no SCOUT_DATABRICKS_WAREHOUSE_ID: the id of the SQL warehouse the marts job runs dbt on"
            )
        wheels = build_wheels(out_dir)
        say(f"built {', '.join(w.name for w in wheels)}")
        for wheel, target in zip(wheels, wheel_paths(self.settings), strict=True):
            self.upload(wheel, target)
        files = code_files(self.settings)
        for upload in files:
            self.upload(upload.source, upload.target)
        say(f"uploaded the wheels and the dbt project ({len(files)} files) to {self.settings.databricks_code_dir}")
        jobs = {}
        for job in JOBS:
            job_id, how = self.deploy_job(job)
            jobs[job] = job_id
            say(f"{how} job {job_spec(self.settings, job)['name']} (id {job_id})")
        runner = DatabricksRunner(self.settings, "marts")
        existed = runner.hook.find_job_id_by_name("scout-marts") is not None
        jobs["marts"] = runner.deploy(marts_job_spec(self.settings))
        say(f"{'reset' if existed else 'created'} job scout-marts (id {jobs['marts']})")
        return {"wheels": [w.name for w in wheels], "files": len(files), "jobs": jobs}
