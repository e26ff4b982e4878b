"""Every command line, given a bad SCOUT_* setting or argument, says what is wrong in one line and exits 2,
before it starts anything heavy (no JVM, no Airflow run, no traceback)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from include.settings import PROJECT_ROOT

JOBS = [sys.executable, "-m", "include.spark_jobs", "medallion"]
LOCAL_DEMO = [sys.executable, "-m", "include.local", "demo"]
STREAM_STATUS = [sys.executable, "-m", "include.orchestration.streaming"]
RETAIL_DB = [sys.executable, "-m", "include.retail_db", "current"]
RECOVERY_BENCH = [sys.executable, "-m", "tools.benchmarks.recovery"]
BATCH_BENCH = [sys.executable, "-m", "tools.benchmarks.batch"]
LATENCY_BENCH = [sys.executable, "-m", "tools.benchmarks.latency"]
DASHBOARD = [sys.executable, "-m", "include.dashboard"]
ROLLBACK = [sys.executable, "-m", "include.local", "rollback"]
REPAIR = [sys.executable, "-m", "include.local", "rollback-repair"]
HOLD = [sys.executable, "-m", "include.spark_jobs.holds", "add"]

CASES = [
    # (command, extra environment, the line's tail)
    (JOBS, {"SCOUT_WATERMARK": "soon"}, "SCOUT_WATERMARK='soon' is not allowed; expected e.g. '90 seconds'"),
    (JOBS, {"SCOUT_ALIGN_WINDOW_S": "-5"}, "SCOUT_ALIGN_WINDOW_S='-5' is not allowed; expected a whole number"),
    (JOBS, {"SCOUT_HOME": " "}, "SCOUT_HOME is set but empty"),
    (JOBS, {"SCOUT_SOURCE": "pigeon"}, "SCOUT_SOURCE='pigeon' is not allowed; expected one of: files, kafka"),
    ([*JOBS, "--interval", "soon"], {}, "--interval='soon' is not allowed"),
    ([*JOBS, "--interval", "0 seconds"], {}, "--interval='0 seconds' is not allowed"),
    ([*JOBS, "--home", ""], {}, "--home is empty"),
    ([*JOBS, "--max-files-per-trigger", "0"], {}, "--max-files-per-trigger must be at least 1"),
    ([*JOBS, "--max-offsets-per-trigger", "-1"], {}, "--max-offsets-per-trigger must be at least 1"),
    (LOCAL_DEMO, {"SCOUT_STREAM_INTERVAL": "fast"}, "SCOUT_STREAM_INTERVAL='fast' is not allowed"),
    (LOCAL_DEMO, {"SCOUT_CATALOG": "my-catalog"}, "SCOUT_CATALOG='my-catalog' is not allowed"),
    ([*STREAM_STATUS, "emr"], {}, "streaming engine 'emr' is not one of: local, spark-submit, databricks"),
    (STREAM_STATUS, {"SCOUT_SPARK_MASTER": "mesos://x"}, "SCOUT_SPARK_MASTER='mesos://x' is not allowed"),
    (RETAIL_DB, {"SCOUT_FRESHNESS_SLA": "15"}, "SCOUT_FRESHNESS_SLA='15' is not allowed"),
    ([*RECOVERY_BENCH, "--rounds", "0"], {}, "--rounds must be at least 1"),
    ([*BATCH_BENCH, "--prefill", "-1"], {}, "--events must be positive and --prefill at least 0"),
    ([*BATCH_BENCH, "--batches", "2"], {}, "--batches must be more than 2"),
    ([*LATENCY_BENCH, "--job", "gold"], {}, "argument --job: invalid choice: 'gold'"),
    ([*LATENCY_BENCH, "--rate", "0"], {}, "--rate and --seconds must be positive"),
    ([*DASHBOARD, "--port", "70000"], {}, "--port must be between 1 and 65535, not 70000"),
    ([*DASHBOARD, "--port", "http"], {}, "argument --port: invalid int value: 'http'"),
    ([*ROLLBACK, "--direction", "sideways"], {}, "argument --direction: invalid choice: 'sideways'"),
    (ROLLBACK, {}, "the following arguments are required: --direction"),
    ([*REPAIR, "--yes"], {}, "unrecognized arguments: --yes"),
    ([*HOLD, "silver_nothing", "e-1", "--reason", "x"], {}, "table 'silver_nothing' has no quarantine; one of:"),
    ([*HOLD, "silver_transcripts", "x'); drop", "--reason", "x"], {}, 'not an event id: "x\'); drop"'),
    ([*HOLD, "silver_transcripts", "e-1", "--reason", " "], {}, "--reason is empty"),
    ([*HOLD, "silver_transcripts", "e-1"], {}, "the following arguments are required: --reason"),
]


@pytest.mark.parametrize(("command", "env", "says"), CASES, ids=lambda c: " ".join(c) if isinstance(c, list) else None)
def test_a_bad_setting_or_argument_is_one_line_and_exit_2(command, env, says):
    result = subprocess.run(
        command, cwd=PROJECT_ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("usage:") and line.strip()]
    assert len(lines) == 1 and lines[0].endswith(": error: " + lines[0].split(": error: ", 1)[-1]), lines
    assert says in lines[0]
