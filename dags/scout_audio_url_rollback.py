"""The AudioURL rollback, triggered by hand: AudioURL (the link to a transcript's recorded clip) brought
back end to end (`restore`), or taken away again (`deprecate`). See docs/rollback.md.

database (RetailAdvisorDB to head / 0009) -> pipeline (the stream's flag, silver's values; the sample
landed) -> the mart rebuilt -> dashboard (exports; RetailAdvisorDB's interactions written again) ->
devices (configuration through the fleet's channel; acknowledgements) -> validate (the sample at every
layer) -> report. A dry run (the default) reports what each step would change and changes nothing."""

from __future__ import annotations

from airflow.sdk import Param, dag, get_current_context, task

from include.orchestration import dbt as dbt_config
from include.orchestration.defaults import DEFAULT_ARGS, START_DATE
from include.settings import load_settings

settings = load_settings()
NAMES = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*$"}


def params() -> dict:
    return get_current_context()["params"]


@dag(
    dag_id="scout_audio_url_rollback",
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["scout", "rollback", "audio-url", "retail-advisor-db"],
    default_args=DEFAULT_ARGS,
    params={
        "direction": Param(
            "restore",
            type="string",
            enum=["restore", "deprecate"],
            title="Direction",
            description="restore: AudioURL back in the database, the pipeline, the devices and the dashboard;"
            " deprecate: taken away again (values kept in the database's archive and in bronze).",
        ),
        "dry_run": Param(
            True,
            type="boolean",
            title="Dry run",
            description="Report every change each step would make; change nothing.",
        ),
        "stores": Param(
            [],
            type=["null", "array"],  # optional: the trigger form marks a param without "null" required
            items=NAMES,
            uniqueItems=True,
            title="Stores",
            description="Store codes whose devices to reconfigure (empty: every store). The database and"
            " the pipeline are fleet-wide.",
        ),
        "devices": Param(
            [],
            type=["null", "array"],  # optional: the trigger form marks a param without "null" required
            items=NAMES,
            uniqueItems=True,
            title="Devices",
            description="Device ids to reconfigure (empty: every device of the stores above).",
        ),
        "validate_with_sample": Param(
            True,
            type="boolean",
            title="Validate with the sample",
            description="Push the sample dataset (include/rollback/rollback_test_data.json) through every"
            " layer and check its AudioURL values field by field.",
        ),
    },
    render_template_as_native_obj=True,
    doc_md=__doc__,
)
def scout_audio_url_rollback():
    @task
    def database() -> dict:
        from include.orchestration import rollback

        return rollback.database(params())

    @task
    def pipeline() -> dict:
        from include.orchestration import rollback

        return rollback.pipeline(params())

    @task.short_circuit(ignore_downstream_trigger_rules=False)
    def mart_needs_rebuilding(pipeline_report: dict) -> bool:
        from include.orchestration import rollback

        return rollback.marts_needed(params(), pipeline_report)

    @task(trigger_rule="none_failed")
    def dashboard() -> dict:
        from include.orchestration import rollback

        return rollback.dashboard(params())

    @task
    def devices() -> dict:
        from include.orchestration import rollback

        return rollback.devices(params())

    @task
    def validate() -> dict:
        from include.orchestration import rollback

        return rollback.validate(params())

    @task
    def report(**steps: dict) -> dict:
        from include.orchestration import rollback

        return rollback.report(params(), steps)

    rebuild = dbt_config.rebuild_task(settings, "rebuild_mart", ["sales_interactions_enriched"])
    db, lake = database(), pipeline()
    shown, fleet, checked = dashboard(), devices(), validate()
    db >> lake >> mart_needs_rebuilding(lake) >> rebuild >> shown >> fleet >> checked
    report(database=db, pipeline=lake, dashboard=shown, devices=fleet, validate=checked)


scout_audio_url_rollback()
