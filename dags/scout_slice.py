"""Edge-to-dashboard slice: landing files -> bronze -> silver -> gold (Spark + Delta) -> RetailAdvisorDB's
reference data in -> dbt marts (Cosmos) -> Retail Advisor dashboard JSON, and the interactions out to
RetailAdvisorDB. Runs on the embedded default (SQLite RetailAdvisorDB, migrated and seeded); see README.md."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task

from include.orchestration import alerts
from include.orchestration import dbt as dbt_config
from include.orchestration.defaults import DEFAULT_ARGS, START_DATE
from include.settings import load_settings

settings = load_settings()


@dag(
    dag_id="scout_slice",
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["scout", "slice", "medallion", "dbt"],
    default_args=DEFAULT_ARGS,
    # An e-mail when a run is not done within its time budget (SCOUT_BATCH_DEADLINE).
    deadline=alerts.deadline_alert(timedelta(seconds=settings.batch_deadline_s)),
    doc_md=__doc__,
)
def scout_slice():
    @task
    def generate_events() -> dict[str, int]:
        from include.orchestration.slice import generate_events

        return generate_events()

    @task
    def prepare_retail_db() -> dict:
        from include.orchestration.slice import prepare_retail_db

        return prepare_retail_db()

    @task
    def medallion() -> dict[str, int]:
        from include.orchestration.slice import run_medallion

        return run_medallion()

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

    marts = dbt_config.marts_task_group(settings)

    generate_events() >> prepare_retail_db() >> medallion() >> sync_reference() >> marts
    exports = export_dashboard()
    marts >> [exports, sync_interactions()]
    exports >> check_registry()


scout_slice()
