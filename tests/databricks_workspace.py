"""A stand-in Databricks workspace on loopback: the Jobs API 2.2 and Files API JSON the Databricks provider
sends and reads, with a continuous job's behaviour (one active run; creating or unpausing the job starts
it; a cancelled run of an unpaused job is followed by a new one, as Databricks restarts it).

Only what a workspace would refuse is checked (missing name or tasks, an unknown job or run, a bad token);
every request is kept in ``calls`` so a test can see what the provider sent.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

TOKEN = "dapi-standin-token"
JOB_FIELDS = {
    "name", "description", "tags", "tasks", "job_clusters", "environments", "email_notifications",
    "webhook_notifications", "notification_settings", "timeout_seconds", "schedule", "trigger", "continuous",
    "max_concurrent_runs", "git_source", "health", "parameters", "queue", "run_as", "performance_target",
}  # fmt: skip


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Workspace:
    """The workspace's state: jobs, runs, files. Thread-safe (the server handles requests in threads)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.jobs: dict[int, dict[str, Any]] = {}
        self.runs: dict[int, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}  # the Files API's (volumes)
        self.workspace_files: dict[str, bytes] = {}  # the Workspace API's (/Workspace/...)
        self.workspace_dirs: set[str] = set()
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self._ids = itertools.count(1001)
        self.base_url = ""

    # -- jobs ------------------------------------------------------------------------------------------
    def _job(self, job_id: Any) -> dict[str, Any]:
        try:
            return self.jobs[int(job_id)]
        except (KeyError, TypeError, ValueError):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Job {job_id} does not exist.") from None

    @staticmethod
    def _check_settings(settings: dict[str, Any]) -> None:
        if unknown := set(settings) - JOB_FIELDS:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Unknown fields: {sorted(unknown)}")
        if not settings.get("name"):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "Missing required field: name")
        if not settings.get("tasks"):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "A job must have at least one task")
        if settings.get("continuous") and settings.get("schedule"):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "A job cannot have both a schedule and continuous")

    def _active(self, job_id: int) -> list[dict[str, Any]]:
        return [r for r in self.runs.values() if r["job_id"] == job_id and r["state"]["life_cycle_state"] == "RUNNING"]

    def _keep_running(self, job_id: int) -> None:
        """A continuous, unpaused job has its one run."""
        continuous = self.jobs[job_id]["settings"].get("continuous")
        if continuous and continuous.get("pause_status", "UNPAUSED") == "UNPAUSED" and not self._active(job_id):
            self._new_run(job_id)

    def _new_run(self, job_id: int) -> int:
        run_id = next(self._ids)
        self.runs[run_id] = {
            "run_id": run_id,
            "job_id": job_id,
            "start_time": int(time.time() * 1000),
            "state": {"life_cycle_state": "RUNNING", "state_message": "In run"},
            "run_page_url": f"{self.base_url}/#job/{job_id}/run/{run_id}",
        }
        return run_id

    def _cancel(self, run: dict[str, Any]) -> None:
        if run["state"]["life_cycle_state"] == "RUNNING":
            run["state"] = {"life_cycle_state": "TERMINATED", "result_state": "CANCELED", "state_message": "Canceled"}
            run["end_time"] = int(time.time() * 1000)

    def handle(self, method: str, path: str, body: dict[str, Any]) -> Any:
        with self.lock:
            self.calls.append((method, path, body))
            return self._route(method, path, body)

    def _route(self, method: str, path: str, body: dict[str, Any]) -> Any:  # noqa: C901 (one branch per endpoint)
        if method == "GET" and path.startswith("/api/2.0/fs/files/"):
            name = path.removeprefix("/api/2.0/fs/files")
            if name not in self.files:
                raise ApiError(404, "NOT_FOUND", f"The file {name} does not exist")
            return json.loads(self.files[name])
        match (method, path):
            case ("POST", "/api/2.0/workspace/mkdirs"):
                self.workspace_dirs.add(body["path"])
                return {}
            case ("POST", "/api/2.0/workspace/import"):
                target = body["path"]
                if target.rsplit("/", 1)[0] not in self.workspace_dirs:
                    raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"The parent folder of {target} does not exist")
                if target in self.workspace_files and not body.get("overwrite"):
                    raise ApiError(400, "RESOURCE_ALREADY_EXISTS", f"{target} already exists")
                self.workspace_files[target] = base64.b64decode(body["content"])
                return {}
            case ("POST", "/api/2.2/jobs/create"):
                self._check_settings(body)
                job_id = next(self._ids)
                self.jobs[job_id] = {"job_id": job_id, "settings": body, "created_time": int(time.time() * 1000)}
                self._keep_running(job_id)
                return {"job_id": job_id}
            case ("POST", "/api/2.2/jobs/reset"):
                job = self._job(body.get("job_id"))
                self._check_settings(body.get("new_settings") or {})
                job["settings"] = body["new_settings"]
                self._keep_running(job["job_id"])
                return {}
            case ("POST", "/api/2.2/jobs/update"):
                job = self._job(body.get("job_id"))
                job["settings"] = {**job["settings"], **(body.get("new_settings") or {})}
                self._keep_running(job["job_id"])
                return {}
            case ("GET", "/api/2.2/jobs/get"):
                return self._job(body.get("job_id"))
            case ("GET", "/api/2.2/jobs/list"):
                jobs = [j for j in self.jobs.values() if not body.get("name") or j["settings"]["name"] == body["name"]]
                return {"jobs": jobs} if jobs else {}
            case ("POST", "/api/2.2/jobs/run-now"):
                job = self._job(body.get("job_id"))
                if self._active(job["job_id"]):
                    raise ApiError(400, "INVALID_STATE", "The continuous job already has an active run")
                return {"run_id": self._new_run(job["job_id"]), "number_in_job": 1}
            case ("GET", "/api/2.2/jobs/runs/get"):
                if (run := self.runs.get(int(body.get("run_id", 0)))) is None:
                    raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Run {body.get('run_id')} does not exist.")
                return run
            case ("GET", "/api/2.2/jobs/runs/list"):
                runs = [r for r in self.runs.values() if str(r["job_id"]) == str(body.get("job_id"))]
                if str(body.get("active_only", "false")).lower() == "true":
                    runs = [r for r in runs if r["state"]["life_cycle_state"] == "RUNNING"]
                runs = sorted(runs, key=lambda r: -r["run_id"])[: int(body.get("limit", 25))]
                return {"runs": runs} if runs else {}
            case ("POST", "/api/2.2/jobs/runs/cancel"):
                if (run := self.runs.get(int(body.get("run_id", 0)))) is None:
                    raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Run {body.get('run_id')} does not exist.")
                self._cancel(run)
                self._keep_running(run["job_id"])  # Databricks restarts an unpaused continuous job
                return {}
            case ("POST", "/api/2.2/jobs/runs/cancel-all"):
                job = self._job(body.get("job_id"))
                for run in self._active(job["job_id"]):
                    self._cancel(run)
                self._keep_running(job["job_id"])
                return {}
        raise ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{method} {path}'")

    def fail_active_run(self, job_id: int, message: str) -> None:
        """The job's run crashed and Databricks has not started the next one yet (backing off)."""
        with self.lock:
            for run in self._active(job_id):
                failed = {"life_cycle_state": "INTERNAL_ERROR", "result_state": "FAILED", "state_message": message}
                run["state"] = failed


