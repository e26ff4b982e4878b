"""`make medallion-continuous`: the three layers keep running and pick up files as they land."""

from __future__ import annotations

import os
import signal
import time

import pytest
from deltalake import DeltaTable

from include.local import synthetic
from include.settings import Settings
from include.spark_jobs.tables import locate
from tests.expected import table_counts
from tests.processes import start_medallion

pytestmark = pytest.mark.spark


def rows(settings: Settings, table: str) -> int:
    try:
        return DeltaTable(str(locate(settings, table).path)).to_pyarrow_dataset().count_rows()
    except Exception:
        return -1


def test_continuous_mode_processes_files_that_land_while_it_runs(tmp_path, settings, monkeypatch):
    # Each synthetic landing file holds a device's whole day, so event time jumps by hours from one
    # micro-batch to the next; a day-long watermark lets the speech x vision join see all of it (a real
    # device's file transport rotates every minute and the default watermark is one hour).
    monkeypatch.setenv("SCOUT_WATERMARK", "24 hours")
    home = tmp_path / "home"
    home.mkdir()
    (home / "jars").symlink_to(settings.jars_dir.resolve(), target_is_directory=True)
    lake = Settings(home=home)
    day = synthetic.generate()
    expected = table_counts(synthetic.expected_summary(day))

    process = start_medallion(home, "--trigger", "continuous", "--interval", "2 seconds")
    try:
        deadline = time.monotonic() + 120
        while rows(lake, "gold_store_interaction_metrics") < 0:  # running: every table exists, empty
            assert process.poll() is None, process.log_tail()
            assert time.monotonic() < deadline, "the continuous medallion did not start"
            time.sleep(1)
        synthetic.write_landing(day, lake.landing_dir)  # the day arrives while the queries run

        def caught_up() -> bool:
            return all(rows(lake, t) == n for t, n in expected.items() if t != "gold_dq_metrics")

        while not caught_up():
            assert process.poll() is None, process.log_tail()
            assert time.monotonic() < deadline, {t: rows(lake, t) for t in expected}
            time.sleep(1)
    finally:
        os.kill(process.pid, signal.SIGTERM)  # as the streaming runner stops it: the driver stops its queries
        try:
            process.wait(timeout=120)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, process.log_tail()
    assert rows(lake, "gold_dq_metrics") >= expected["gold_dq_metrics"]  # a row per rule per micro-batch
