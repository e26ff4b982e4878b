"""Cosmos configuration for the dbt project: paths, profile and execution, defined once.

dbt runs from its own virtualenv (SCOUT_DBT_EXECUTABLE), as Astronomer recommends, so Cosmos invokes it
as a subprocess. The DAG is rendered from the manifest `make install` (or the Docker build) writes with
`dbt parse`: LoadMode.DBT_MANIFEST keeps DAG parsing well under a second and never runs dbt at parse time.
"""

from __future__ import annotations

from pathlib import Path

from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior
from cosmos.profiles import DatabricksTokenProfileMapping

from include.errors import EnvironmentNotReady
from include.settings import DBT_PROJECT_DIR, DBT_SCHEDULED_EXCLUDE, MARTS_SCHEMA, Engine, Settings

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
PROFILE_NAME = "scout"
# dbt-spark `method: session` keeps its metastore in an embedded Derby database: one dbt at a time. The
# pool itself is defined once, in airflow_settings.yaml (read by `astro dev start` and by include.local).
DBT_POOL = "dbt_local"


def project_config(settings: Settings) -> ProjectConfig:
    if not MANIFEST.exists():
        raise EnvironmentNotReady(f"dbt manifest {MANIFEST} is missing; build it with `make install`")
    config = ProjectConfig(
        dbt_project_path=DBT_PROJECT_DIR,
        manifest_path=MANIFEST,
        install_dbt_deps=False,  # the project has no packages
        env_vars={"SCOUT_HOME": str(settings.home), "SPARK_LOCAL_IP": "127.0.0.1"},
    )
    # Cosmos wraps the manifest in an ObjectStoragePath; opening one makes Airflow discover every provider's
    # filesystem and load the entry-point plugins (Azure, Databricks, Cosmos's own API app): about a second
    # of DAG parsing, for a file on local disk. Cosmos only opens and checks the path, which a Path does.
    config.manifest_path = MANIFEST
    return config


def profile_config(settings: Settings) -> ProfileConfig:
    if settings.engine == Engine.DATABRICKS:
        # Host, token and http_path come from the Airflow connection (a secrets backend in production).
        return ProfileConfig(
            profile_name=PROFILE_NAME,
            target_name="databricks",
            profile_mapping=DatabricksTokenProfileMapping(
                conn_id=settings.databricks_conn_id, profile_args={"schema": MARTS_SCHEMA}
            ),
        )
    return ProfileConfig(
        profile_name=PROFILE_NAME, target_name="local", profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml"
    )


def execution_config(settings: Settings) -> ExecutionConfig:
    # WATCHER: one `dbt build` for the whole group (a producer task), one sensor per model reporting its
    # result. On local Spark every dbt invocation starts a JVM, so this is ~2x faster than a task per model.
    return ExecutionConfig(
        execution_mode=ExecutionMode.WATCHER,
        invocation_mode=InvocationMode.SUBPROCESS,
        dbt_executable_path=Path(settings.dbt_executable),
    )


def render_config() -> RenderConfig:
    return RenderConfig(
        load_method=LoadMode.DBT_MANIFEST, test_behavior=TestBehavior.AFTER_EACH, exclude=[DBT_SCHEDULED_EXCLUDE]
    )


def operator_args() -> dict[str, object]:
    return {
        "pool": DBT_POOL,
        "install_deps": False,
        # The model sensors poke in reschedule mode instead of deferring: the same DAG then runs under
        # dag.test() (no triggerer; a deferring sensor never returns there) and under a scheduler.
        "deferrable": False,
        "mode": "reschedule",
        "poke_interval": 2,
    }


def rebuild_task(settings: Settings, task_id: str, models: list[str]):
    """One task: `dbt build --full-refresh` of ``models`` (and their tests), e.g. after a backfill changed
    rows the incremental marts already hold (the AudioURL rollback)."""
    from cosmos.operators.local import DbtBuildLocalOperator

    return DbtBuildLocalOperator(
        task_id=task_id,
        project_dir=str(DBT_PROJECT_DIR),
        profile_config=profile_config(settings),
        dbt_executable_path=str(settings.dbt_executable),
        invocation_mode=InvocationMode.SUBPROCESS,
        select=models,
        exclude=[DBT_SCHEDULED_EXCLUDE],
        full_refresh=True,
        install_deps=False,
        env=project_config(settings).env_vars,
        pool=DBT_POOL,
    )


def marts_task_group(settings: Settings, group_id: str = "dbt_marts") -> DbtTaskGroup:
    """The dbt project as one Cosmos task group (one `dbt build` per run, a sensor per model); the slice
    and the marts DAG render the same group."""
    return DbtTaskGroup(
        group_id=group_id,
        project_config=project_config(settings),
        profile_config=profile_config(settings),
        execution_config=execution_config(settings),
        render_config=render_config(),
        operator_args=operator_args(),
    )