class _Handler(BaseHTTPRequestHandler):
    workspace: Workspace

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._reply(401, {"error_code": "UNAUTHENTICATED", "message": "Invalid access token."})
        if method == "GET":
            body = {k: v[-1] for k, v in parse_qs(url.query).items()}
        else:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
        try:
            self._reply(200, self.workspace.handle(method, url.path, body))
        except ApiError as error:
            self._reply(error.status, {"error_code": error.code, "message": error.message})

    def _reply(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


def serve() -> tuple[Workspace, ThreadingHTTPServer]:
    """A workspace listening on 127.0.0.1 (a free port); call ``server.shutdown()`` when done."""
    workspace = Workspace()
    handler = type("Handler", (_Handler,), {"workspace": workspace})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    workspace.base_url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return workspace, server


def connection(server: ThreadingHTTPServer) -> dict[str, Any]:
    """The Airflow connection (AIRFLOW_CONN_<ID> as JSON) the provider uses to reach this workspace."""
    host, port = server.server_address[:2]
    return {"conn_type": "databricks", "host": host, "port": port, "schema": "http", "password": TOKEN}


@pytest.fixture
def databricks_workspace(monkeypatch, tmp_path):
    """A fresh stand-in workspace, with the settings of a Databricks deployment pointed at it: the
    connection (AIRFLOW_CONN_DATABRICKS_DEFAULT), SCOUT_ENGINE=databricks and a SCOUT_HOME of its own."""
    workspace, server = serve()
    monkeypatch.setenv("AIRFLOW_CONN_DATABRICKS_DEFAULT", json.dumps(connection(server)))
    monkeypatch.setenv("SCOUT_ENGINE", "databricks")
    monkeypatch.setenv("SCOUT_HOME", str(tmp_path))
    yield workspace
    server.shutdown()
    server.server_close()
