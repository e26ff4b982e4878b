"""The dbt marts and the dashboard exports, whenever a gold table got new rows (its watcher or the stream
health DAG emits its Asset event) or by hand: RetailAdvisorDB's reference data mirrored in, one `dbt build`
of the project through Cosmos (staging, intermediate, the five marts, their tests), then every export
validated against its schema and published with the index, and the interactions written back to
RetailAdvisorDB. The marts are incremental: a run recomputes only what new rows touched, and an
Asset-triggered run that finds every lake table as the last build left it skips the rest."""

from __future__ import annotations

from airflow.sdk import AssetAny, dag, task

from include.orchestration import dbt as dbt_config
from include.orchestration.assets import GOLD_ASSETS
from include.orchestration.defaults import DEFAULT_ARGS, START_DATE
from include.settings import load_settings

settings = load_settings()


@dag(
    dag_id="scout_marts",
    schedule=AssetAny(*GOLD_ASSETS.values()),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,  # dbt-spark's local metastore takes one dbt at a time; runs queue up, none is lost
    tags=["scout", "dbt", "marts", "dashboard"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def scout_marts():
    @task
    def sync_reference() -> dict:
        from include.orchestration.retail_sync import sync_reference

        return sync_reference()

    @task
    def export_dashboard() -> str:
        from include.orchestration.marts import export_dashboard

        return export_dashboard()

    @task
    def check_registry() -> dict:
        from include.orchestration.marts import check_registry

        return check_registry()

    @task
    def sync_interactions() -> dict:
        from include.orchestration.retail_sync import sync_interactions

        return sync_interactions()

    @task.short_circuit
    def lake_changed(dag_run=None) -> dict | bool:
        from include.orchestration.marts import lake_changed

        return lake_changed(dag_run.run_type)

    @task
    def record_build(versions: dict | bool) -> None:
        from include.orchestration.marts import record_build

        record_build(versions)

    changed = lake_changed()
    marts = dbt_config.marts_task_group(settings)
    exports = export_dashboard()
    sync_reference() >> changed >> marts >> [exports, sync_interactions()]
    exports >> [check_registry(), record_build(changed)]


scout_marts()
