"""From an event landing to the Retail Advisor exports, through everything `make up` runs.

    python -m tools.benchmarks.dashboard          # or: make bench-dashboard

On a throwaway SCOUT_HOME: Airflow as `make up` starts it (API server, scheduler, dag-processor and
triggerer on 127.0.0.1), RetailAdvisorDB migrated and seeded, the continuous medallion started by its
local runner (as `scout_streaming` starts it) and `scout_marts` unpaused. Nothing is triggered by hand:
gold's new rows drop the stream's flags, the Asset watchers start the marts. Two rounds: the synthetic
day (the marts' first, full build), then a device nobody registered yet (an incremental build). Each
round times its legs until the interactions export holds the new sessions:

    landing -> gold           the stream's micro-batch (its progress record's last_rows_at)
    gold -> marts queued      the flag file, the triggerer's watcher, the scheduler
    marts run                 reference sync, `dbt build`, the exports, RetailAdvisorDB's copy
    landing -> export         the whole path, as a store manager waits for it
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx

from include.arguments import ArgumentParser
from include.local import synthetic
from include.orchestration.health import GOLD_TABLES
from include.orchestration.runners.local import LocalRunner
from include.settings import PROJECT_ROOT, Settings, load_settings
from include.spark_jobs.progress import read_progress

EXPORT = "sales_interactions_enriched.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(predicate, timeout: float, what: str, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        if time.monotonic() > deadline:
            raise SystemExit(f"error: no {what} after {timeout:.0f} s")
        time.sleep(every)
    return found


def _at(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def interactions(settings: Settings) -> int:
    path = settings.export_dir / EXPORT
    return len(json.loads(path.read_text())["rows"]) if path.exists() else 0


def gold_advanced(settings: Settings) -> float | None:
    """The newest time a gold table got rows, as the stream recorded it."""
    tables = (read_progress(settings.ops_dir, "medallion") or {}).get("tables") or {}
    stamps = [tables[t]["last_rows_at"] for t in GOLD_TABLES if (tables.get(t) or {}).get("last_rows_at")]
    return max(map(_at, stamps)) if stamps else None


class Airflow:
    """`python -m include.local up` on ``home``, and a REST client logged in as its admin."""

    def __init__(self, home: Path) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "AIRFLOW_HOME"}
        env |= {"SCOUT_HOME": str(home), "AIRFLOW__API__PORT": str(self.port)}
        env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] = "True"  # only scout_marts runs, unpaused below
        self.log = (home / "up.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "include.local", "up"], cwd=PROJECT_ROOT, env=env,
            stdout=self.log, stderr=self.log, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{self.port}"
        wait(self._healthy, 180, "healthy Airflow (see up.log)", every=2)
        secret = home / "airflow" / "simple_auth_manager_passwords.json.generated"
        login = {"username": "admin", "password": json.loads(secret.read_text())["admin"]}
        token = httpx.post(f"{base}/auth/token", json=login).json()["access_token"]
        self.api = httpx.Client(base_url=f"{base}/api/v2", headers={"Authorization": f"Bearer {token}"}, timeout=10)

    def _healthy(self) -> bool:
        try:
            health = httpx.get(f"http://127.0.0.1:{self.port}/api/v2/monitor/health", timeout=2).json()
        except (httpx.HTTPError, ValueError):
            return False
        return all(health.get(c, {}).get("status") == "healthy" for c in ("scheduler", "triggerer", "dag_processor"))

    def run_after(self, dag_id: str, since: float) -> dict | None:
        """The first run of ``dag_id`` queued at or after ``since`` (epoch seconds)."""
        runs = self.api.get(f"/dags/{dag_id}/dagRuns").json()["dag_runs"]
        after = [r for r in runs if _at(r["queued_at"]) >= since - 1]
        return min(after, key=lambda r: r["queued_at"]) if after else None

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.log.close()


def round_trip(settings: Settings, airflow: Airflow, name: str, events: list, expected: int) -> tuple[dict, list]:
    """Land ``events``; time each leg until the interactions export holds ``expected`` rows, and the marts
    run's tasks."""
    staging = settings.home / "staging"
    synthetic.write_landing(synthetic.SyntheticDay(events=events), staging)
    before = gold_advanced(settings) or 0.0
    landed = time.time()
    for path in sorted(staging.glob("*/*.jsonl")):  # whole files, as the edge's file transport publishes
        target = settings.landing_dir / path.parent.name / f"{name}-{path.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
    gold = wait(lambda: (t := gold_advanced(settings)) and t > before and t, 600, f"gold rows ({name})", every=0.5)
    run = wait(lambda: airflow.run_after("scout_marts", gold), 300, f"a scout_marts run ({name})")
    wait(lambda: interactions(settings) >= expected, 900, f"{expected} interactions in the export ({name})")
    exported = time.time()
    done = wait(lambda: (r := airflow.api.get(f"/dags/scout_marts/dagRuns/{run['dag_run_id']}").json())["end_date"]
                and r, 300, "the marts run's end")  # fmt: skip
    if done["state"] != "success":
        raise SystemExit(f"error: scout_marts run {run['dag_run_id']} {done['state']} (see the Airflow UI)")
    figures = {
        "landing -> gold": gold - landed,
        "gold -> marts queued": _at(run["queued_at"]) - gold,
        "marts run": _at(done["end_date"]) - _at(run["queued_at"]),
        "landing -> export": exported - landed,
    }
    return figures, task_times(airflow, run)


