"""The slice's two runs through Airflow (dag.test on SQLite), once per test session: tests/e2e/test_slice.py
checks them, tests/e2e/test_slice_audio_url_rollback.py then rolls AudioURL back and forth on their lake."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from include.dashboard.export import MART
from include.local import synthetic
from include.local.airflow import prepare_airflow, run_dag
from include.spark_jobs.sinks import table_counts as lakehouse_counts
from scout_edge.contract import Transcript, to_iso
from tests.expected_marts import EXPECTED, LINES


@pytest.fixture(scope="session")
def first_run(settings, spark):
    prepare_airflow(settings)
    run_dag("scout_slice")
    return lakehouse_counts(spark, settings), json.loads((settings.export_dir / f"{MART}.json").read_text())


def late_transcript(day: synthetic.SyntheticDay) -> tuple[Transcript, dict]:
    """One more brand question, 20 s after the last thing said in a session the marts already hold."""
    session = EXPECTED["customer_session_metrics"](day)[0]
    said = [e for e in day.events if isinstance(e, Transcript) and e.session_id == session["session_id"]]
    text = next(
        t for t, (question, brand) in LINES.items() if question and brand and brand not in session["brands_asked"]
    )
    last = max(said, key=lambda t: t.ts)
    late = replace(
        last,
        event_id="0c0ffee0-0000-4000-8000-000000000001",
        ts=to_iso(datetime.fromisoformat(last.ts) + timedelta(seconds=20)),  # before the customer left
        text=text,
        word_count=len(text.split()),
    )
    return late, session


@pytest.fixture(scope="session")
def second_run(first_run, settings, spark):
    """The slice again, with one late transcript landed since the first run: a second run adds exactly
    that transcript and what it implies, nothing twice (the medallion's checkpoint, Delta transaction
    ids, the marts' MERGE)."""
    day = synthetic.generate()
    late, session = late_transcript(day)
    (settings.landing_dir / Transcript.hub / "late-20261102.jsonl").write_text(late.to_json() + "\n")
    day.events.append(late)  # what the independent computations now see
    run_dag("scout_slice")
    return day, late, session, lakehouse_counts(spark, settings)
