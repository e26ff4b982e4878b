"""What one micro-batch of the medallion costs, by its size: the least latency continuous mode can have.

    python -m tools.benchmarks.batch --events 1000 --batches 10      # or: make bench-batch EVENTS=1000

Hands consecutive slices of the latency bench's fleet (1,000 devices in 500 stores, events stamped now)
to the medallion's batch function directly, as the streaming query would, with no source or trigger in
between, over a lake that grows batch by batch. Prints each batch's time and Spark job count, then the
mean of the batches after the first two (JIT and first writes). With a 1 s trigger at 1,000 events/s a
batch holds at least 1,000 events, and an event waits for the batch in flight before its own, so its
latency is between one and two batch times.
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

WARM_UP = 2  # batches left out of the mean


def main() -> None:
    parser = ArgumentParser(prog="python -m tools.benchmarks.batch")
    parser.add_argument("--events", type=int, default=1000, help="events per micro-batch")
    parser.add_argument("--batches", type=int, default=10, help="micro-batches to run (the first two warm up)")
    args = parser.parse_args()
    if args.batches <= WARM_UP:
        parser.error(f"--batches must be more than {WARM_UP} (the first {WARM_UP} only warm up)")
    logging.basicConfig(level=logging.INFO, format="  %(message)s")
    from scout_edge.simulator import Fleet, FleetSpec

    base = load_settings()
    scratch = Path(tempfile.mkdtemp(prefix="scout-batch-"))
    try:
        (scratch / "jars").symlink_to(base.jars_dir.resolve(), target_is_directory=True)
        settings = Settings(home=scratch)
        spark = get_spark(settings, "scout-batch-bench")
        medallion.ensure_tables(spark, settings)
        total = args.events * args.batches
        # At 1,000 events/s, the same density as the latency bench; simulated time runs long enough that
        # sessions are not cut short.
        fleet = Fleet(FleetSpec(stores=500, devices_per_store=2, duration_s=3 * total / 1000, rate=1000,
                                start=datetime.now(UTC)))  # fmt: skip
        records = fleet.records()
        tracker = spark.sparkContext.statusTracker()
        times = []
        for batch_id in range(args.batches):
            now = datetime.now(UTC)
            rows = [(r.payload, r.hub, None, 0, n, now) for n, r in enumerate(islice(records, args.events))]
            batch = spark.createDataFrame(rows, BRONZE_SCHEMA)
            jobs_before = set(tracker.getJobIdsForGroup(None))
            started = time.perf_counter()
            jobs.process(jobs.MEDALLION, settings, batch, batch_id)
            times.append(time.perf_counter() - started)
            spark_jobs = len(set(tracker.getJobIdsForGroup(None)) - jobs_before)
            print(f"batch {batch_id}: {len(rows):,} events in {times[-1]:.1f} s ({spark_jobs} Spark jobs)", flush=True)
        steady = times[WARM_UP:]
        print(f"\n{args.events:,}-event micro-batch on {spark.sparkContext.defaultParallelism} cores: "
              f"mean {sum(steady) / len(steady):.1f} s, min {min(steady):.1f} s, max {max(steady):.1f} s "
              f"(batches {WARM_UP}-{args.batches - 1})")  # fmt: skip
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
