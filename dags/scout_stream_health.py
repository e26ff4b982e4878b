"""Every 5 minutes: is the continuous medallion alive, how fresh is gold, how big is the backlog.

A job that died is restarted (not one an operator stopped; at most SCOUT_MAX_RESTARTS_PER_HOUR times an
hour, then it stops trying and says so). A gold table without new rows for longer than
SCOUT_FRESHNESS_SLA is e-mailed once when the breach starts and once when it recovers, and the `sla` task
fails while it lasts. Each gold table that got new rows emits its Asset event, so the marts DAG runs on
data, not on the clock."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag, task

from include.orchestration.assets import GOLD_ASSETS
from include.orchestration.defaults import DEFAULT_ARGS, START_DATE


@dag(
    dag_id="scout_stream_health",
    schedule=timedelta(minutes=5),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["scout", "streaming", "health", "sla"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def scout_stream_health():
    @task
    def check() -> dict:
        from include.orchestration.streaming import health_check

        return health_check()

    # A verdict, not a step: no retries, and its alert is the freshness e-mail `check` sends once per breach.
    @task(on_failure_callback=None, retries=0)
    def sla(report: dict) -> None:
        from include.orchestration.streaming import enforce_sla

        enforce_sla(report)

    report = check()
    sla(report)
    for table, asset in GOLD_ASSETS.items():

        @task(task_id=f"advanced_{table}", outlets=[asset])
        def advanced(report: dict, table: str = table) -> None:
            from include.orchestration.streaming import emit_if_advanced

            emit_if_advanced(report, table)

        advanced(report)


scout_stream_health()