def task_times(airflow: Airflow, run: dict) -> list[tuple[str, float, float]]:
    """Where the marts run's time went: (task, its own run time, its end since the run was queued), by end."""
    listed = airflow.api.get(f"/dags/scout_marts/dagRuns/{run['dag_run_id']}/taskInstances").json()["task_instances"]
    queued = _at(run["queued_at"])
    ended = [t for t in listed if t["start_date"] and t["end_date"]]
    times = [(t["task_id"], _at(t["end_date"]) - _at(t["start_date"]), _at(t["end_date"]) - queued) for t in ended]
    return sorted(times, key=lambda t: t[2])


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m tools.benchmarks.dashboard", description=__doc__.split("\n\n")[0])
    parser.add_argument("--interval", default="2 seconds", help="the stream's trigger interval (default 2 seconds)")
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="scout-bench-dashboard-"))
    (root / "jars").symlink_to(load_settings().jars_dir.resolve(), target_is_directory=True)
    settings = replace(Settings(home=root), stream_interval=args.interval)
    os.environ["SCOUT_HOME"] = str(root)  # for RetailAdvisorDB's preparation below, as the slice does it
    from include.orchestration.slice import prepare_retail_db

    prepare_retail_db()
    runner = LocalRunner(settings)
    airflow = None
    results, tasks = {}, {}
    try:
        print(f"Airflow (`make up`) and the continuous medallion (interval {args.interval}) in {root}", flush=True)
        airflow = Airflow(root)
        runner.start()
        wait(lambda: airflow.api.get("/dags/scout_marts").status_code == 200, 120, "scout_marts serialized")
        airflow.api.patch("/dags/scout_marts", json={"is_paused": False}).raise_for_status()
        day = synthetic.generate()
        sessions = len({(e.device_id, e.session_id) for e in day.events if getattr(e, "session_id", None)})
        results["the day (first build)"], tasks["the day"] = round_trip(settings, airflow, "day", day.events, sessions)
        newcomer = synthetic.unregistered_device()
        more = len({(e.device_id, e.session_id) for e in newcomer if getattr(e, "session_id", None)})
        results["one more device (incremental)"], tasks["one more device"] = round_trip(
            settings, airflow, "device", newcomer, sessions + more
        )
    finally:
        runner.stop()
        if airflow is not None:
            airflow.stop()
        shutil.rmtree(root, ignore_errors=True)

    print(
        f"\nevent landing -> Retail Advisor export, `make up` on {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d}:"
    )
    legs = list(next(iter(results.values())))
    print(f"  {'':32}" + "".join(f"{leg:>22}" for leg in legs))
    for name, figures in results.items():
        print(f"  {name:32}" + "".join(f"{figures[leg]:>20.1f} s" for leg in legs))
    for name, times in tasks.items():
        print(f"\nthe marts run of {name}, per task (its run time; its end, since the run was queued):")
        for task_id, took, end in times:
            print(f"  {task_id:56}{took:>8.1f} s{end:>8.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
