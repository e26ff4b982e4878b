"""`make up` for real: Airflow's components on loopback, the slice triggered over the REST API (as the UI
does) and run by the scheduler, each task in its own process; the alert e-mails sent by those components
to a real SMTP server on loopback: the slice overrunning its deadline (the triggerer's Deadline Alert) and
a stale stream's freshness alert and recovery (the health DAG under the scheduler)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import httpx
import psutil
import pytest
import sqlalchemy as sa

from include.local import synthetic
from include.local.synthetic import UNREGISTERED_DEVICE
from include.orchestration.health import GOLD_TABLES
from include.settings import PROJECT_ROOT
from include.spark_jobs.progress import read_progress
from tests.alerting import body, smtp_connection, smtp_server, write_stopped_job
from tests.expected_marts import CATEGORIES, EXPECTED, exported
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


def run_to_end(api, dag_id: str, conf: dict | None = None, timeout: float = 300) -> tuple[str, str, dict[str, str]]:
    """A manual run to its end: (run id, state, task id -> state)."""
    run_id = trigger(api, dag_id, conf)
    return run_id, *wait_for_run(api, dag_id, run_id, timeout)


def wait_for_run(api, dag_id: str, run_id: str, timeout: float = 300) -> tuple[str, dict[str, str]]:
    """The run's end: (state, task id -> state)."""

    def finished():
        state = api.get(f"/dags/{dag_id}/dagRuns/{run_id}").json()["state"]
        return state if state in ("success", "failed") else None

    state = wait_for(finished, timeout, f"{dag_id} run {run_id} to finish", every=3)
    listed = api.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances").json()["task_instances"]
    return state, {t["task_id"]: t["state"] for t in listed}


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


def test_the_health_dag_restarts_a_dead_stream_that_outlives_its_task(airflow_up, api):
    """After the stale-stream test: the medallion's process is gone and no operator stopped it. The health
    DAG's check task, run by the scheduler in a process of its own, starts the job again; the job keeps
    running after that task has ended, and its query starts (its progress record says so). Then it is
    stopped as an operator would, so the next tests' jobs own the lake."""
    from include.orchestration.runners.local import LocalRunner
    from include.settings import Settings

    _, home, _ = airflow_up
    run_file = home / "ops" / "medallion.run.json"
    dead = json.loads(run_file.read_text()) | {"stopped_by_operator": False}  # its pid is not a live process
    run_file.write_text(json.dumps(dead))
    since = datetime.now(UTC)

    _, _, tasks = run_to_end(api, "scout_stream_health")
    # (Unpausing the DAG may also start its scheduled run: whichever check ran first restarted the job.)
    actions = [
        api.get(
            f"/dags/scout_stream_health/dagRuns/{r['dag_run_id']}/taskInstances/check/xcomEntries/return_value"
        ).json()["value"]["action"]
        for r in api.get("/dags/scout_stream_health/dagRuns").json()["dag_runs"]
        if datetime.fromisoformat(r["queued_at"]) >= since and r["state"] in ("success", "failed")
    ]
    restart = "restarted (1 of 3 this hour)"
    assert actions.count(restart) == 1 and set(actions) <= {restart, "none"}, actions
    runner = LocalRunner(Settings(home=home))
    try:
        restarted = runner.status()
        assert restarted.running and restarted.pid != dead["pid"], restarted
        assert tasks["check"] == "success"  # the task that started it has ended; the job lives on
        assert psutil.Process(restarted.pid).is_running()

        def query_started():
            progress = read_progress(home / "ops", "medallion") or {}
            started = progress.get("started_at")
            return progress if started and datetime.fromisoformat(started) >= since else None

        progress = wait_for(query_started, 240, "the restarted job's query to start", every=2)
        assert progress["state"] == "running", progress
    finally:
        stopped = runner.stop(by_operator=True)
    assert not stopped.running and stopped.stopped_by_operator


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


LOG4J_ERROR = re.compile(r"\d\d/\d\d/\d\d \d\d:\d\d:\d\d ERROR \S+: .*")  # Spark's, Hive's own log lines


def task_logs(api, dag_id: str, run_id: str) -> dict[str, list[str]]:
    """task id -> the lines of its last try's log, as the UI's log view shows them."""
    logs = {}
    for task in api.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances").json()["task_instances"]:
        url = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task['task_id']}/logs/{max(task['try_number'], 1)}"
        response = api.get(url, params={"full_content": True})
        assert response.status_code == 200, response.text
        entries = response.json()["content"]
        logs[task["task_id"]] = [e.get("event", "") if isinstance(e, dict) else str(e) for e in entries]
    return logs


