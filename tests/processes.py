"""Start the project's job entry points as separate processes (their own JVM), as production does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from include.settings import PROJECT_ROOT


class JobProcess(subprocess.Popen):
    """A job's process whose output goes to a log file: a pipe nobody reads fills up (64 KiB of Spark's
    log) and blocks the job in a write, which looks like a hang, most often at shutdown."""

    log: Path

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def start_medallion(home: Path, *args: str, env: dict[str, str] | None = None) -> JobProcess:
    """`python -m include.spark_jobs medallion --home HOME ARGS` in its own process group (for killpg),
    its stdout and stderr appended to HOME/medallion.log."""
    return start_job(home, "medallion", ["-m", "include.spark_jobs", "medallion", "--home", str(home), *args], env)


def start_layers(home: Path, *args: str, env: dict[str, str] | None = None) -> JobProcess:
    """The bronze, silver and gold jobs as three queries of one driver (tests/layer_jobs.py), likewise."""
    return start_job(home, "layers", ["-m", "tests.layer_jobs", "--home", str(home), *args], env)


def start_job(home: Path, name: str, argv: list[str], env: dict[str, str] | None = None) -> JobProcess:
    """``python ARGV`` from the project root with SCOUT_HOME=HOME (and ``env``), in its own process group,
    its output appended to HOME/NAME.log."""
    log = home / f"{name}.log"
    with log.open("a") as out:
        process = JobProcess(
            [sys.executable, *argv],
            cwd=PROJECT_ROOT,
            env={**os.environ, "SCOUT_HOME": str(home), **(env or {})},
            start_new_session=True,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    process.log = log
    return process
