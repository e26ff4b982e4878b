"""Throughput of the medallion against the engine's floor, on this machine.

    python -m include.benchmarks --events 1000000      # or: make bench EVENTS=1000000

Writes N events from the edge fleet simulator as JSON-lines files into a scratch home,
then in one SparkSession times (1) the floor: the same files copied text -> Delta with no transformation,
and (2) the medallion job (bronze -> silver -> gold, one query) in available-now mode, logging each
micro-batch's time per layer. Prints events per second for both and the ratio.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
import time
from pathlib import Path

from include.settings import Settings, load_settings
from include.spark_jobs import medallion
from include.spark_jobs.cli import Trigger
from include.spark_session import get_spark

LINES_PER_FILE = 20_000
SECONDS_PER_DAY = 86_400


def write_input(landing: Path, events: int) -> int:
    """About ``events`` events from the edge fleet simulator: 100 devices (50 stores x 2) over one day, a
    realistic density for the speech x vision join (a few detections per transcript within its window)."""
    from scout_edge.simulator import Fleet, FleetSpec

    fleet = Fleet(FleetSpec(stores=50, devices_per_store=2, duration_s=SECONDS_PER_DAY, rate=events / SECONDS_PER_DAY))
    by_hub: dict[str, list[str]] = {}
    for record in fleet.records():
        by_hub.setdefault(record.hub, []).append(record.payload)
    written = 0
    for hub, lines in by_hub.items():
        (landing / hub).mkdir(parents=True, exist_ok=True)
        for n, start in enumerate(range(0, len(lines), LINES_PER_FILE)):
            chunk = lines[start : start + LINES_PER_FILE]
            (landing / hub / f"part-{n:05d}.jsonl").write_text("\n".join(chunk) + "\n")
            written += len(chunk)
    return written


def timed(label: str, action) -> float:
    print(f"  {label} ...", flush=True)
    started = time.perf_counter()
    action()
    seconds = time.perf_counter() - started
    print(f"  {label}: {seconds:.1f} s", flush=True)
    return seconds


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="  %(message)s")
    parser = argparse.ArgumentParser(prog="python -m include.benchmarks")
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    base = load_settings()
    scratch = Path(tempfile.mkdtemp(prefix="scout-bench-"))
    try:
        (scratch / "jars").symlink_to(base.jars_dir.resolve(), target_is_directory=True)
        settings = Settings(home=scratch)
        print(f"writing ~{args.events:,} events to {settings.landing_dir}", flush=True)
        events = write_input(settings.landing_dir, args.events)
        spark = get_spark(settings, "scout-bench")
        trigger = Trigger(max_files=1000)

        floor_s = timed(
            "floor: JSON lines -> Delta, no transformation",
            lambda: (
                spark.read.text(str(settings.landing_dir / "*" / "*.jsonl"))
                .write.format("delta")
                .save(str(scratch / "floor"))
            ),
        )
        pipeline_s = timed(
            "medallion: bronze -> silver -> gold",
            lambda: medallion.start(spark, settings, trigger).awaitTermination(),
        )
        aligned = spark.read.format("delta").load(str(settings.table_path("silver_multimodal_aligned"))).count()
        print(f"  (silver_multimodal_aligned: {aligned:,} speech x vision pairs)")
        print()
        print(f"events: {events:,} on {spark.sparkContext.defaultParallelism} cores")
        print(f"floor     {events / floor_s:>12,.0f} events/s  ({floor_s:.1f} s)")
        print(f"pipeline  {events / pipeline_s:>12,.0f} events/s  ({pipeline_s:.1f} s)")
        print(f"pipeline / floor = {floor_s / pipeline_s:.2f}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
