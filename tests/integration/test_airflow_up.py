"""`make up` for real: Airflow's components on loopback, the slice triggered over the REST API (as the UI
does) and run by the scheduler, each task in its own process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import psutil
import pytest

from include.local import synthetic
from include.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, every: float = 2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="module")
def airflow_up(tmp_path_factory, settings):
    home = tmp_path_factory.mktemp("up")
    (home / "jars").symlink_to(settings.jars_dir.resolve(), target_is_directory=True)
    port = free_port()
    env = {**os.environ, "SCOUT_HOME": str(home), "AIRFLOW__API__PORT": str(port)}
    env.pop("AIRFLOW_HOME")  # derived from SCOUT_HOME by the command itself
    log = (home / "up.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "include.local", "up"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    def healthy():
        try:
            health = httpx.get(f"{base}/api/v2/monitor/health", timeout=2).json()
        except (httpx.HTTPError, ValueError):
            return None
        return all(health.get(c, {}).get("status") == "healthy" for c in ("scheduler", "triggerer", "dag_processor"))

    try:
        wait_for(healthy, 120, "Airflow to report healthy")
        yield base, home, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            log.close()


def test_nothing_listens_beyond_loopback(airflow_up):
    _, _, proc = airflow_up
    tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    listening = {
        (conn.laddr.ip, conn.laddr.port)
        for p in tree
        for conn in p.net_connections(kind="inet")
        if conn.status == psutil.CONN_LISTEN
    }
    assert listening, "the API server should listen somewhere"
    assert {ip for ip, _ in listening} <= {"127.0.0.1", "::1"}, listening


@pytest.fixture(scope="module")
def api(airflow_up) -> httpx.Client:
    """A REST client logged in as the UI's admin (the simple auth manager's generated password)."""
    base, home, _ = airflow_up
    password = json.loads((home / "airflow" / "simple_auth_manager_passwords.json.generated").read_text())["admin"]
    token = httpx.post(f"{base}/auth/token", json={"username": "admin", "password": password}).json()["access_token"]
    return httpx.Client(base_url=f"{base}/api/v2", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_the_slice_triggered_over_the_api_runs_under_the_scheduler(airflow_up, api):
    _, home, _ = airflow_up

    wait_for(lambda: api.get("/dags/scout_slice").status_code == 200, 60, "the DAG processor to serialize scout_slice")
    run = api.post("/dags/scout_slice/dagRuns", json={"logical_date": None}).json()
    run_id = run["dag_run_id"]

    def finished():
        state = api.get(f"/dags/scout_slice/dagRuns/{run_id}").json()["state"]
        return state if state in ("success", "failed") else None

    state = wait_for(finished, 480, f"run {run_id} to finish", every=5)
    tasks = {
        t["task_id"]: t["state"]
        for t in api.get(f"/dags/scout_slice/dagRuns/{run_id}/taskInstances").json()["task_instances"]
    }
    assert state == "success", tasks
    assert set(tasks.values()) == {"success"}

    document = json.loads((home / "exports" / "store_daily_metrics.json").read_text())
    expected = synthetic.expected_summary(synthetic.generate())["stores"]
    got = {s["store_id"]: {k: v for k, v in s["days"][0].items() if k != "date"} for s in document["stores"]}
    assert got == expected


def test_a_bad_param_is_refused_at_trigger_time_naming_it(api):
    wait_for(lambda: api.get("/dags/scout_migrations").status_code == 200, 60, "scout_migrations to be serialized")

    refused = api.post(
        "/dags/scout_migrations/dagRuns", json={"logical_date": None, "conf": {"target_revision": "latest"}}
    )
    assert refused.status_code == 400
    assert "target_revision" in refused.text
    runs = api.get("/dags/scout_migrations/dagRuns").json()
    assert runs["total_entries"] == 0
