"""Local entry points behind `make demo` and `make up` (the embedded default: Airflow on SQLite).

    python -m include.local demo   # run the slice DAG once with dag.test(), print a summary
    python -m include.local up     # Airflow (API server, scheduler, dag-processor, triggerer) on 127.0.0.1:8080

The Airflow environment variables must be set before Airflow is imported, so this module imports it
late, inside the functions.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from include.errors import PipelineStepFailed, ScoutError
from include.settings import DAGS_DIR, Settings, airflow_local_env, load_settings

SLICE_DAG_ID = "scout_slice"
POOLS = {"dbt_local": (1, "dbt-spark session: one dbt at a time (embedded Derby metastore)")}


def _say(message: str) -> None:
    print(f"  {message}", flush=True)


def prepare_airflow(settings: Settings, dags_folder: Path = DAGS_DIR) -> None:
    """Point Airflow at SCOUT_HOME and ``dags_folder``, migrate its SQLite database, create the pools.

    Call it before anything imports Airflow: Airflow reads its DAGs folder once, at import.
    """
    os.environ.update(airflow_local_env(settings), AIRFLOW__CORE__DAGS_FOLDER=str(dags_folder))
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    airflow = Path(sys.executable).with_name("airflow")
    result = subprocess.run([str(airflow), "db", "migrate"], capture_output=True, text=True)
    if result.returncode:
        raise PipelineStepFailed(f"`airflow db migrate` failed:\n{result.stderr[-2000:]}")
    from airflow.models.pool import Pool

    for name, (slots, description) in POOLS.items():
        Pool.create_or_update_pool(name, slots=slots, description=description, include_deferred=False)


def run_dag(dag_id: str, dags_folder: Path = DAGS_DIR):
    """dag.test() one DAG of ``dags_folder``; raise PipelineStepFailed naming the tasks that failed."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils.state import DagRunState, TaskInstanceState

    bag = DagBag(dag_folder=dags_folder)
    if bag.import_errors:
        raise PipelineStepFailed(f"DAG import errors: {bag.import_errors}")
    dag = bag.get_dag(dag_id)
    run = dag.test()
    if run.state != DagRunState.SUCCESS:
        failed = [ti.task_id for ti in run.get_task_instances() if ti.state != TaskInstanceState.SUCCESS]
        raise PipelineStepFailed(f"DAG {dag_id} ended {run.state}; tasks not successful: {', '.join(failed)}")
    return run


def summary(settings: Settings) -> str:
    import json

    from include import export
    from include.pipeline import lakehouse_counts
    from include.spark_session import get_spark

    spark = get_spark(settings, "scout-summary")
    counts = lakehouse_counts(settings, spark)
    path = settings.export_dir / f"{export.MART}.json"
    document = json.loads(path.read_text())
    lines = ["rows per table:"]
    width = max(map(len, counts)) + 2
    lines += [f"  {table:<{width}}{n:>6}" for table, n in counts.items()]
    lines += _interaction_lines(settings, spark)
    lines.append(f"dashboard export: {path}")
    for store in document["stores"]:
        for day in store["days"]:
            lines.append(
                f"  {store['store_id']} {day['date']}: {day['interactions']} interactions,"
                f" {day['transcripts']} transcripts, avg confidence {day['avg_confidence']}"
            )
    return "\n".join(lines)


def _interaction_lines(settings: Settings, spark) -> list[str]:
    from pyspark.sql import functions as F

    from include.spark_jobs.tables import GOLD_STORE_INTERACTION_METRICS

    gold = spark.read.format("delta").load(str(settings.table_path(GOLD_STORE_INTERACTION_METRICS)))
    per_store = gold.groupBy("store_id").agg(
        *(F.sum(c).alias(c) for c in ("greetings", "questions", "brand_mentions", "greeted_and_asked", "visits")),
        F.round(F.try_divide(F.sum("dwell_s_total"), F.sum("visits")), 1).alias("avg_dwell_s"),  # none: null
    )
    lines = ["gold_store_interaction_metrics per store:"]
    for r in per_store.orderBy("store_id").collect():
        lines.append(
            f"  {r.store_id}: {r.greetings} greetings, {r.questions} questions, {r.brand_mentions} brand mentions,"
            f" {r.greeted_and_asked} greeted + asked, {r.visits} visits (avg dwell {r.avg_dwell_s} s)"
        )
    return lines


def demo() -> None:
    settings = load_settings()
    started = time.monotonic()
    _say("preparing Airflow (SQLite under SCOUT_HOME/airflow)")
    prepare_airflow(settings)
    _say(f"running DAG {SLICE_DAG_ID}: generate_events -> bronze -> silver -> gold -> dbt_marts -> export")
    run_dag(SLICE_DAG_ID)
    print(summary(settings))
    print(f"slice finished in {time.monotonic() - started:.0f} s")


# `airflow standalone` would be simpler, but its scheduler and triggerer start log servers bound to every
# interface (0.0.0.0:8793/8794); with the LocalExecutor on one machine the API server reads task logs from
# disk, so the components run here with --skip-serve-logs and the API server on loopback only.
COMPONENTS = {
    "api-server": ["api-server", "--host", "127.0.0.1"],  # port: AIRFLOW__API__PORT
    "scheduler": ["scheduler", "--skip-serve-logs"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer", "--skip-serve-logs"],
}


def _stop(signum, frame):
    raise KeyboardInterrupt


def up() -> None:
    """Run Airflow's components on 127.0.0.1 until interrupted (Ctrl-C or SIGTERM stops them all)."""
    settings = load_settings()
    prepare_airflow(settings)
    signal.signal(signal.SIGINT, _stop)  # also when started in the background, where SIGINT is ignored
    signal.signal(signal.SIGTERM, _stop)
    airflow = Path(sys.executable).with_name("airflow")
    port = os.environ["AIRFLOW__API__PORT"]
    env = {**os.environ, "PATH": f"{airflow.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.setdefault("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin")
    env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] = f"http://127.0.0.1:{port}/execution/"
    processes = {name: subprocess.Popen([str(airflow), *args], env=env) for name, args in COMPONENTS.items()}
    print(
        f"Airflow UI: http://127.0.0.1:{port}  (user admin; password in"
        f" {settings.airflow_home}/simple_auth_manager_passwords.json.generated). Ctrl-C stops it.",
        flush=True,
    )
    try:
        while all(p.poll() is None for p in processes.values()):
            time.sleep(1)
        dead = [name for name, p in processes.items() if p.poll() is not None]
        raise PipelineStepFailed(f"Airflow component(s) exited: {', '.join(dead)}; see the output above")
    except KeyboardInterrupt:
        pass
    finally:
        for p in processes.values():
            p.terminate()
        for p in processes.values():
            p.wait(timeout=30)


COMMANDS = {"demo": demo, "up": up}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in COMMANDS:
        print(f"usage: python -m include.local {{{'|'.join(COMMANDS)}}}", file=sys.stderr)
        return 2
    try:
        COMMANDS[argv[0]]()
    except ScoutError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
