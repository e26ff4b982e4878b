"""Streaming runners: one interface, one module per engine. Airflow is not a streaming engine: a runner
starts the continuous medallion and returns; the health DAG asks it for the job's state every few minutes.

    runner = runner_for(load_settings())
    runner.start()     # idempotent: a running job is left alone
    runner.status()    # RunState: running?, since when, the job's last progress
    runner.stop()      # every process of the job gone; the health check will not bring it back
    runner.restart()

| engine       | where the job runs                                         | module         |
|--------------|------------------------------------------------------------|----------------|
| local        | a detached process on this machine (the embedded default)  | ``local``      |
| spark-submit | the same job submitted to a Spark master (standalone, ...) | ``local`` too  |
| databricks   | a Databricks continuous job, through the Databricks provider | ``databricks`` |

The engine is the settings' unless named: ``databricks`` when SCOUT_ENGINE=databricks, ``spark-submit``
when SCOUT_SPARK_MASTER is set, else ``local``. The local engines record the job's process in
``SCOUT_HOME/ops/<job>.run.json``; the job itself records its progress in ``SCOUT_HOME/ops/<job>.progress.json``
(include/spark_jobs/progress.py), on Databricks in the job's volume.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

from include.errors import SettingsError
from include.settings import Engine, Settings


@dataclass(frozen=True)
class RunState:
    """A streaming job's state as a runner sees it: shared by the stream DAG and the health check."""

    engine: str
    job: str
    running: bool
    since: str | None = None  # when the running job started (UTC ISO-8601)
    pid: int | None = None
    stopped_by_operator: bool = False  # stopped on purpose: the health check leaves it stopped
    started_before: bool = False  # a runner started it at some point (never started: nothing to revive)
    progress: dict[str, Any] | None = None  # the job's last recorded progress
    detail: str = ""

    def describe(self) -> str:
        if self.running:
            batch = (self.progress or {}).get("batch_id")
            where = f"pid {self.pid}" if self.pid else "running"
            last = f", last batch {batch}" if batch is not None else ", no batch yet"
            return f"{self.job} ({self.engine}) is running since {self.since} ({where}{last})"
        why = "stopped by an operator" if self.stopped_by_operator else "not running"
        return f"{self.job} ({self.engine}) is {why}" + (f": {self.detail}" if self.detail else "")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Runner(Protocol):
    engine: str
    job: str

    def start(self) -> RunState: ...

    def status(self) -> RunState: ...

    def stop(self) -> RunState: ...

    def restart(self) -> RunState: ...


ENGINES = ("local", "spark-submit", "databricks")


def default_engine(settings: Settings) -> str:
    if settings.engine is Engine.DATABRICKS:
        return "databricks"
    return "spark-submit" if settings.spark_master else "local"


def runner_for(settings: Settings, job: str = "medallion", engine: str | None = None) -> Runner:
    """The runner of ``engine``, by default the settings' (see ``default_engine``)."""
    from include.orchestration.runners.local import LocalRunner

    engine = engine or default_engine(settings)
    if engine not in ENGINES:
        raise SettingsError(f"streaming engine {engine!r} is not one of: {', '.join(ENGINES)}")
    if engine == "databricks":
        from include.orchestration.runners.databricks import DatabricksRunner

        if not settings.catalog:
            raise SettingsError("the databricks engine needs SCOUT_CATALOG (or SCOUT_ENGINE=databricks)")
        return DatabricksRunner(settings, job)
    if engine == "spark-submit":
        if not settings.spark_master:
            raise SettingsError("the spark-submit engine needs SCOUT_SPARK_MASTER (e.g. spark://127.0.0.1:7077)")
        return LocalRunner(settings, job, master=settings.spark_master)
    return LocalRunner(settings, job)
