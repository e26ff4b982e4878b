"""Start the project's job entry points as separate processes (their own JVM), as production does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from include.settings import PROJECT_ROOT


def start_medallion(home: Path, *args: str) -> subprocess.Popen:
    """`python -m include.spark_jobs medallion --home HOME ARGS` in its own process group (for killpg)."""
    return subprocess.Popen(
        [sys.executable, "-m", "include.spark_jobs", "medallion", "--home", str(home), *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "SCOUT_HOME": str(home)},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
