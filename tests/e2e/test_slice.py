"""The slice end to end through Airflow (dag.test on SQLite), twice: exact counts, exact export, no dupes."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from include.dashboard.export import INDEX, MART
from include.local import synthetic
from include.local.airflow import prepare_airflow, run_dag
from include.spark_jobs.silver import specs
from include.spark_jobs.sinks import table_counts as lakehouse_counts
from include.spark_jobs.tables import locate
from scout_edge.contract import Transcript, to_iso
from tests.expected import table_counts
from tests.expected_marts import EXPECTED, LINES

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def expected() -> dict:
    return synthetic.expected_summary(synthetic.generate())


@pytest.fixture(scope="module")
def first_run(settings, spark):
    prepare_airflow(settings)
    run_dag("scout_slice")
    return lakehouse_counts(spark, settings), json.loads((settings.export_dir / f"{MART}.json").read_text())


def exported(settings, name: str) -> list[dict]:
    return json.loads((settings.export_dir / f"{name}.json").read_text())["rows"]


def test_every_table_holds_exactly_what_the_input_implies(first_run, expected):
    counts, _ = first_run
    assert counts == table_counts(expected)


def test_an_independent_delta_reader_sees_the_same_rows(first_run, settings):
    from deltalake import DeltaTable

    counts, _ = first_run
    seen = {table: DeltaTable(str(locate(settings, table).path)).to_pyarrow_dataset().count_rows() for table in counts}
    assert seen == counts


def test_the_dashboard_export_matches_the_synthetic_input(first_run, expected):
    _, document = first_run
    assert document["source"] == "scout_marts.store_daily_metrics"
    got = {
        store["store_id"]: {k: v for k, v in store["days"][0].items() if k != "date"} for store in document["stores"]
    }
    assert got == expected["stores"]
    assert {day["date"] for store in document["stores"] for day in store["days"]} == {expected["date"]}


@pytest.mark.parametrize("mart", sorted(EXPECTED))
def test_each_mart_export_equals_an_independent_computation(first_run, settings, mart):
    assert exported(settings, mart) == EXPECTED[mart](synthetic.generate())


def test_the_index_lists_every_export(first_run, settings):
    index = json.loads((settings.export_dir / INDEX).read_text())
    assert [e["name"] for e in index["exports"]] == [MART, *EXPECTED]
    assert {e["name"]: e["rows"] for e in index["exports"]} == {
        MART: 2,  # a store-day per store
        **{mart: len(compute(synthetic.generate())) for mart, compute in EXPECTED.items()},
    }


def test_the_demo_summary_lists_every_mart_with_its_rows(first_run, settings):
    from include.local.demo import _mart_lines

    lines = "\n".join(_mart_lines(settings))
    day = synthetic.generate()
    for mart, compute in EXPECTED.items():
        assert f"scout_marts.{mart}" in lines and f"{len(compute(day)):>4} rows  -> {mart}.json" in lines
    top = max(EXPECTED["brand_performance_metrics"](day), key=lambda r: r["mentions"])
    assert f"most named: {top['brand']} at {top['store_id']} ({top['mentions']} mentions" in lines
    assert lines.endswith("dashboard: `make dashboard`, then http://127.0.0.1:8050/ (the page over these exports)")


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


@pytest.fixture(scope="module")
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


def test_a_second_run_adds_exactly_the_late_transcript(first_run, second_run):
    counts, _ = first_run
    day, _, _, again = second_run
    expected = table_counts(synthetic.expected_summary(day))
    # gold_dq_metrics: the second micro-batch held transcripts only: a row per transcript rule, and the dedupe.
    expected["gold_dq_metrics"] = counts["gold_dq_metrics"] + len(specs.TRANSCRIPTS.expectations) + 1
    assert again == expected
    assert again["silver_transcripts"] == counts["silver_transcripts"] + 1


def test_after_the_second_run_every_mart_is_the_day_plus_the_late_transcript(second_run, settings):
    day, late, session, _ = second_run
    for mart, compute in EXPECTED.items():
        assert exported(settings, mart) == compute(day), mart  # incremental: no duplicates, the late row in
    (row,) = [r for r in exported(settings, "customer_session_metrics") if r["session_id"] == session["session_id"]]
    assert row["transcripts"] == session["transcripts"] + 1
    assert LINES[late.text][1] in row["brands_asked"]
    document = json.loads((settings.export_dir / f"{MART}.json").read_text())
    assert {s["store_id"]: s["days"][0]["transcripts"] for s in document["stores"]} == {
        store: m["transcripts"] for store, m in synthetic.expected_summary(day)["stores"].items()
    }
