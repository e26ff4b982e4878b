"""The continuous medallion as a Databricks continuous job, driven through the Databricks provider.

The job is defined once, here (``job_spec``), from the same entry point as every other engine (the jobs'
CLI, ``<job> --trigger continuous``): a python-wheel task of the ``scout-pipeline`` wheel (include/, entry
point ``scout-jobs``) with the ``scout_edge`` wheel beside it, both built by ``make wheels``.
A continuous job has one active run, and Databricks itself restarts a run that fails (with backoff); the
runner's verbs map onto that:

| verb    | what the runner does                                                                     |
|---------|------------------------------------------------------------------------------------------|
| start   | create or reset the job (``DatabricksCreateJobsOperator``, looked up by name), UNPAUSED; |
|         | run it now if no run is active (a running job is left alone)                             |
| status  | the job's active run (``runs/list?active_only``), its pause status, the job's progress   |
|         | record read from the volume through the Files API                                        |
| stop    | PAUSE the continuous schedule (the operator's mark: nothing restarts it), cancel the run |
| restart | UNPAUSE, cancel the active run: Databricks starts a new one with the current settings    |

The workspace is the Airflow connection ``SCOUT_DATABRICKS_CONN_ID`` (host + token); the wheels are where
``make deploy-pipeline`` puts them (``SCOUT_DATABRICKS_CODE_DIR/dist``); the job's state folder (checkpoints,
progress) is the volume ``/Volumes/<catalog>/<lakehouse schema>/state``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from include.orchestration.runners import RunState
from include.settings import PROJECT_ROOT, Settings

ACTIVE = {"QUEUED", "PENDING", "RUNNING", "BLOCKED", "WAITING_FOR_RETRY"}
CLUSTER_KEY = "scout_stream"
# The job cluster, as the original pipeline ran: autoscaling workers with Photon, on a runtime with the
# Spark major version the jobs are written for (Spark 4: Databricks Runtime 17.x).
SPARK_VERSION = "17.3.x-scala2.13"
NODE_TYPE = "Standard_D4ds_v5"
WORKERS = (1, 4)
# Health rules on the streaming backlog (Databricks evaluates them and e-mails on_streaming_backlog_exceeded).
BACKLOG_SECONDS = 300
BACKLOG_RECORDS = 100_000


# The two wheels the job installs (`make wheels`): the jobs (include/, entry point `scout-jobs`) and the
# event contract they parse with (scout_edge).
WHEELS = ("scout-pipeline", "scout-edge")
ENTRY_POINT = "scout-jobs"


def wheel_name(distribution: str) -> str:
    """The wheel file `make wheels` builds for ``distribution`` (its version from the project file)."""
    import tomllib

    folder = {"scout-pipeline": PROJECT_ROOT, "scout-edge": PROJECT_ROOT / "edge"}[distribution]
    version = tomllib.loads((folder / "pyproject.toml").read_text())["project"]["version"]
    return f"{distribution.replace('-', '_')}-{version}-py3-none-any.whl"


def wheel_paths(settings: Settings) -> list[str]:
    """Where the deploy puts the wheels in the workspace (the job installs them from there)."""
    return [f"{settings.databricks_code_dir}/dist/{wheel_name(d)}" for d in WHEELS]


def job_name(job: str) -> str:
    return f"scout-{job}"


def remote_home(settings: Settings) -> str:
    """The job's SCOUT_HOME on Databricks: a Unity Catalog volume beside the lakehouse tables."""
    return f"/Volumes/{settings.catalog}/{settings.lakehouse_schema}/state"


def job_spec(settings: Settings, job: str = "medallion") -> dict[str, Any]:
    """The Jobs API 2.2 settings of the continuous ``job`` (the body of jobs/create, new_settings of reset)."""
    env = {
        "SCOUT_ENGINE": "databricks",
        "SCOUT_SOURCE": "kafka",  # the Event Hubs Kafka endpoint
        "SCOUT_CATALOG": settings.catalog,
        "SCOUT_LAKEHOUSE_SCHEMA": settings.lakehouse_schema,
        "SCOUT_HOME": remote_home(settings),
        "SCOUT_WATERMARK": settings.watermark,
        "SCOUT_ALIGN_WINDOW_S": str(settings.align_window_s),
        "SCOUT_COUNTER_ZONE": settings.counter_zone,
        # A secret reference, resolved by Databricks on the cluster: never the value itself.
        "SCOUT_EVENTHUBS_CONNECTION_STRING": "{{secrets/scout/eventhubs-connection-string}}",
    }
    parameters = [job, "--trigger", "continuous", "--interval", settings.stream_interval]
    return {
        "name": job_name(job),
        "description": f"Scout's {job} streaming job (Event Hubs -> bronze/silver/gold), managed by Airflow.",
        "tags": {"project": "scout", "managed-by": "airflow", "job": job},
        "continuous": {"pause_status": "UNPAUSED"},
        "max_concurrent_runs": 1,
        "tasks": [
            {
                "task_key": job,
                "job_cluster_key": CLUSTER_KEY,
                "python_wheel_task": {
                    "package_name": "scout_pipeline",
                    "entry_point": ENTRY_POINT,
                    "parameters": parameters,
                },
                "libraries": [{"whl": path} for path in wheel_paths(settings)],
            }
        ],
        "job_clusters": [
            {
                "job_cluster_key": CLUSTER_KEY,
                "new_cluster": {
                    "spark_version": SPARK_VERSION,
                    "node_type_id": NODE_TYPE,
                    "autoscale": {"min_workers": WORKERS[0], "max_workers": WORKERS[1]},
                    "runtime_engine": "PHOTON",
                    "data_security_mode": "SINGLE_USER",
                    "spark_env_vars": env,
                },
            }
        ],
        "health": {
            "rules": [
                {"metric": "STREAMING_BACKLOG_SECONDS", "op": "GREATER_THAN", "value": BACKLOG_SECONDS},
                {"metric": "STREAMING_BACKLOG_RECORDS", "op": "GREATER_THAN", "value": BACKLOG_RECORDS},
            ]
        },
        "email_notifications": {
            "on_failure": [settings.alert_email],
            "on_streaming_backlog_exceeded": [settings.alert_email],
        },
    }


