"""The continuous medallion as a detached process of its own: the embedded default (``local``), or the
same job submitted to a Spark master with spark-submit (``spark-submit``, e.g. a standalone cluster).

The job runs in a new session (its own process group: the Python driver and the JVM it launches), with
stdin closed and stdout/stderr appended to ``SCOUT_HOME/ops/<job>.log``, so it outlives the Airflow task
that started it and never holds the task's pipes. ``SCOUT_HOME/ops/<job>.run.json`` records the pid, the
process's start time (a recycled pid is not mistaken for the job) and whether an operator stopped it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from include.atomic import write_atomic
from include.orchestration.runners import RunState
from include.settings import PROJECT_ROOT, Settings

STOP_TIMEOUT_S = 60.0  # a graceful stop finishes the batch in flight; after this, SIGKILL


def _iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None


def _alive(pid: int, created: float) -> bool:
    """The recorded process is still there: same pid, same start time, not a zombie (reaped if ours)."""
    try:
        process = psutil.Process(pid)
        if abs(process.create_time() - created) > 1 or process.status() == psutil.STATUS_ZOMBIE:
            _reap(pid)
            return False
        return True
    except psutil.NoSuchProcess:
        return False


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):  # not our child: init reaps it
        os.waitpid(pid, os.WNOHANG)


def group_members(pgid: int) -> list[int]:
    """Every live process of the process group ``pgid`` (the job and the JVM it started)."""
    members = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == pgid and process.status() != psutil.STATUS_ZOMBIE:
                members.append(process.pid)
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return members


class LocalRunner:
    """``start``/``status``/``stop``/``restart`` of one streaming job on this machine."""

    def __init__(self, settings: Settings, job: str = "medallion", master: str | None = None) -> None:
        self.settings = settings
        self.job = job
        self.master = master
        self.engine = "spark-submit" if master else "local"
        self.run_file = settings.ops_dir / f"{job}.run.json"
        self.log_file = settings.ops_dir / f"{job}.log"

    def command(self) -> list[str]:
        job_args = [self.job, "--trigger", "continuous", "--interval", self.settings.stream_interval]
        job_args += ["--home", str(self.settings.home)]
        if not self.master:
            return [sys.executable, "-m", "include.spark_jobs", *job_args]
        import pyspark

        from include.spark_jobs.session import DELTA_CONF, spark_jars

        spark_submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
        entry = PROJECT_ROOT / "include" / "spark_jobs" / "__main__.py"
        conf = {**DELTA_CONF, "spark.executor.memory": "1g"}
        return [
            str(spark_submit),
            *("--master", self.master, "--name", f"scout-{self.job}"),
            # On the driver's classpath from its launch (Delta's session extension is loaded before any
            # conf the job sets itself), and shipped to the executors.
            *("--jars", ",".join(str(p) for p in spark_jars(self.settings))),
            # The executors run the jobs' Python UDFs: they import include/ and scout_edge.
            *("--py-files", str(self.code_zip)),
            *(arg for key, value in conf.items() for arg in ("--conf", f"{key}={value}")),
            str(entry),
            *job_args,
        ]

    @property
    def code_zip(self) -> Path:
        return self.settings.ops_dir / f"{self.job}-code.zip"

    def _package_code(self) -> None:
        """include/ and scout_edge as one zip for --py-files (written whole: a running job may read it)."""
        import scout_edge

        tmp = self.code_zip.with_name(f".{self.code_zip.name}.tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            for root, package in (
                (PROJECT_ROOT, PROJECT_ROOT / "include"),
                (Path(scout_edge.__file__).parent.parent, Path(scout_edge.__file__).parent),
            ):
                for source in sorted(package.rglob("*.py")):
                    archive.write(source, source.relative_to(root))
        os.replace(tmp, self.code_zip)

    def _environment(self) -> dict[str, str]:
        env = {**os.environ, "SCOUT_HOME": str(self.settings.home), "PYTHONPATH": str(PROJECT_ROOT)}
        env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        if self.master:
            env["SCOUT_SPARK_MASTER"] = self.master  # the session builder then leaves the master to spark-submit
            env["PYSPARK_PYTHON"] = sys.executable  # the executors' Python: this environment's
        return env

    def _record(self) -> dict[str, Any]:
        return _read_json(self.run_file) or {}

    def _save(self, record: dict[str, Any]) -> None:
        write_atomic(self.run_file, json.dumps(record, indent=1) + "\n")

    def status(self) -> RunState:
        from include.spark_jobs.progress import read_progress

        record = self._record()
        progress = read_progress(self.settings.ops_dir, self.job)
        pid = record.get("pid")
        running = bool(pid) and _alive(pid, record.get("created", 0.0))
        detail = ""
        if not running and progress and progress.get("state") == "failed":
            detail = f"the job failed: {(progress.get('error') or '').strip().splitlines()[-1:]}"
        elif not running and pid:
            detail = f"process {pid} has exited; see {self.log_file}"
        return RunState(
            engine=self.engine,
            job=self.job,
            running=running,
            since=record.get("started_at") if running else None,
            pid=pid if running else None,
            stopped_by_operator=bool(record.get("stopped_by_operator")) and not running,
            started_before=bool(record),
            progress=progress,
            detail=detail,
        )

    def start(self) -> RunState:
        state = self.status()
        if state.running:
            return RunState(**{**state.as_dict(), "detail": "already running: left alone"})
        self.settings.ops_dir.mkdir(parents=True, exist_ok=True)
        if self.master:
            self._package_code()
        with self.log_file.open("ab") as log:
            log.write(f"\n==> {_iso_now()} starting: {' '.join(self.command())}\n".encode())
            log.flush()
            process = subprocess.Popen(
                self.command(),
                cwd=PROJECT_ROOT,
                env=self._environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
            )
        created = psutil.Process(process.pid).create_time()
        self._save(
            {"pid": process.pid, "created": created, "started_at": _iso_now(), "command": self.command()}
            | {"log": str(self.log_file), "stopped_by_operator": False}
        )
        return self.status()

    def stop(self, *, by_operator: bool = True, timeout: float = STOP_TIMEOUT_S) -> RunState:
        """SIGTERM (the job stops its query gracefully), SIGKILL to the whole process group after
        ``timeout``; returns once no process of the group is left."""
        record = self._record()
        pid = record.get("pid")
        if pid and _alive(pid, record.get("created", 0.0)):
            if self.master:  # spark-submit's JVM and the Python driver it launched
                self._signal_group(pid, signal.SIGTERM)
            else:  # the Python driver stops its query (the progress record says "stopped"), then its JVM
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while group_members(pid) and time.monotonic() < deadline:
                _reap(pid)
                time.sleep(0.5)
            if group_members(pid):
                self._signal_group(pid, signal.SIGKILL)
                while group_members(pid):
                    _reap(pid)
                    time.sleep(0.2)
            _reap(pid)
        if record:
            self._save({**record, "stopped_by_operator": by_operator, "stopped_at": _iso_now()})
        return self.status()

    @staticmethod
    def _signal_group(pgid: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)

    def restart(self) -> RunState:
        self.stop(by_operator=False)
        return self.start()
