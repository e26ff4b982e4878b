"""Airflow on the embedded default (SQLite under SCOUT_HOME): its environment, its database and pools,
running one DAG with dag.test(), and `make up`'s components.

The Airflow environment variables must be set before Airflow is imported, so this module imports it
late, inside the functions.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from include.errors import PipelineStepFailed
from include.settings import DAGS_DIR, PROJECT_ROOT, Settings, load_settings

# The pools (and local connections) `astro dev start` creates; prepare_airflow creates the same pools.
AIRFLOW_SETTINGS = PROJECT_ROOT / "airflow_settings.yaml"


def airflow_local_env(settings: Settings) -> dict[str, str]:
    """Environment for Airflow on the embedded default: SQLite under SCOUT_HOME, this project's DAGs."""
    port = os.environ.get("AIRFLOW__API__PORT", "8080")
    paused = os.environ.get("AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION", "False")
    return {
        "AIRFLOW_HOME": str(settings.airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # Every DAG runs on its schedule as soon as `make up` has parsed it, unless the caller says otherwise.
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": paused,
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": port,
        # Where the alert e-mails' links point (the UI on this port).
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        # Cosmos reports usage over the network by default; nothing here may phone out.
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__COSMOS__CACHE_DIR": str(settings.home / "cosmos-cache"),
        "SCOUT_HOME": str(settings.home),
        "PYTHONPATH": str(PROJECT_ROOT),
    }


def pools(path: Path = AIRFLOW_SETTINGS) -> dict[str, tuple[int, str]]:
    """name -> (slots, description) of the pools in airflow_settings.yaml."""
    import yaml

    listed = yaml.safe_load(path.read_text())["airflow"].get("pools") or []
    return {p["pool_name"]: (int(p["pool_slot"]), p.get("pool_description", "")) for p in listed}


def prepare_airflow(settings: Settings, dags_folder: Path = DAGS_DIR) -> None:
    """Point Airflow at SCOUT_HOME and ``dags_folder``, migrate its SQLite database, create the pools (once
    per Airflow home and process: the tests call this for every DAG they run).

    Call it before anything imports Airflow: Airflow reads its DAGs folder once, at import.
    """
    os.environ.update(airflow_local_env(settings), AIRFLOW__CORE__DAGS_FOLDER=str(dags_folder))
    if settings.airflow_home in _PREPARED:  # `airflow db migrate` is ~10 s even with nothing to do
        return
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    airflow = Path(sys.executable).with_name("airflow")
    result = subprocess.run([str(airflow), "db", "migrate"], capture_output=True, text=True)
    if result.returncode:
        raise PipelineStepFailed(f"`airflow db migrate` failed:\n{result.stderr[-2000:]}")
    from airflow.models.pool import Pool

    for name, (slots, description) in pools().items():
        Pool.create_or_update_pool(name, slots=slots, description=description, include_deferred=False)
    _PREPARED.add(settings.airflow_home)


_PREPARED: set[Path] = set()  # the Airflow homes this process has migrated and given their pools


def run_dag(dag_id: str, dags_folder: Path = DAGS_DIR, conf: dict | None = None):
    """dag.test() one DAG of ``dags_folder`` (with ``conf`` as its params); raise PipelineStepFailed naming
    the tasks that failed."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils.state import DagRunState, TaskInstanceState

    bag = DagBag(dag_folder=dags_folder)
    if bag.import_errors:
        raise PipelineStepFailed(f"DAG import errors: {bag.import_errors}")
    dag = bag.get_dag(dag_id)
    # Airflow 3.3.2: dag.test() of a DAG with a deadline crashes after a successful run ('dict' object has
    # no attribute 'hex', apache/airflow#73428); deadlines need a scheduler and triggerer anyway.
    dag.deadline = None
    run = dag.test(run_conf=conf)
    if run.state != DagRunState.SUCCESS:
        states = {ti.task_id: ti.state for ti in run.get_task_instances()}
        failed = [t for t, state in states.items() if state == TaskInstanceState.FAILED]
        ended = (TaskInstanceState.SUCCESS, TaskInstanceState.SKIPPED, TaskInstanceState.FAILED)
        not_run = [t for t, state in states.items() if state not in ended]  # e.g. upstream_failed
        raise PipelineStepFailed(
            f"DAG {dag_id} ended {run.state}; failed: {', '.join(failed) or 'none'}"
            + (f"; not run: {', '.join(not_run)}" if not_run else "")
        )
    return run


# `airflow standalone` would be simpler, but its scheduler and triggerer start log servers bound to every
# interface (0.0.0.0:8793/8794); with the LocalExecutor on one machine the API server reads task logs from
# disk, so the components run here with --skip-serve-logs and the API server on loopback only.
COMPONENTS = {
    "api-server": ["api-server", "--host", "127.0.0.1"],  # port: AIRFLOW__API__PORT
    "scheduler": ["scheduler", "--skip-serve-logs"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer", "--skip-serve-logs"],
}


def private_file(path: Path) -> Path:
    """``path``, created empty if missing, readable by its owner only (0600). Airflow's simple auth manager
    writes the passwords it generates into this file and keeps the mode of one that exists (its own
    would follow the umask: world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    path.chmod(0o600)
    return path


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
    passwords = private_file(
        Path(env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE")
             or settings.airflow_home / "simple_auth_manager_passwords.json.generated")
    )  # fmt: skip
    env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] = f"http://127.0.0.1:{port}/execution/"
    # Each component in a process group of its own, so stopping it also stops what it started (the
    # LocalExecutor's workers, task processes), and nothing outlives `up`.
    processes = {
        name: subprocess.Popen([str(airflow), *args], env=env, start_new_session=True)
        for name, args in COMPONENTS.items()
    }
    print(
        f"Airflow UI: http://127.0.0.1:{port}  (user admin; password in {passwords}). Ctrl-C stops it.",
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
        _stop_groups(list(processes.values()))


def _stop_groups(processes: list[subprocess.Popen], grace_s: float = 30) -> None:
    """SIGTERM each process's group, wait up to ``grace_s`` for the leaders, then SIGKILL every group (a
    worker a component forked may outlive its leader's clean exit)."""
    for p in processes:
        _signal_group(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for p in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
    for p in processes:
        _signal_group(p.pid, signal.SIGKILL)
        p.wait()


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group has exited
        os.killpg(pgid, sig)
