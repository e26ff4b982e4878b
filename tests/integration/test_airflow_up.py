"""`make up` for real: Airflow's components on loopback, the slice triggered over the REST API (as the UI
does) and run by the scheduler, each task in its own process; the alert e-mails sent by those components
to a real SMTP server on loopback: the slice overrunning its deadline (the triggerer's Deadline Alert) and
a stale stream's freshness alert and recovery (the health DAG under the scheduler)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import subprocess
import sys

import httpx
import psutil
import pytest

from include.local import synthetic
from include.settings import PROJECT_ROOT
from tests.alerting import body, smtp_connection, smtp_server, write_stopped_job
from tests.ports import free_port, wait_for

pytestmark = pytest.mark.e2e


DEADLINE = "20 seconds"  # the slice takes minutes under the scheduler here: it overruns this budget


@pytest.fixture(scope="module")
def smtp():
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def airflow_up(tmp_path_factory, settings, smtp):
    home = tmp_path_factory.mktemp("up")
    (home / "jars").symlink_to(settings.jars_dir.resolve(), target_is_directory=True)
    port = free_port()
    env = {**os.environ, "SCOUT_HOME": str(home), "AIRFLOW__API__PORT": str(port)}
    env |= {"AIRFLOW_CONN_SMTP_DEFAULT": smtp_connection(smtp[1]), "SCOUT_ALERT_EMAIL": "oncall@scout.test"}
    env |= {"SCOUT_BATCH_DEADLINE": DEADLINE, "SCOUT_FRESHNESS_SLA": "15 minutes"}
    # Only what a test triggers runs (trigger() unpauses it, as the UI's toggle does): the daily sync's
    # first run, say, would otherwise take a core from the slice on two.
    env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] = "True"
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
            # Anything `up` started that is still there (by its SCOUT_HOME; components run in groups of
            # their own) must not run on through the rest of the test session.
            leftovers = _started_for(home)
            for process in leftovers:
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.kill()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            log.close()
        assert [p.info["cmdline"] for p in leftovers] == [], "`up` stopped, but these of its processes did not"


def _started_for(home) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            if process.pid != os.getpid() and process.environ().get("SCOUT_HOME") == str(home):
                found.append(process)
    return found


def test_the_generated_admin_password_is_readable_by_its_owner_only(airflow_up, api):
    _, home, _ = airflow_up
    passwords = home / "airflow" / "simple_auth_manager_passwords.json.generated"
    assert "admin" in json.loads(passwords.read_text())  # the file Airflow wrote the password into (api used it)
    assert stat.S_IMODE(passwords.stat().st_mode) == 0o600


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


def trigger(api, dag_id: str, conf: dict | None = None) -> str:
    """A manual run, as the UI's trigger button makes it, of the DAG unpaused; its run id.

    GET /dags/{id} answers from the last serialized version, while a trigger also needs the DAG active
    (not stale, no import error): right after a (re)parse the two can briefly disagree, so a refusal is
    retried for a while, then reported with what the DAG processor says about the file."""

    request = {"logical_date": None, "conf": conf or {}}

    def accepted():
        response = api.post(f"/dags/{dag_id}/dagRuns", json=request)
        return response if response.status_code == 200 else None

    try:
        run_id = wait_for(accepted, 60, f"a trigger of {dag_id} to be accepted", every=2).json()["dag_run_id"]
    except AssertionError:
        refused = api.post(f"/dags/{dag_id}/dagRuns", json=request)
        errors = api.get("/importErrors").json()
        why = f"trigger {dag_id}: {refused.status_code} {refused.text}; import errors: {errors}"
        raise AssertionError(why) from None
    unpaused = api.patch(f"/dags/{dag_id}", json={"is_paused": False})
    assert unpaused.status_code == 200, unpaused.text
    return run_id


def test_the_slice_triggered_over_the_api_runs_under_the_scheduler(airflow_up, api):
    _, home, _ = airflow_up

    wait_for(lambda: api.get("/dags/scout_slice").status_code == 200, 60, "the DAG processor to serialize scout_slice")
    run_id = trigger(api, "scout_slice")

    def finished():
        state = api.get(f"/dags/scout_slice/dagRuns/{run_id}").json()["state"]
        return state if state in ("success", "failed") else None

    state = wait_for(finished, 720, f"run {run_id} to finish", every=5)
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


def test_the_slice_over_its_deadline_is_emailed_by_the_triggerer(airflow_up, api, smtp):
    """After the slice test: its run took minutes against a budget of DEADLINE."""
    base, _, _ = airflow_up
    inbox, _ = smtp
    (run,) = api.get("/dags/scout_slice/dagRuns").json()["dag_runs"]
    subject = f"[scout] deadline missed: scout_slice run {run['dag_run_id']}"
    (mail,) = wait_for(lambda: inbox.with_subject(subject), 120, "the Deadline Alert e-mail")
    assert mail["To"] == "oncall@scout.test"
    text = body(mail)
    assert f"was not done {DEADLINE} after it was queued" in text
    assert f'href="{base}/dags/scout_slice/runs/{run["dag_run_id"]}"' in text


def run_to_end(api, dag_id: str, conf: dict | None = None) -> tuple[str, str, dict[str, str]]:
    """A manual run to its end: (run id, state, task id -> state)."""
    run_id = trigger(api, dag_id, conf)

    def finished():
        state = api.get(f"/dags/{dag_id}/dagRuns/{run_id}").json()["state"]
        return state if state in ("success", "failed") else None

    state = wait_for(finished, 300, f"{dag_id} run {run_id} to finish", every=3)
    listed = api.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances").json()["task_instances"]
    return run_id, state, {t["task_id"]: t["state"] for t in listed}


def test_a_stale_stream_is_emailed_once_by_the_health_dag_then_its_recovery(airflow_up, api, smtp):
    base, home, _ = airflow_up
    inbox, _ = smtp
    missed, recovered = "[scout] freshness SLA missed (15 min): ", "[scout] freshness recovered: "
    wait_for(lambda: api.get("/dags/scout_stream_health").status_code == 200, 60, "scout_stream_health")
    write_stopped_job(home / "ops", minutes_since_rows=40, rows_total=10)  # the stream stopped 40 min ago

    _, state, tasks = run_to_end(api, "scout_stream_health")
    assert (state, tasks["check"], tasks["sla"]) == ("failed", "success", "failed")
    (alert,) = wait_for(lambda: inbox.with_subject(missed), 60, "the freshness alert")
    assert alert["Subject"].endswith("gold_store_interaction_metrics, gold_transcript_sentiment_analysis,"
                                     " gold_device_health_summary, gold_insight_feedback")  # fmt: skip
    text = body(alert)
    assert "gold_device_health_summary: last rows 40." in text and "stopped by an operator" in text
    assert f'href="{base}/dags/scout_stream_health"' in text

    write_stopped_job(home / "ops", minutes_since_rows=0, rows_total=25)  # restarted: gold got rows again
    _, state, tasks = run_to_end(api, "scout_stream_health")
    assert (state, tasks["sla"]) == ("success", "success")
    (recovery,) = wait_for(lambda: inbox.with_subject(recovered), 60, "the recovery e-mail")
    assert "gold_store_interaction_metrics: last rows 0." in body(recovery)
    assert len(inbox.with_subject(missed)) == 1  # once per breach, however many checks saw it


def test_a_bad_param_is_refused_at_trigger_time_naming_it(api):
    wait_for(lambda: api.get("/dags/scout_migrations").status_code == 200, 60, "scout_migrations to be serialized")

    refused = api.post(
        "/dags/scout_migrations/dagRuns", json={"logical_date": None, "conf": {"target_revision": "latest"}}
    )
    assert refused.status_code == 400
    assert "target_revision" in refused.text
    runs = api.get("/dags/scout_migrations/dagRuns").json()
    assert runs["total_entries"] == 0


def test_the_rollback_runs_under_the_scheduler_as_triggered_from_the_ui(airflow_up, api):
    """After the slice test (its lake and RetailAdvisorDB): a dry run, as the trigger form's defaults are."""
    wait_for(lambda: api.get("/dags/scout_audio_url_rollback").status_code == 200, 60, "the rollback DAG")
    run_id, state, tasks = run_to_end(api, "scout_audio_url_rollback", {"direction": "deprecate", "dry_run": True})
    assert state == "success", tasks
    report = api.get(
        f"/dags/scout_audio_url_rollback/dagRuns/{run_id}/taskInstances/report/xcomEntries/return_value"
    ).json()["value"]
    assert (report["direction"], report["dry_run"]) == ("deprecate", True)
    assert report["database"]["steps"] == ["downgrade 0012", "downgrade 0010"]  # would run; did not
    assert tasks["rebuild_mart"] == "skipped"


@pytest.mark.parametrize(("conf", "param"), [({"direction": "sideways"}, "direction"), ({"stores": "x"}, "stores")])
def test_a_bad_rollback_param_is_refused_over_rest_naming_it(api, conf, param):
    refused = api.post("/dags/scout_audio_url_rollback/dagRuns", json={"logical_date": None, "conf": conf})
    assert refused.status_code == 400
    assert param in refused.text
