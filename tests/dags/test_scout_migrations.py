"""The scout_migrations DAG under dag.test() against SQLite."""

from __future__ import annotations

import pytest
from airflow.sdk.exceptions import ParamValidationError

from include.local.airflow import prepare_airflow
from include.retail_db import migrate
from include.settings import DAGS_DIR


@pytest.fixture(scope="module")
def airflow_db(settings):
    prepare_airflow(settings)


@pytest.fixture
def dag(airflow_db):
    # A fresh DAG object per test: dag.test() merges a run's conf into the DAG's params in place.
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=DAGS_DIR / "scout_migrations.py").get_dag("scout_migrations")


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'ra.db'}"
    monkeypatch.setenv("SCOUT_RETAIL_DB_URL", url)
    return url


def run(dag, **conf):
    run = dag.test(run_conf=conf)
    (ti,) = run.get_task_instances()
    return run.state, ti.xcom_pull(task_ids="migrate")


def test_a_dry_run_changes_nothing(dag, db):
    state, report = run(dag, dry_run=True)
    assert state == "success"
    assert report["before"] is None and report["after"] is None and report["sql_lines"] > 100
    assert migrate.current(db) is None


def test_a_real_run_reaches_head_then_goes_back(dag, db):
    state, report = run(dag)
    assert (state, report["before"], report["after"]) == ("success", None, "0012")
    state, report = run(dag, target_revision="0008")
    assert (state, report["before"], report["after"]) == ("success", "0012", "0008")
    assert migrate.current(db) == "0008"


@pytest.mark.parametrize(
    ("conf", "param"),
    [
        ({"target_revision": "latest"}, "target_revision"),
        ({"dry_run": "yes"}, "dry_run"),
        ({"adopt_legacy": 1}, "adopt_legacy"),
    ],
)
def test_a_bad_param_is_refused_before_the_run(dag, db, conf, param):
    with pytest.raises(ParamValidationError, match=param):
        dag.test(run_conf=conf)
    assert migrate.current(db) is None