def marts_run_after(api, since: datetime) -> dict | None:
    """The first scout_marts run queued after ``since``."""
    runs = api.get("/dags/scout_marts/dagRuns").json()["dag_runs"]
    after = [r for r in runs if datetime.fromisoformat(r["queued_at"]) >= since - timedelta(seconds=1)]
    return min(after, key=lambda r: r["queued_at"]) if after else None


def test_an_unregistered_device_never_stops_the_marts_and_is_named(airflow_up, api, smtp):
    """After the slice test (its lake, its RetailAdvisorDB): a device missing from EdgeDeviceRegistry starts
    sending; the stream takes its events in and its gold flags start the marts DAG through the Asset
    watchers within seconds (no trigger, no health check). The run succeeds, every mart export is the day
    plus that device, its interactions marked unregistered, and the device is named in the check's
    report and in one e-mail."""
    _, home, _ = airflow_up
    inbox, _ = smtp
    wait_for(lambda: api.get("/dags/scout_marts").status_code == 200, 60, "scout_marts to be serialized")
    # The slice's medallion left flags while scout_marts was paused (its watchers run only once it is
    # unpaused, and would start a run for them at once): not this test's rows.
    for flag in (home / "ops" / "gold_advanced").glob("gold_*"):
        flag.unlink()
    # Nor may the health DAG (unpaused by the stale-stream test) start one on its 5-minute clock meanwhile.
    assert api.patch("/dags/scout_stream_health", json={"is_paused": True}).status_code == 200
    assert api.patch("/dags/scout_marts", json={"is_paused": False}).status_code == 200
    day = synthetic.generate()
    newcomer = synthetic.unregistered_device()
    landed = datetime.now(UTC).replace(microsecond=0)
    synthetic.write_landing(synthetic.SyntheticDay(events=newcomer), home / "landing")
    env = {k: v for k, v in os.environ.items() if k != "AIRFLOW_HOME"} | {"SCOUT_HOME": str(home)}
    subprocess.run(
        [sys.executable, "-m", "include.spark_jobs", "medallion", "--trigger", "available-now"],
        cwd=PROJECT_ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    tables = read_progress(home / "ops", "medallion")["tables"]
    advanced = max(datetime.fromisoformat(tables[t]["last_rows_at"]) for t in GOLD_TABLES)
    assert advanced >= landed, f"the medallion's progress record shows no gold rows since {landed}: {tables}"

    run = wait_for(lambda: marts_run_after(api, advanced), 60, "a scout_marts run started by gold's new rows", every=1)
    waited = (datetime.fromisoformat(run["queued_at"]) - advanced).total_seconds()
    print(f"gold advanced -> scout_marts queued: {waited:.1f} s ({run['run_type']})")
    assert run["run_type"] == "asset_triggered" and waited < 30
    state, tasks = wait_for_run(api, "scout_marts", run["dag_run_id"], timeout=600)
    assert state == "success", tasks

    day.events += newcomer
    for mart, compute in EXPECTED.items():
        assert exported(home / "exports", mart) == compute(day), mart
    interactions = exported(home / "exports", "sales_interactions_enriched")
    mine = [r for r in interactions if r["device_id"] == UNREGISTERED_DEVICE]
    assert {(r["device_registered"], r["store_registered"]) for r in mine} == {(False, True)}
    report = api.get(
        f"/dags/scout_marts/dagRuns/{run['dag_run_id']}/taskInstances/check_registry/xcomEntries/return_value"
    ).json()["value"]
    assert report == {
        "stores": {}, "devices": {UNREGISTERED_DEVICE: {"store_id": "store-002", "interactions": 2}}, "emailed": True
    }  # fmt: skip
    (mail,) = wait_for(lambda: inbox.with_subject("[scout] not registered in RetailAdvisorDB: "), 60, "the e-mail")
    assert mail["Subject"].endswith(f": {UNREGISTERED_DEVICE}")

    # An event with nothing new behind it (a watcher's late find, the health DAG's safety net): the run it
    # starts skips the build, in seconds.
    wait_for(lambda: not api.get("/dags/scout_marts/dagRuns", params={"state": ["queued", "running"]}).json()[
        "total_entries"], 600, "scout_marts runs queued meanwhile to end", every=3)  # fmt: skip
    flagged = datetime.now(UTC)
    (home / "ops" / "gold_advanced" / GOLD_TABLES[0]).write_text("{}")
    run = wait_for(lambda: marts_run_after(api, flagged), 60, "a scout_marts run started by the flag", every=1)
    state, tasks = wait_for_run(api, "scout_marts", run["dag_run_id"], timeout=120)
    assert (state, tasks["lake_changed"], tasks["dbt_marts.dbt_producer_watcher"]) == ("success", "success", "skipped")
    assert tasks["export_dashboard"] == tasks["record_build"] == "skipped"
    # The marts DAG runs on data from here on: pause it again, so only what the next test starts runs.
    wait_for(lambda: not api.get("/dags/scout_marts/dagRuns", params={"state": ["queued", "running"]}).json()[
        "total_entries"], 600, "scout_marts runs to end", every=3)  # fmt: skip
    assert api.patch("/dags/scout_marts", json={"is_paused": True}).status_code == 200


def test_reference_changes_reach_the_marts_the_export_and_the_database_copy(airflow_up, api, smtp):
    """After the unregistered device's test: in RetailAdvisorDB a store is renamed, a brand's products move
    to another category and the device is registered. The next marts run rebuilds the sessions those
    touch (no new events needed): the export shows the new name, category and place, the device is no
    longer reported, and the interactions written back to RetailAdvisorDB are each there once."""
    _, home, _ = airflow_up
    inbox, _ = smtp
    url = f"sqlite:///{home / 'retail_advisor.db'}"
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    tables = sa.MetaData()
    tables.reflect(engine, only=["Stores", "Products", "EdgeDeviceRegistry"])
    stores, products, devices = (tables.tables[t] for t in ("Stores", "Products", "EdgeDeviceRegistry"))
    with engine.begin() as conn:
        conn.execute(sa.update(stores).where(stores.c.StoreCode == "store-001").values(Name="Scout Sari-Sari Cubao"))
        conn.execute(sa.update(products).where(products.c.Brand == "Nescafe").values(Category="Beverages"))
        store_2 = conn.scalar(sa.select(stores.c.StoreID).where(stores.c.StoreCode == "store-002"))
        conn.execute(sa.insert(devices).values(
            DeviceID=UNREGISTERED_DEVICE, StoreID=store_2, Location="store-002/back-room", ZoneID="zone-9",
            CameraAngle="front", ClientVersion="0.1.0", AudioUrlEnabled=True,
        ))  # fmt: skip
    mails = len(inbox.messages)

    run_id, state, tasks = run_to_end(api, "scout_marts", timeout=600)
    assert state == "success", tasks
    day = synthetic.generate()
    day.events += synthetic.unregistered_device()
    expected = EXPECTED["sales_interactions_enriched"](day)
    for row in expected:  # the changes, applied by hand
        if row["store_id"] == "store-001":
            row["store_name"] = "Scout Sari-Sari Cubao"
        if row["device_id"] == UNREGISTERED_DEVICE:
            row |= {"device_location": "store-002/back-room", "device_registered": True}
        row["categories"] = sorted({"Beverages" if b == "Nescafe" else CATEGORIES[b] for b in row["brands"]})
    assert exported(home / "exports", "sales_interactions_enriched") == expected
    report = api.get(
        f"/dags/scout_marts/dagRuns/{run_id}/taskInstances/check_registry/xcomEntries/return_value"
    ).json()["value"]
    assert report == {"stores": {}, "devices": {}, "emailed": False} and len(inbox.messages) == mails

    # A second dbt build over the same marts: its log has no ERROR lines that are not errors (Spark's
    # "Failed to add <glob> to Spark environment", Hive's "Failed to alter table" for a Delta mart).
    logs = task_logs(api, "scout_marts", run_id)
    assert any("Done. PASS=" in line for line in logs["dbt_marts.dbt_producer_watcher"])  # dbt's own output is in
    errors = [f"{task}: {line[:200]}" for task, lines in logs.items() for line in lines if LOG4J_ERROR.search(line)]
    assert errors == []

    with engine.connect() as conn:
        written = conn.execute(sa.text('SELECT "DeviceID", "SessionID" FROM "SalesInteractions"')).all()
    engine.dispose()
    assert sorted(written) == sorted(tuple(r["interaction_id"].split("|")) for r in expected)
