"""Command line shared by the layer jobs, and the session/trigger plumbing around them.

    python -m include.spark_jobs.bronze --source files --trigger available-now
    python -m include.spark_jobs.silver --trigger continuous --interval "30 seconds"

On Databricks the same modules run as python-wheel or spark-python tasks with the same arguments;
``--home`` then points at a volume or DBFS path and the runtime supplies the SparkSession.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from include.errors import SettingsError
from include.settings import SOURCES, Settings, load_settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.streaming import DataStreamWriter, StreamingQuery

TRIGGERS = ("available-now", "continuous")
MEDALLION = "medallion"  # the one-query job's name (and checkpoint)
LAYERS = ("bronze", "silver", "gold")  # the layer jobs' names (and checkpoints)


@dataclass(frozen=True)
class Trigger:
    mode: str = "available-now"
    interval: str = "30 seconds"
    max_files: int = 100  # landing files per micro-batch: bounds a batch's size and a replay's cost

    def apply(self, writer: DataStreamWriter) -> DataStreamWriter:
        if self.mode == "available-now":
            return writer.trigger(availableNow=True)
        return writer.trigger(processingTime=self.interval)


def parse_args(layer: str, argv: Sequence[str] | None) -> tuple[Settings, Trigger]:
    settings = load_settings()
    parser = argparse.ArgumentParser(prog=f"python -m include.spark_jobs.{layer}")
    parser.add_argument("--source", choices=SOURCES, default=settings.source)
    parser.add_argument("--trigger", choices=TRIGGERS, default="available-now")
    parser.add_argument("--interval", default="30 seconds", help="processing-time interval for continuous")
    parser.add_argument("--max-files-per-trigger", type=int, default=Trigger.max_files, metavar="N")
    parser.add_argument("--home", type=Path, default=settings.home, help="state folder: lake, checkpoints, landing")
    args = parser.parse_args(argv)
    if args.max_files_per_trigger < 1:
        parser.error("--max-files-per-trigger must be at least 1")
    trigger = Trigger(args.trigger, args.interval, args.max_files_per_trigger)
    return replace(settings, source=args.source, home=args.home.resolve()), trigger


def session(settings: Settings, app_name: str) -> SparkSession:
    if settings.engine == "databricks":
        from pyspark.sql import SparkSession

        return SparkSession.builder.getOrCreate()  # the runtime's session
    from include.spark_session import get_spark

    return get_spark(settings, app_name)


def check_lake_owner(settings: Settings, name: str) -> None:
    """A lake is built either by the medallion job or by the layer jobs. Each has its own checkpoints, so
    the other kind would read the hubs again from the start into the same tables: refuse that."""
    others = LAYERS if name == MEDALLION else (MEDALLION,) if name in LAYERS else ()
    if found := [other for other in others if (settings.checkpoint_dir / other).exists()]:
        raise SettingsError(
            f"{settings.lake_dir} was built by the {' / '.join(found)} job (checkpoints in"
            f" {settings.checkpoint_dir}); the {name} job would read the hubs again into it. Keep running"
            f" {'the layer jobs' if name == MEDALLION else 'the medallion job'}, or use another SCOUT_HOME"
        )


def start_query(
    stream: DataFrame,
    name: str,
    settings: Settings,
    trigger: Trigger,
    process: Callable[[Settings, DataFrame, int], None],
) -> StreamingQuery:
    """Start ``stream`` as the query ``name`` (its checkpoint is checkpoints/<name>), each micro-batch
    handed to ``process(settings, batch, batch_id)``.

    Refused (SettingsError) on a lake the other kind of job built: see ``check_lake_owner``.
    """
    check_lake_owner(settings, name)
    writer = (
        stream.writeStream.queryName(name)
        .option("checkpointLocation", str(settings.checkpoint_dir / name))
        .foreachBatch(lambda batch, batch_id: process(settings, batch, batch_id))
    )
    return trigger.apply(writer).start()
