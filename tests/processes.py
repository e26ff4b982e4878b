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


def start_medallion(home: Path, *args: str) -> JobProcess:
    """`python -m include.spark_jobs medallion --home HOME ARGS` in its own process group (for killpg),
    its stdout and stderr appended to HOME/medallion.log."""
    log = home / "medallion.log"
    with log.open("a") as out:
        process = JobProcess(
            [sys.executable, "-m", "include.spark_jobs", "medallion", "--home", str(home), *args],
            cwd=PROJECT_ROOT,
            env={**os.environ, "SCOUT_HOME": str(home)},
            start_new_session=True,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    process.log = log
    return process
