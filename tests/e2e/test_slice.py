"""The slice end to end through Airflow (dag.test on SQLite), twice: exact counts, exact export, no dupes."""

from __future__ import annotations

import json

import pytest

from include.dashboard.export import MART
from include.local import synthetic
from include.local.airflow import prepare_airflow, run_dag
from include.spark_jobs.sinks import table_counts as lakehouse_counts
from tests.expected import table_counts

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def expected() -> dict:
    return synthetic.expected_summary(synthetic.generate())


@pytest.fixture(scope="module")
def first_run(settings, spark):
    prepare_airflow(settings)
    run_dag("scout_slice")
    return lakehouse_counts(spark, settings), json.loads((settings.export_dir / f"{MART}.json").read_text())


def test_every_table_holds_exactly_what_the_input_implies(first_run, expected):
    counts, _ = first_run
    assert counts == table_counts(expected)


def test_an_independent_delta_reader_sees_the_same_rows(first_run, settings):
    from deltalake import DeltaTable

    counts, _ = first_run
    seen = {table: DeltaTable(str(settings.table_path(table))).to_pyarrow_dataset().count_rows() for table in counts}
    assert seen == counts


def test_the_dashboard_export_matches_the_synthetic_input(first_run, expected):
    _, document = first_run
    assert document["source"] == "scout_marts.store_daily_metrics"
    got = {
        store["store_id"]: {k: v for k, v in store["days"][0].items() if k != "date"} for store in document["stores"]
    }
    assert got == expected["stores"]
    assert {day["date"] for store in document["stores"] for day in store["days"]} == {expected["date"]}


def test_a_second_run_changes_nothing(first_run, settings, spark):
    counts, document = first_run
    run_dag("scout_slice")
    again = json.loads((settings.export_dir / f"{MART}.json").read_text())
    assert lakehouse_counts(spark, settings) == counts
    assert again["stores"] == document["stores"]
    assert again["generated_at"] >= document["generated_at"]
