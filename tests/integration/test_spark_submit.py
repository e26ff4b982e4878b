"""The spark-submit engine against a real Spark standalone cluster on loopback: a master and a worker started
from pyspark's own spark-class, the continuous medallion submitted to it by the streaming runner, the
synthetic day processed on the cluster's executor, then stopped with nothing left running."""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import replace
from pathlib import Path

import httpx
import psutil
import pyspark
import pytest
from pyspark.sql import functions as F

from include.local import synthetic
from include.orchestration.runners import runner_for
from include.orchestration.runners.local import group_members
from include.settings import Settings
from include.spark_jobs import sinks
from include.spark_jobs.progress import read_progress
from include.spark_jobs.tables import GOLD_STORE_INTERACTION_METRICS, locate
from tests.expected import table_counts
from tests.ports import free_port, wait_for

pytestmark = pytest.mark.e2e

SPARK_CLASS = Path(pyspark.__file__).parent / "bin" / "spark-class"


def daemon(log: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_NO_DAEMONIZE": "1"}
    with log.open("w") as out:
        return subprocess.Popen(
            [str(SPARK_CLASS), *args], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


@pytest.fixture(scope="module")
def standalone(tmp_path_factory):
    """spark://127.0.0.1:<port> with one worker (1 core, 2 GiB) registered."""
    logs = tmp_path_factory.mktemp("standalone")
    port, ui = free_port(), free_port()
    master = daemon(
        logs / "master.log",
        *("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port)),
        *("--webui-port", str(ui)),
    )
    url = f"spark://127.0.0.1:{port}"
    worker = daemon(
        logs / "worker.log",
        *("org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1", "--cores", "1", "--memory", "2g"),
        *("--webui-port", str(free_port()), "--work-dir", str(logs / "work")),
    )

    def alive_workers() -> int:
        try:
            return httpx.get(f"http://127.0.0.1:{ui}/json/", timeout=2).json().get("aliveworkers", 0)
        except (httpx.HTTPError, ValueError):
            return 0

    try:
        wait_for(alive_workers, 120, "the worker to register with the master")
        yield url, (master, worker), logs / "work"
    finally:
        for process in (worker, master):
            os.killpg(process.pid, signal.SIGTERM)
        for process in (worker, master):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def listening(pids: list[int]) -> set[str]:
    found = set()
    for pid in pids:
        for process in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
            found |= {c.laddr.ip for c in process.net_connections("inet") if c.status == psutil.CONN_LISTEN}
    return found


def test_the_medallion_submitted_to_a_standalone_cluster_lands_the_day(tmp_path, settings, spark, standalone):
    url, daemons, work = standalone
    home = tmp_path / "home"
    home.mkdir()
    (home / "jars").symlink_to(settings.jars_dir.resolve(), target_is_directory=True)
    lake = replace(Settings(home=home), spark_master=url, stream_interval="2 seconds")
    day = synthetic.generate()
    synthetic.write_landing(day, lake.landing_dir)
    expected = table_counts(synthetic.expected_summary(day))

    runner = runner_for(lake)  # SCOUT_SPARK_MASTER set: the spark-submit engine
    state = runner.start()
    assert (runner.engine, state.running) == ("spark-submit", True)

    def gold_rows() -> bool:
        if not runner.status().running:
            log = (lake.ops_dir / "medallion.log").read_text().splitlines()
            raise AssertionError("the job died:\n" + "\n".join(line for line in log[-60:] if "\tat " not in line))
        tables = (read_progress(lake.ops_dir, "medallion") or {}).get("tables") or {}
        got = (tables.get(GOLD_STORE_INTERACTION_METRICS) or {}).get("rows_total", 0)
        return got >= expected[GOLD_STORE_INTERACTION_METRICS]

    try:
        wait_for(gold_rows, 480, "the cluster to bring the day to gold", every=2)
        # The job ran on the cluster: the worker made an executor folder for it (work/app-<id>/<executor>).
        assert [p for p in work.glob("app-*/*") if p.is_dir()], "no executor ran on the worker"
        assert listening([state.pid, *(d.pid for d in daemons)]) <= {"127.0.0.1", "::1", "::ffff:127.0.0.1"}
    finally:
        pid = runner.status().pid
        stopped = runner.stop()
    assert not stopped.running and group_members(pid) == []

    counts = sinks.table_counts(spark, lake)
    expected.pop("gold_dq_metrics")  # one row per rule per micro-batch: depends on how the files were batched
    assert {t: counts[t] for t in expected} == expected
    per_store = (
        sinks.read_table(spark, locate(lake, GOLD_STORE_INTERACTION_METRICS))
        .groupBy("store_id")
        .agg(F.sum("transcripts").alias("transcripts"), F.sum("words").alias("words"), F.count("*").alias("hours"))
        .collect()
    )
    want = synthetic.expected_summary(day)["stores"]
    assert {r.store_id: (r.transcripts, r.words, r.hours) for r in per_store} == {
        store: (s["transcripts"], s["words"], s["active_hours"]) for store, s in want.items()
    }
