"""What one micro-batch of the medallion costs, by its size: the least latency continuous mode can have.

    python -m tools.benchmarks.batch --events 1000 --batches 10      # or: make bench-batch EVENTS=1000
    python -m tools.benchmarks.batch --events 1000 --prefill 1000000 # the same over a lake of 1M events

Hands consecutive slices of the latency bench's fleet (1,000 devices in 500 stores, events stamped now)
to the medallion's batch function directly, as the streaming query would, with no source or trigger in
between, over a lake that grows batch by batch. Prints each batch's time, Spark job count and Delta
commits (the most any one table got), then the mean of the batches after the first two (JIT and first
writes). ``--prefill N`` first runs N events of the same fleet through the medallion in large batches,
untimed, so the timed batches meet a lake that already holds them. Last, the idle trigger: the medallion
query started over an empty landing zone on that lake, its no-data triggers timed from Spark's progress,
and the Delta commits they made (the goal: none).

With a 1 s trigger at 1,000 events/s a batch holds at least 1,000 events, and an event waits for the batch
in flight before its own, so its latency is between one and two batch times.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from include.arguments import ArgumentParser
from include.settings import Settings, load_settings
from include.spark_jobs import jobs, medallion
from include.spark_jobs.rules.schemas import BRONZE_SCHEMA
from include.spark_jobs.session import get_spark
from include.spark_jobs.tables import ALL_TABLES, locate
from include.spark_jobs.trigger import Trigger, TriggerMode

WARM_UP = 2  # batches left out of the mean
PREFILL_BATCH = 50_000  # events per untimed prefill batch


def commits(settings: Settings) -> dict[str, int]:
    """table -> its Delta commits so far (the log's JSON files)."""
    return {t: len(list((locate(settings, t).path / "_delta_log").glob("*.json"))) for t in ALL_TABLES}


def idle_triggers(spark, settings: Settings, seconds: float = 8.0) -> tuple[list[float], int]:
    """The medallion query over an empty landing zone for ``seconds``: each no-data trigger's time (s), and
    the Delta commits it made to the lake in all."""
    spark.conf.set("spark.sql.streaming.noDataProgressEventInterval", "0")  # a progress event per trigger
    before = commits(settings)
    query = jobs.start("medallion", spark, settings, Trigger(TriggerMode.CONTINUOUS, "500 milliseconds"))
    try:
        time.sleep(seconds)
    finally:
        query.stop()
    idle = [p["durationMs"]["triggerExecution"] / 1000 for p in query.recentProgress if not p["numInputRows"]]
    after = commits(settings)
    return idle, sum(after[t] - before[t] for t in after)


def main() -> None:
    parser = ArgumentParser(prog="python -m tools.benchmarks.batch")
    parser.add_argument("--events", type=int, default=1000, help="events per micro-batch")
    parser.add_argument("--batches", type=int, default=10, help="micro-batches to run (the first two warm up)")
    parser.add_argument("--prefill", type=int, default=0, help="events in the lake before the timed batches")
    args = parser.parse_args()
    if args.batches <= WARM_UP:
        parser.error(f"--batches must be more than {WARM_UP} (the first {WARM_UP} only warm up)")
    if args.events <= 0 or args.prefill < 0:
        parser.error("--events must be positive and --prefill at least 0")
    logging.basicConfig(level=logging.INFO, format="  %(message)s")
    from scout_edge.simulator import Fleet, FleetSpec

    base = load_settings()
    scratch = Path(tempfile.mkdtemp(prefix="scout-batch-"))
    try:
        (scratch / "jars").symlink_to(base.jars_dir.resolve(), target_is_directory=True)
        settings = Settings(home=scratch)
        spark = get_spark(settings, "scout-batch-bench")
        medallion.ensure_tables(spark, settings)
        total = args.events * args.batches + args.prefill
        # At 1,000 events/s, the same density as the latency bench; simulated time runs long enough that
        # sessions are not cut short.
        fleet = Fleet(FleetSpec(stores=500, devices_per_store=2, duration_s=3 * total / 1000, rate=1000,
                                start=datetime.now(UTC)))  # fmt: skip
        records = fleet.records()
        tracker = spark.sparkContext.statusTracker()

        def batch_of(size: int):
            now = datetime.now(UTC)
            rows = [(r.payload, r.hub, None, 0, n, now) for n, r in enumerate(islice(records, size))]
            return spark.createDataFrame(rows, BRONZE_SCHEMA), len(rows)

        batch_id = 0
        prefilled = 0
        while prefilled < args.prefill:
            batch, n = batch_of(min(PREFILL_BATCH, args.prefill - prefilled))
            started = time.perf_counter()
            jobs.process(jobs.MEDALLION, settings, batch, batch_id)
            prefilled += n
            batch_id += 1
            print(f"prefill: {prefilled:,} of {args.prefill:,} events ({n:,} in {time.perf_counter() - started:.0f} s)",
                  flush=True)  # fmt: skip
        times = []
        for _ in range(args.batches):
            batch, n = batch_of(args.events)
            jobs_before = set(tracker.getJobIdsForGroup(None))
            commits_before = commits(settings)
            started = time.perf_counter()
            jobs.process(jobs.MEDALLION, settings, batch, batch_id)
            times.append(time.perf_counter() - started)
            spark_jobs = len(set(tracker.getJobIdsForGroup(None)) - jobs_before)
            made = {t: c - commits_before[t] for t, c in commits(settings).items() if c > commits_before[t]}
            print(f"batch {batch_id}: {n:,} events in {times[-1]:.1f} s ({spark_jobs} Spark jobs; "
                  f"{sum(made.values())} Delta commits to {len(made)} tables, at most {max(made.values(), default=0)} "
                  f"to one)", flush=True)  # fmt: skip
            batch_id += 1
        steady = times[WARM_UP:]
        print(f"\n{args.events:,}-event micro-batch on {spark.sparkContext.defaultParallelism} cores"
              f"{f' over a lake of {args.prefill:,} events' if args.prefill else ''}: "
              f"mean {sum(steady) / len(steady):.1f} s, min {min(steady):.1f} s, max {max(steady):.1f} s "
              f"(the last {len(steady)} batches)")  # fmt: skip
        idle, idle_commits = idle_triggers(spark, settings)
        if idle:
            print(f"idle trigger (no new data): {len(idle)} triggers, max {max(idle):.2f} s, "
                  f"{idle_commits} Delta commits in all")  # fmt: skip
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
