"""The slice end to end through Airflow (dag.test on SQLite), twice: exact counts, exact export, no dupes."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from include.dashboard.export import INDEX, MART
from include.local import synthetic
from include.local.airflow import prepare_airflow, run_dag
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


def test_a_second_run_changes_nothing(first_run, settings, spark):
    counts, document = first_run
    marts = {mart: exported(settings, mart) for mart in EXPECTED}
    run_dag("scout_slice")
    again = json.loads((settings.export_dir / f"{MART}.json").read_text())
    assert lakehouse_counts(spark, settings) == counts
    assert again["stores"] == document["stores"]
    assert again["generated_at"] >= document["generated_at"]
    assert {mart: exported(settings, mart) for mart in EXPECTED} == marts  # incremental: no duplicates


def test_a_late_transcript_is_folded_into_its_session_and_brand_day(first_run, settings):
    """After the second run: one more question arrives for a session the marts already hold."""
    day = synthetic.generate()
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
    hub = settings.landing_dir / Transcript.hub
    (hub / "late-20261102.jsonl").write_text(late.to_json() + "\n")
    day.events.append(late)  # what the independent computation now sees

    run_dag("scout_slice")

    for mart in ("customer_session_metrics", "brand_performance_metrics"):
        assert exported(settings, mart) == EXPECTED[mart](day), mart
    (row,) = [r for r in exported(settings, "customer_session_metrics") if r["session_id"] == session["session_id"]]
    assert row["transcripts"] == session["transcripts"] + 1
    assert LINES[text][1] in row["brands_asked"]
