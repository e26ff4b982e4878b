"""RetailAdvisorDB <-> lakehouse, daily and by hand (scout_marts does the same around every marts build).

1. reference in: Stores, Products, Customers and EdgeDeviceRegistry mirrored into the lakehouse's ref_*
   tables, which the marts join (rows gone from the database are kept, flagged deleted_in_source);
2. interactions out: the sessions of the mart sales_interactions_enriched since the last sync written to
   SalesInteractions, SalesInteractionTranscripts (WordCount, LangCode, AudioURL) and
   SalesInteractionBrands; a rerun writes nothing twice. Param `full`: every session again (e.g. to fill
   AudioURL back after the rollback restored the column)."""

from __future__ import annotations

from airflow.sdk import Param, dag, get_current_context, task

from include.orchestration.defaults import DEFAULT_ARGS, START_DATE


@dag(
    dag_id="scout_retail_db_sync",
    schedule="@daily",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["scout", "retail-advisor-db", "sync"],
    default_args=DEFAULT_ARGS,
    params={
        "full": Param(
            False,
            type="boolean",
            title="Full resync",
            description="Write every session of the mart again, not only those since the last sync.",
        ),
    },
    render_template_as_native_obj=True,
    doc_md=__doc__,
)
def scout_retail_db_sync():
    @task
    def sync_reference() -> dict:
        from include.orchestration.retail_sync import sync_reference

        return sync_reference()

    @task
    def sync_interactions() -> dict:
        from include.orchestration.retail_sync import sync_interactions

        return sync_interactions(full=get_current_context()["params"]["full"])

    sync_reference() >> sync_interactions()


scout_retail_db_sync()
