"""A session that runs job after job (the test session, a job restarted in its process) keeps one streaming
listener: Spark calls every listener for every event, a JVM -> Python round trip each, so one per run
made each event cost a call per run ever made. Each run's progress record is still written."""

from __future__ import annotations

import pytest

from include.local import synthetic
from include.settings import Settings
from include.spark_jobs import jobs
from include.spark_jobs.progress import read_progress
from include.spark_jobs.trigger import Trigger

pytestmark = pytest.mark.spark


def listeners(spark) -> int:
    return len(spark._jsparkSession.streams().listListeners())


def test_job_after_job_adds_no_listener_and_each_is_recorded(spark, lake, tmp_path):
    day = synthetic.generate()
    synthetic.write_landing(synthetic.SyntheticDay(events=day.events[:20]), lake.landing_dir)
    jobs.run("bronze", spark, lake, Trigger())
    before = listeners(spark)
    for n in range(3):
        again = Settings(home=tmp_path / f"again-{n}")
        synthetic.write_landing(synthetic.SyntheticDay(events=day.events[:20]), again.landing_dir)
        jobs.run("bronze", spark, again, Trigger())
        record = read_progress(again.ops_dir, "bronze")
        assert (record["state"], record["batch_id"], record["error"]) == ("stopped", 0, None), record
    assert listeners(spark) == before


def test_a_run_with_nothing_new_does_not_wait_for_a_batch_it_never_ran(spark, lake, caplog):
    """The second run of a drained source runs no batch: it must not wait for a progress event (it did, for
    30 s each time, logging that the event never came), and its record still says it stopped."""
    synthetic.write_landing(synthetic.SyntheticDay(events=synthetic.generate().events[:20]), lake.landing_dir)
    jobs.run("bronze", spark, lake, Trigger())
    caplog.clear()
    with caplog.at_level("WARNING", logger="include.spark_jobs.jobs"):
        jobs.run("bronze", spark, lake, Trigger())
    assert [r.getMessage() for r in caplog.records if "progress event" in r.getMessage()] == []
    record = read_progress(lake.ops_dir, "bronze")
    assert (record["state"], record["error"]) == ("stopped", None), record
