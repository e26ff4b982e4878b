"""The checks Astronomer's project template (`astro dev init`, tests/dags/test_dag_example.py) runs on every
DAG before `astro deploy`: no import errors, tags on every DAG, task retries of at least 2."""

from __future__ import annotations

import pytest

from include.settings import DAGS_DIR


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=DAGS_DIR)  # examples are off by config (AIRFLOW__CORE__LOAD_EXAMPLES)


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert {"scout_slice", "scout_streaming", "scout_stream_health", "scout_migrations"} <= set(dagbag.dags)


def test_every_dag_has_tags(dagbag):
    assert [dag_id for dag_id, dag in dagbag.dags.items() if not dag.tags] == []


def test_every_dag_retries_its_tasks_at_least_twice(dagbag):
    assert {dag_id: dag.default_args.get("retries") for dag_id, dag in dagbag.dags.items()} == {
        dag_id: 2 for dag_id in dagbag.dags
    }
