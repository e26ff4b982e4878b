"""A `fail` expectation tripping inside a streaming micro-batch: the query stops with a message naming the
rule, the table and the row; nothing of that batch is written anywhere (bronze included); once an operator
holds the row (the real command line), the stream resumes with that same batch: the row in quarantine,
everything else of the batch in its tables, once."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import pytest

from include.local import synthetic
from include.orchestration.health import HealthCheck
from include.orchestration.runners import RunState
from include.settings import PROJECT_ROOT, Settings
from include.spark_jobs import jobs, silver, sinks
from include.spark_jobs.progress import read_progress
from include.spark_jobs.rules.expectations import Expectation
from include.spark_jobs.tables import ALL_TABLES, SILVER_TRANSCRIPTS, TABLES, locate
from include.spark_jobs.trigger import Trigger
from scout_edge.contract import Heartbeat, Transcript

pytestmark = pytest.mark.spark

POISON = "a line no device may ever send"
RULE = Expectation("never_the_poison", f"text is null or text != '{POISON}'", "fail")


@pytest.fixture
def fail_rule(monkeypatch):
    """silver_transcripts with one more rule, of action `fail` (no table of the product has one today)."""
    tables = tuple(
        replace(t, expectations=[*t.expectations, RULE]) if t.name == SILVER_TRANSCRIPTS else t
        for t in silver.SILVER_TABLES
    )
    monkeypatch.setattr(silver, "SILVER_TABLES", tables)


def land(settings: Settings, name: str, events) -> None:
    for hub in {e.hub for e in events}:
        path = settings.landing_dir / hub / f"{name}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(e.to_json() + "\n" for e in events if e.hub == hub))


def versions(settings: Settings) -> dict[str, int]:
    def newest(table: str) -> int:
        return max(int(p.stem) for p in (locate(settings, table).path / "_delta_log").glob("*.json"))

    return {table: newest(table) for table in ALL_TABLES}


class Stopped:
    """A runner whose job is not running, with the progress record the real job left."""

    job = "medallion"

    def __init__(self, settings: Settings):
        self.settings = settings

    def status(self) -> RunState:
        progress = read_progress(self.settings.ops_dir, self.job)
        return RunState("local", self.job, running=False, started_before=True, progress=progress)

    def start(self) -> RunState:
        raise AssertionError("the health check restarted a job a `fail` expectation stopped")


def medallion(spark, settings: Settings) -> None:
    jobs.run("medallion", spark, settings, Trigger())


def test_a_failing_batch_writes_nothing_and_resumes_once_the_row_is_held(spark, lake, fail_rule):
    day = synthetic.generate()
    said = [e for e in day.events if isinstance(e, Transcript)]
    first, second = said[:6], said[6:10]
    poison = replace(said[10], event_id="0badf00d-0000-4000-8000-000000000001", text=POISON, word_count=7)
    beat = next(e for e in day.events if isinstance(e, Heartbeat))

    land(lake, "first", first)
    medallion(spark, lake)
    before = versions(lake)

    land(lake, "second", [*second, poison, beat])
    with pytest.raises(Exception) as stopped:
        medallion(spark, lake)
    message = str(stopped.value)
    assert f"{SILVER_TRANSCRIPTS}, micro-batch 1: expectations with action 'fail' were violated" in message
    assert "never_the_poison (1 rows)" in message
    hold = f"python -m include.spark_jobs.holds add {SILVER_TRANSCRIPTS} {poison.event_id} --reason"
    assert hold in message
    assert versions(lake) == before  # nothing of the batch anywhere: bronze, silver, quarantine, gold, DQ

    # The health check reads how the job ended (its progress record) and leaves it to the operator: a
    # restart would replay the batch into the same rule.
    report = HealthCheck(lake, Stopped(lake)).run()
    assert report.action.startswith("left stopped: a `fail` expectation stopped it")
    assert f"{SILVER_TRANSCRIPTS}, micro-batch 1:" in report.action and poison.event_id in report.action

    # The operator's action, as the message says (its own process, reading SCOUT_HOME like the jobs).
    env = {**os.environ, "SCOUT_HOME": str(lake.home)}
    held = subprocess.run(
        [sys.executable, "-m", "include.spark_jobs.holds", "add", SILVER_TRANSCRIPTS, poison.event_id,
         "--reason", "test poison: never to be stored"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert held.returncode == 0, held.stderr
    assert "held 1 event(s) of silver_transcripts" in held.stdout

    medallion(spark, lake)  # batch 1 again, from its start
    stored = {r.event_id for r in sinks.read_table(spark, locate(lake, SILVER_TRANSCRIPTS)).collect()}
    assert stored == {t.event_id for t in [*first, *second]}
    quarantine = sinks.read_table(spark, locate(lake, TABLES[SILVER_TRANSCRIPTS].quarantine)).collect()
    assert [(r.payload, list(r.reasons)) for r in quarantine] == [(poison.to_json(), ["held_by_operator"])]
    beats = sinks.read_table(spark, locate(lake, "silver_device_heartbeat")).collect()
    assert [r.event_id for r in beats] == [beat.event_id]
    raw = sinks.read_table(spark, locate(lake, "bronze_stt_raw")).collect()
    assert sorted(r.payload for r in raw) == sorted(e.to_json() for e in [*first, *second, poison])  # once each

    after = versions(lake)
    medallion(spark, lake)  # nothing left: the batch was committed
    assert versions(lake) == after
