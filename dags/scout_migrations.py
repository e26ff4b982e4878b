"""RetailAdvisorDB schema migrations (Alembic), triggered by hand from the UI.

Params: `target_revision` (head, base or a revision id such as 0008), `dry_run` (log the SQL, change
nothing), `adopt_legacy` (stamp an unmanaged database at the revision its schema matches first). The
database is the Airflow connection `retail_advisor_db` (or SCOUT_RETAIL_DB_URL; SQLite by default)."""

from __future__ import annotations

from airflow.sdk import Param, dag, get_current_context, task

from include.orchestration.defaults import DEFAULT_ARGS, START_DATE


@dag(
    dag_id="scout_migrations",
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["scout", "retail-advisor-db", "migrations"],
    default_args=DEFAULT_ARGS,
    params={
        "target_revision": Param(
            "head",
            type="string",
            pattern=r"^(head|base|[0-9]{4})$",
            description="head, base, or a four-digit revision id (e.g. 0008)",
        ),
        "dry_run": Param(False, type="boolean", description="log the SQL that would run; change nothing"),
        "adopt_legacy": Param(False, type="boolean", description="stamp an unmanaged database first"),
    },
    render_template_as_native_obj=True,
    doc_md=__doc__,
)
def scout_migrations():
    @task
    def migrate() -> dict:
        from include.orchestration.migrations import run_migration

        params = get_current_context()["params"]
        return run_migration(params["target_revision"], params["dry_run"], params["adopt_legacy"])

    migrate()


scout_migrations()
