"""The one command line of every streaming job (see ``jobs`` for what each does).

    python -m include.spark_jobs medallion --trigger available-now    # drain what is there, then stop
    python -m include.spark_jobs medallion --trigger continuous --interval "10 seconds"
    python -m include.spark_jobs bronze --source kafka --trigger continuous

On Databricks the same module runs as a python-wheel or spark-python task with the same arguments;
``--home`` then points at a volume path and the runtime supplies the SparkSession.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from include.arguments import ArgumentParser
from include.errors import ExpectationFailed, SettingsError
from include.settings import Settings, Source, check_interval, load_settings
from include.spark_jobs.trigger import Trigger, TriggerMode

JOB_NAMES = ("medallion", "bronze", "silver", "gold")  # kept in step with jobs.JOBS by a test


def parse_args(argv: Sequence[str] | None) -> tuple[str, Settings, Trigger]:
    """(job name, settings, trigger). A wrong argument or SCOUT_* setting exits 2 with one line."""
    parser = ArgumentParser(prog="python -m include.spark_jobs")
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        sys.exit(2)
    parser.add_argument("job", choices=JOB_NAMES)
    parser.add_argument("--source", choices=[s.value for s in Source], default=settings.source.value)
    parser.add_argument("--trigger", choices=[m.value for m in TriggerMode], default=TriggerMode.AVAILABLE_NOW.value)
    parser.add_argument("--interval", default="30 seconds", help="processing-time interval for continuous")
    parser.add_argument("--max-files-per-trigger", type=int, default=Trigger.max_files, metavar="N")
    parser.add_argument(
        "--max-offsets-per-trigger", type=int, default=Trigger.max_offsets, metavar="N", help="Kafka records a batch"
    )
    parser.add_argument("--home", type=Path, default=settings.home, help="state folder: lake, checkpoints, landing")
    args = parser.parse_args(argv)
    for flag in ("max_files_per_trigger", "max_offsets_per_trigger"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be at least 1")
    try:
        check_interval("--interval", args.interval)
    except SettingsError as error:
        parser.error(str(error))
    if not str(args.home).strip() or args.home == Path():
        parser.error("--home is empty; give the state folder (e.g. .scout)")
    trigger = Trigger(
        TriggerMode(args.trigger), args.interval, args.max_files_per_trigger, args.max_offsets_per_trigger
    )
    return args.job, replace(settings, source=Source(args.source), home=args.home.resolve()), trigger


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    name, settings, trigger = parse_args(argv)
    from include.spark_jobs import jobs  # pyspark: after the arguments are known to be good
    from include.spark_jobs.session import session_for

    spark = session_for(settings, f"scout-{name}")

    def stop(signum, frame) -> None:  # e.g. the streaming runner's stop: finish cleanly, record "stopped"
        # From another thread: this handler runs inside the main thread's py4j call (awaitTermination).
        threading.Thread(target=lambda: [q.stop() for q in spark.streams.active], daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    try:
        jobs.run(name, spark, settings, trigger)
    except Exception as error:
        if failed := ExpectationFailed.found_in(str(error)):  # the operator's next step, not a stack trace
            print(f"FAILED: {failed}", file=sys.stderr)
            sys.exit(1)
        raise
