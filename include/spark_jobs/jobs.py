"""Every streaming job, declared once, and the one way to start one.

| job        | reads                     | each micro-batch                                         |
|------------|---------------------------|----------------------------------------------------------|
| medallion  | the hubs (files or Kafka) | bronze, silver and gold in one pass (the default)        |
| bronze     | the hubs                  | the raw lines into the five bronze tables                |
| silver     | the bronze tables         | parse, expectations, dedupe, quarantine; fusion, aligned |
| gold       | the silver tables         | recompute the keys the new rows touched, MERGE           |

The layer jobs do the medallion's work as three queries chained through the Delta tables, for a
deployment that wants each layer as its own task. A lake is built by one kind or the other: each keeps its
own checkpoints, so the other kind would read the hubs into it again (``check_lake_owner`` refuses that).

Each job's checkpoint is ``checkpoints/<name>``; every write of a batch is idempotent per batch id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.streaming import StreamingQuery

from include.errors import SettingsError
from include.settings import Settings
from include.spark_jobs import bronze, flags, gold, medallion, progress, silver, sinks
from include.spark_jobs.progress import ProgressRecorder, TableBatch
from include.spark_jobs.trigger import Trigger

log = logging.getLogger(__name__)

PROGRESS_WAIT_S = 30  # how long a finished available-now run waits for its last progress event

# What a batch function returns: the rows (and newest event time) each table got, for the progress record.
Written = Mapping[str, TableBatch] | None


@dataclass(frozen=True)
class Job:
    name: str
    ensure_tables: Callable[[SparkSession, Settings], None]  # every table it writes, created up front
    stream: Callable[[SparkSession, Settings, Trigger], DataFrame]  # what it reads
    batch: Callable[[Settings, DataFrame, int, str], Written]  # (settings, cached batch, batch id, txn app id)


MEDALLION = Job("medallion", medallion.ensure_tables, bronze.extract, medallion.write_batch)
LAYERS = (
    Job("bronze", bronze.ensure_tables, bronze.extract, bronze.write_batch),
    Job("silver", silver.ensure_tables, silver.stream, silver.write_bronze_batch),
    Job("gold", gold.ensure_tables, gold.stream, gold.write_silver_batch),
)
JOBS: dict[str, Job] = {job.name: job for job in (MEDALLION, *LAYERS)}


def check_lake_owner(settings: Settings, name: str) -> None:
    """A lake is built either by the medallion job or by the layer jobs: refuse the other kind."""
    layers = tuple(job.name for job in LAYERS)
    others = layers if name == MEDALLION.name else (MEDALLION.name,) if name in layers else ()
    if found := [other for other in others if (settings.checkpoint_dir / other).exists()]:
        raise SettingsError(
            f"the lake in {settings.home} was built by the {' / '.join(found)} job (checkpoints in"
            f" {settings.checkpoint_dir}); the {name} job would read the hubs again into it. Keep running"
            f" {'the layer jobs' if name == MEDALLION.name else 'the medallion job'}, or use another SCOUT_HOME"
        )


def process(job: Job, settings: Settings, batch: DataFrame, batch_id: int) -> Written:
    """One micro-batch of ``job``, cached while its writes read it; returns what each table got."""
    with sinks.cached(batch):
        return job.batch(settings, batch, batch_id, f"scout-{job.name}")


def start(name: str, spark: SparkSession, settings: Settings, trigger: Trigger) -> StreamingQuery:
    """Create the job's tables if missing, then start it as the query ``name`` and return at once.

    Refused (SettingsError) on a lake the other kind of job built.
    """
    return _start(name, spark, settings, trigger)[0]


def _start(
    name: str, spark: SparkSession, settings: Settings, trigger: Trigger
) -> tuple[StreamingQuery, ProgressRecorder]:
    job = JOBS[name]
    check_lake_owner(settings, name)
    job.ensure_tables(spark, settings)
    # What the orchestrator reads (progress.py); gold's new rows also drop the flags its Asset watchers take.
    gold_tables = frozenset(t.name for t in gold.GOLD_TABLES)
    recorder = ProgressRecorder(settings.ops_dir, name, gold_tables, settings.gold_flags_dir)
    progress.listen(spark, recorder)

    def each_batch(batch: DataFrame, batch_id: int) -> None:
        applies = flags.version(settings)  # read before the batch reads the flags: it applies this or newer
        recorder.note_batch(batch_id, process(job, settings, batch, batch_id) or {}, applies)

    writer = (
        job.stream(spark, settings, trigger)
        .writeStream.queryName(name)
        .option("checkpointLocation", str(settings.checkpoint_dir / name))
        .foreachBatch(each_batch)
    )
    try:
        return trigger.apply(writer).start(), recorder
    except BaseException:
        progress.stop_listening(spark, recorder)
        raise


def run(name: str, spark: SparkSession, settings: Settings, trigger: Trigger) -> None:
    """Start the job and wait for it: an available-now run returns when the source is drained; a failed
    batch raises here (a Databricks continuous job then restarts it). Either way the progress record says
    how the query ended (Spark's own termination event may come after this process is gone)."""
    query, recorder = _start(name, spark, settings, trigger)
    try:
        query.awaitTermination()
    except BaseException as error:
        recorder.ended(f"{type(error).__name__}: {error}")
        raise
    # Only a batch that ran has a progress event to wait for: a run with nothing new ran none (Spark's
    # lastProgress then still names a batch id, and waiting for its event took PROGRESS_WAIT_S every time).
    last = recorder.last_noted
    if last is not None and not recorder.wait_for_batch(last, PROGRESS_WAIT_S):
        log.warning("%s: batch %d's progress event did not arrive within %d s", name, last, PROGRESS_WAIT_S)
    recorder.ended(None)
