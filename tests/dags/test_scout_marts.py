"""scout_marts: scheduled on the gold tables' Assets the stream health DAG emits, one dbt group, then the
exports. (The same dbt group and export task run end to end in the slice: tests/e2e/test_slice.py.)"""

from __future__ import annotations

import pytest

from include.local.airflow import prepare_airflow
from include.orchestration.health import GOLD_TABLES
from include.settings import DAGS_DIR


@pytest.fixture(scope="module")
def dags(settings):
    prepare_airflow(settings)
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=DAGS_DIR)
    assert bag.import_errors == {}
    return bag


def test_any_gold_table_that_advanced_starts_the_marts(dags):
    from airflow.sdk import AssetAny

    condition = dags.get_dag("scout_marts").timetable.asset_condition
    assert isinstance(condition, AssetAny)  # any one of them, not all of them
    assert sorted(a.name for a in condition.objects) == sorted(GOLD_TABLES)
    health = dags.get_dag("scout_stream_health")
    emitted = {o.name for t in health.tasks for o in t.outlets}
    assert emitted == set(GOLD_TABLES)


def test_the_exports_follow_one_dbt_build_of_every_mart(dags):
    dag = dags.get_dag("scout_marts")
    (producer,) = [t for t in dag.tasks if t.task_id.endswith("dbt_producer_watcher")]
    marts = {
        t.task_id.split(".")[1] for t in dag.tasks if t.task_id.startswith("dbt_marts.") and t.task_id.endswith(".run")
    }
    assert {"store_daily_metrics", "brand_performance_metrics", "device_performance_metrics",
            "customer_session_metrics"} <= marts  # fmt: skip
    export = dag.get_task("export_dashboard")
    dbt_tasks = {t.task_id for t in dag.tasks if t.task_id.startswith("dbt_marts.")}
    assert export.get_flat_relative_ids(upstream=True) >= dbt_tasks
    assert producer.task_id in export.get_flat_relative_ids(upstream=True)
    assert dag.max_active_runs == 1
