"""Start, stop, restart or ask about the continuous medallion (manual, from the UI or the REST API).

No task waits on the stream: `start` launches the job (detached locally, submitted to a Spark master, or a
continuous Databricks job) and returns; scout_stream_health watches it every few minutes. `stop` marks the
job as stopped on purpose, so the health check does not bring it back."""

from __future__ import annotations

from airflow.sdk import Param, dag, get_current_context, task

from include.orchestration.defaults import DEFAULT_ARGS, START_DATE
from include.orchestration.streaming import ACTIONS, ENGINES


@dag(
    dag_id="scout_streaming",
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["scout", "streaming", "medallion"],
    default_args=DEFAULT_ARGS,
    params={
        "action": Param(
            "status",
            type="string",
            enum=list(ACTIONS),
            title="Action",
            description="start (a running job is left alone), stop (every process of the job ends; the health"
            " check leaves it stopped), restart, or status",
        ),
        "engine": Param(
            None,
            type=["null", "string"],
            enum=[None, *ENGINES],
            title="Engine",
            description="where the job runs; empty: the settings' choice (SCOUT_ENGINE, SCOUT_SPARK_MASTER)",
        ),
    },
    doc_md=__doc__,
)
def scout_streaming():
    @task
    def control() -> dict:
        from include.orchestration.streaming import control

        params = get_current_context()["params"]
        return control(params["action"], params["engine"])

    control()


scout_streaming()
