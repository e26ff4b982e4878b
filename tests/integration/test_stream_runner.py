"""The local streaming runner for real: the continuous medallion as a detached process, started twice,
fed landing files while it runs, killed with SIGKILL mid-batch and brought back by the health check,
then stopped."""

from __future__ import annotations

import json
import os
import signal
from dataclasses import replace

import pytest

from include.local import synthetic
from include.orchestration.health import HealthCheck
from include.orchestration.runners.local import LocalRunner, group_members
from include.settings import Settings
from include.spark_jobs import sinks
from include.spark_jobs.progress import read_progress
from include.spark_jobs.tables import locate
from tests.expected import table_counts
from tests.independent import assert_gold_and_alignment_as_computed
from tests.ports import wait_for

pytestmark = pytest.mark.e2e

GOLD = "gold_store_interaction_metrics"


def gold_rows(settings: Settings) -> int:
    progress = read_progress(settings.ops_dir, "medallion") or {}
    return (progress.get("tables", {}).get(GOLD) or {}).get("rows_total", 0)


def test_start_kill_revive_stop(tmp_path, settings, spark):
    home = tmp_path / "home"
    home.mkdir()
    (home / "jars").symlink_to(settings.jars_dir.resolve(), target_is_directory=True)
    lake = replace(Settings(home=home), stream_interval="2 seconds", max_restarts_per_hour=2)
    runner = LocalRunner(lake)

    started = runner.start()
    assert started.running and started.pid
    again = runner.start()
    assert (again.pid, again.detail) == (started.pid, "already running: left alone")
    wait_for(lambda: (read_progress(lake.ops_dir, "medallion") or {}).get("state") == "running", 120, "the query")

    # Files land while it runs; it is killed (SIGKILL, every process of the job) in the middle of the batch
    # that reads them: after bronze committed it (version 1 of its Delta log), before gold.
    day = synthetic.generate()
    synthetic.write_landing(day, lake.landing_dir)
    committed = locate(lake, "bronze_stt_raw").path / "_delta_log" / f"{1:020d}.json"
    wait_for(committed.exists, 240, "bronze to commit the new files", every=0.2)
    assert gold_rows(lake) == 0
    os.killpg(started.pid, signal.SIGKILL)
    wait_for(lambda: not runner.status().running, 30, "the killed job to be seen as dead")
    assert not runner.status().stopped_by_operator

    report = HealthCheck(lake, runner).run()
    assert report.action == "restarted (1 of 2 this hour)"
    assert report.state.running and report.state.pid != started.pid
    wait_for(lambda: gold_rows(lake) > 0, 240, "the restarted job to reach gold")

    # Nothing lost, nothing twice: every table as one clean run over the same files makes it.
    expected = table_counts(synthetic.expected_summary(day))
    expected.pop("gold_dq_metrics")  # one row per rule per micro-batch: depends on how the files were batched
    counts = sinks.table_counts(spark, lake)
    assert {t: counts[t] for t in expected} == expected
    assert_gold_and_alignment_as_computed(spark, lake, day)  # and as plain Python computes them

    revived = runner.status().pid
    stopped = runner.stop()
    assert not stopped.running and stopped.stopped_by_operator
    assert group_members(revived) == []  # the driver and its JVM: every process of the job is gone
    assert read_progress(lake.ops_dir, "medallion")["state"] == "stopped"
    left = HealthCheck(lake, runner).run()
    assert left.action == "left stopped (an operator stopped it)" and not left.state.running
    assert json.loads((lake.ops_dir / "medallion.run.json").read_text())["stopped_by_operator"] is True
