"""Exactly-once under kill -9: the medallion killed mid-run several times, then finished, ends with the same
rows as an undisturbed run (ingest and update times aside)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from include.local import synthetic
from include.settings import Settings
from include.spark_jobs import sinks
from include.spark_jobs.tables import ALL_TABLES, GOLD_DQ_METRICS
from tests.processes import start_medallion

pytestmark = pytest.mark.spark

LINES_PER_FILE = 8  # many small files, a few per micro-batch: many commits to be killed in between
# Kill points, as fractions of a clean run's duration (each restart pays the JVM start again).
KILL_AT = (0.3, 0.35, 0.4)
VOLATILE = {"ingest_time", "updated_at", "recorded_at", "batch_id"}  # when, not what


def land_in_small_files(day: synthetic.SyntheticDay, landing: Path) -> None:
    """Small files with one modification time each, a second apart: the file source takes them in that
    order, so both homes see the same arrival order (what counts as late depends on it)."""
    lines: dict[str, list[str]] = {}
    for event in [*day.events, *day.duplicates]:
        lines.setdefault(event.hub, []).append(event.to_json())
    for hub, bad in day.bad_lines.items():
        lines[hub] += bad
    files = []
    for hub, hub_lines in lines.items():
        (landing / hub).mkdir(parents=True)
        for n, start in enumerate(range(0, len(hub_lines), LINES_PER_FILE)):
            path = landing / hub / f"part-{n:04d}.jsonl"
            path.write_text("\n".join(hub_lines[start : start + LINES_PER_FILE]))
            files.append((n, path))
    arrival = time.time() - 100_000
    for _, path in sorted(files):  # the hubs' files interleaved, as devices would deliver them
        arrival += 1
        os.utime(path, (arrival, arrival))


def home_with_input(root: Path, jars: Path, day: synthetic.SyntheticDay) -> Path:
    root.mkdir()
    (root / "jars").symlink_to(jars, target_is_directory=True)
    land_in_small_files(day, root / "landing")
    return root


def medallion(home: Path) -> subprocess.Popen:
    return start_medallion(home, "--max-files-per-trigger", "30")


def finish(process: subprocess.Popen) -> None:
    _, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-3000:]


def snapshot(spark, home: Path) -> dict[str, list]:
    settings = Settings(home=home)
    tables = {}
    for table in ALL_TABLES:
        df = sinks.read_table(spark, settings.table_path(table))
        if "source_file" in df.columns:  # landing paths differ by home: keep <hub>/<file>
            df = df.withColumn("source_file", F.regexp_extract("source_file", r"[^/]+/[^/]+$", 0))
        if table == GOLD_DQ_METRICS:  # batches may split differently after a crash: compare the totals
            df = df.groupBy("table", "expectation", "action").agg(F.sum("failed"), F.sum("dropped"))
        df = df.drop(*VOLATILE)
        tables[table] = sorted(tuple(str(v) for v in row) for row in df.collect())
    return tables


def test_killed_runs_resume_to_the_same_tables_as_a_clean_run(spark, tmp_path, settings):
    day = synthetic.generate(sessions_per_device=40)
    jars = settings.jars_dir.resolve()
    clean = home_with_input(tmp_path / "clean", jars, day)
    crashed = home_with_input(tmp_path / "crashed", jars, day)

    started = time.monotonic()
    finish(medallion(clean))
    clean_run_s = time.monotonic() - started
    expected = snapshot(spark, clean)
    assert len(expected["silver_transcripts"]) > 300

    interrupted = 0
    for fraction in KILL_AT:
        process = medallion(crashed)
        time.sleep(fraction * clean_run_s)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # the driver and its JVM, mid-write
            interrupted += 1
        process.wait()
    assert interrupted >= 2, "the runs finished before they could be killed: raise the input size"
    finish(medallion(crashed))

    assert snapshot(spark, crashed) == expected
