"""How fast the streaming operations are: one health check, and a kill -9 until data flows again.

    python -m tools.benchmarks.recovery --rounds 3      # or: make bench-recovery

Starts the continuous medallion with the local runner (a detached process, as `scout_streaming` starts it)
on a throwaway SCOUT_HOME, feeds it the synthetic day, and once gold has rows times, for each round:

- a health check of a healthy job (the `check` task's work without Airflow around it);
- kill -9 of every process of the job, then: the health check that finds it dead and restarts it, and
  the time from the kill until gold has taken rows from files that landed after the kill (data flowing
  again: the JVM start, the query's recovery from its checkpoint, one micro-batch).

The health DAG runs every 5 minutes, so in production a dead job waits up to that long for the check; the
figures here start the check at once, to measure the machinery, not the schedule.
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from include.arguments import ArgumentParser
from include.local import synthetic
from include.orchestration.health import HealthCheck
from include.orchestration.runners.local import LocalRunner
from include.settings import Settings, load_settings
from include.spark_jobs.progress import read_progress
from include.spark_jobs.tables import GOLD_STORE_INTERACTION_METRICS

GOLD = GOLD_STORE_INTERACTION_METRICS


def gold_rows(settings: Settings) -> int:
    tables = (read_progress(settings.ops_dir, "medallion") or {}).get("tables") or {}
    return (tables.get(GOLD) or {}).get("rows_total", 0)


def land_new_events(settings: Settings, n: int) -> None:
    """Another synthetic day (other event ids), as new files in the landing zone."""
    staging = settings.home / f"staging-{n}"
    synthetic.write_landing(synthetic.generate(seed=100 + n), staging)
    for path in sorted(staging.glob("*/*.jsonl")):
        os.replace(path, settings.landing_dir / path.parent.name / f"{path.stem}-round{n}.jsonl")


def wait(predicate, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise SystemExit(f"error: no {what} after {timeout:.0f} s")
        time.sleep(0.2)
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m tools.benchmarks.recovery")
    parser.add_argument("--rounds", type=int, default=3, help="kill/recover rounds (default 3)")
    parser.add_argument("--interval", default="2 seconds", help="the job's trigger interval (default 2 seconds)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    shared = load_settings()
    root = Path(tempfile.mkdtemp(prefix="scout-bench-recovery-"))
    (root / "jars").symlink_to(shared.jars_dir.resolve(), target_is_directory=True)
    settings = replace(Settings(home=root), stream_interval=args.interval, max_restarts_per_hour=args.rounds + 1)
    runner = LocalRunner(settings)
    healthy_s, check_s, recovery_s = [], [], []
    try:
        print(f"starting the continuous medallion (interval {args.interval}) in {root}", flush=True)
        runner.start()
        synthetic.write_landing(synthetic.generate(seed=1), settings.landing_dir)
        wait(lambda: gold_rows(settings) > 0, 600, "gold rows from the first files")
        for n in range(1, args.rounds + 1):
            started = time.perf_counter()
            HealthCheck(settings, runner).run()
            healthy_s.append(time.perf_counter() - started)

            os.killpg(runner.status().pid, signal.SIGKILL)
            killed = time.perf_counter()
            wait(lambda: not runner.status().running, 30, "death seen")
            before = gold_rows(settings)
            land_new_events(settings, n)
            started = time.perf_counter()
            report = HealthCheck(settings, runner).run()
            check_s.append(time.perf_counter() - started)
            if not report.state.running:
                raise SystemExit(f"error: the health check did not restart the job: {report.action}")
            wait(lambda before=before: gold_rows(settings) > before, 600, "gold rows after the restart")
            recovery_s.append(time.perf_counter() - killed)
            print(
                f"round {n}: healthy check {healthy_s[-1] * 1000:.0f} ms; restart check {check_s[-1] * 1000:.0f} ms;"
                f" kill -> gold rows again {recovery_s[-1]:.1f} s",
                flush=True,
            )
    finally:
        runner.stop()
        shutil.rmtree(root, ignore_errors=True)

    def line(name: str, values: list[float], scale: float, unit: str) -> str:
        median, most = statistics.median(values) * scale, max(values) * scale
        return f"  {name:<34} median {median:8.1f} {unit}  max {most:8.1f} {unit}"

    print(f"\nstreaming operations, {args.rounds} rounds, local runner, {os.cpu_count()} cores:")
    print(line("health check (job healthy)", healthy_s, 1000, "ms"))
    print(line("health check (job dead: restart)", check_s, 1000, "ms"))
    print(line("kill -9 -> gold rows again", recovery_s, 1, "s"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