def _iso_ms(epoch_ms: int | str | None) -> str | None:
    if not epoch_ms:
        return None
    return datetime.fromtimestamp(int(epoch_ms) / 1000, UTC).isoformat(timespec="seconds")


class DatabricksRunner:
    """``start``/``status``/``stop``/``restart`` of one continuous job in a Databricks workspace."""

    engine = "databricks"

    def __init__(self, settings: Settings, job: str = "medallion") -> None:
        self.settings = settings
        self.job = job
        self.name = job_name(job)

    @cached_property
    def hook(self):
        from airflow.providers.databricks.hooks.databricks import DatabricksHook

        return DatabricksHook(self.settings.databricks_conn_id, retry_limit=3, retry_delay=2)

    def deploy(self, spec: dict[str, Any] | None = None) -> int:
        """Create the job, or reset it to ``spec`` (default ``job_spec``) if one of that name exists; its id."""
        from airflow.providers.databricks.operators.databricks import DatabricksCreateJobsOperator

        operator = DatabricksCreateJobsOperator(
            task_id=f"deploy_{self.job}",
            json=spec or job_spec(self.settings, self.job),
            databricks_conn_id=self.settings.databricks_conn_id,
        )
        return int(operator.execute(context={}))

    def _job_id(self) -> int | None:
        return self.hook.find_job_id_by_name(self.name)

    def _runs(self, job_id: int, *, active_only: bool, limit: int = 5) -> list[dict[str, Any]]:
        # The hook has no runs/list: the provider's own API call, with the endpoint it uses for runs/get.
        params = {"job_id": job_id, "active_only": str(active_only).lower(), "limit": limit}
        return self.hook._do_api_call(("GET", "2.2/jobs/runs/list"), params).get("runs", [])

    def _progress(self) -> dict[str, Any] | None:
        """The job's progress record (include/spark_jobs/progress.py) on the volume, through the Files API."""
        from airflow.exceptions import AirflowException

        path = f"{remote_home(self.settings)}/ops/{self.job}.progress.json"
        try:
            return self.hook._do_api_call(("GET", f"2.0/fs/files{path}"))
        except AirflowException as error:
            if "404" in str(error) or "NOT_FOUND" in str(error):
                return None  # the job never got to its first batch
            raise

    def status(self) -> RunState:
        job_id = self._job_id()
        if job_id is None:
            return RunState(self.engine, self.job, running=False, detail=f"no job named {self.name} in the workspace")
        settings = self.hook._do_api_call(("GET", "2.2/jobs/get"), {"job_id": job_id})["settings"]
        paused = (settings.get("continuous") or {}).get("pause_status") == "PAUSED"
        active = [r for r in self._runs(job_id, active_only=True) if r["state"]["life_cycle_state"] in ACTIVE]
        progress = self._progress()
        if active:
            run = active[0]
            where = f"run {run['run_id']} ({run['state']['life_cycle_state']})"
            return RunState(
                self.engine,
                self.job,
                running=True,
                since=_iso_ms(run.get("start_time")),
                started_before=True,
                progress=progress,
                detail=f"job {job_id}, {where}: {run.get('run_page_url', '')}",
            )
        last = self._runs(job_id, active_only=False, limit=1)
        ended = ""
        if last:
            state = last[0]["state"]
            ended = f"the last run {last[0]['run_id']} ended {state.get('result_state', '')}"
            ended += f": {state['state_message']}" if state.get("state_message") else ""
        return RunState(
            self.engine,
            self.job,
            running=False,
            stopped_by_operator=paused,
            started_before=True,
            progress=progress,
            detail=f"job {job_id} is {'paused' if paused else 'unpaused'}" + (f"; {ended}" if ended else ""),
        )

    def start(self) -> RunState:
        state = self.status()
        job_id = self.deploy()  # a second deploy resets the job: never a duplicate
        if state.running:
            return RunState(**{**state.as_dict(), "detail": "already running: left alone (job settings reset)"})
        # Creating or unpausing a continuous job starts its run. One that was unpaused already and has no
        # run (Databricks is backing off after failures) is run now.
        if state.started_before and not state.stopped_by_operator and not self._runs(job_id, active_only=True):
            self.hook.run_now({"job_id": job_id})
        return self.status()

    def stop(self) -> RunState:
        job_id = self._job_id()
        if job_id is not None:
            self.hook.update_job(str(job_id), {"continuous": {"pause_status": "PAUSED"}})
            self.hook.cancel_all_runs(job_id)
        return self.status()

    def restart(self) -> RunState:
        job_id = self._job_id()
        if job_id is None:
            return self.start()
        self.hook.update_job(str(job_id), {"continuous": {"pause_status": "UNPAUSED"}})
        active = self._runs(job_id, active_only=True)
        for run in active:  # Databricks starts the next run of a continuous job, with the current settings
            self.hook.cancel_run(run["run_id"])
        if not active:
            self.hook.run_now({"job_id": job_id})
        return self.status()
