"""Throughput of the medallion against the engine's floor, on this machine.

    python -m tools.benchmarks.throughput --events 1000000      # or: make bench EVENTS=1000000

Writes N events from the edge fleet simulator as JSON-lines files into a scratch home,
then in one SparkSession times (1) the floor: the same files copied text -> Delta with no transformation,
(2) silver's least work: the same lines parsed against the contract's schemas and written to Delta, and
(3) the medallion job (bronze -> silver -> gold, one query) in available-now mode, logging each
micro-batch's time per layer. Prints events per second, the ratio to the floor, and the ceiling (1) and
(2) put on that ratio for any pipeline that writes both bronze and silver.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from include.arguments import ArgumentParser
from include.settings import Settings, load_settings
from include.spark_jobs import jobs, sinks
from include.spark_jobs.rules.schemas import parse_payload
from include.spark_jobs.session import get_spark
from include.spark_jobs.silver.specs import CORRUPT, SILVER_TABLES
from include.spark_jobs.tables import BRONZE_TABLES, SILVER_MULTIMODAL_ALIGNED, locate
from include.spark_jobs.trigger import Trigger

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


def parse_copy(spark: SparkSession, settings: Settings) -> None:
    """Silver's minimum: every hub's lines parsed with the contract's schema (as silver parses them) and
    written to Delta, with no expectations, dedupe or derived tables."""
    for hub, table in BRONZE_TABLES.items():
        files = sorted(str(f) for f in (settings.landing_dir / hub).glob("*.jsonl"))
        if not files:
            continue
        event = next(t.event for t in SILVER_TABLES if t.event.hub == hub)
        lines = spark.read.text(files)
        parsed = lines.select(parse_payload(F.col("value"), event, CORRUPT).alias("e")).select("e.*")
        parsed.write.format("delta").save(str(settings.home / "parse-bound" / table))


def timed(label: str, action) -> float:
    print(f"  {label} ...", flush=True)
    started = time.perf_counter()
    action()
    seconds = time.perf_counter() - started
    print(f"  {label}: {seconds:.1f} s", flush=True)
    return seconds


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="  %(message)s")
    parser = ArgumentParser(prog="python -m tools.benchmarks.throughput")
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
                spark.read.text(sorted(str(f) for f in settings.landing_dir.glob("*/*.jsonl")))
                .write.format("delta")
                .save(str(scratch / "floor"))
            ),
        )
        parse_s = timed("silver's least work: events parsed by hub -> Delta", lambda: parse_copy(spark, settings))
        pipeline_s = timed(
            "medallion: bronze -> silver -> gold",
            lambda: jobs.run(jobs.MEDALLION.name, spark, settings, trigger),
        )
        aligned = sinks.read_table(spark, locate(settings, SILVER_MULTIMODAL_ALIGNED)).count()
        print(f"  (silver_multimodal_aligned: {aligned:,} speech x vision pairs)")
        print()
        print(f"events: {events:,} on {spark.sparkContext.defaultParallelism} cores")
        print(f"floor     {events / floor_s:>12,.0f} events/s  ({floor_s:.1f} s)")
        print(f"pipeline  {events / pipeline_s:>12,.0f} events/s  ({pipeline_s:.1f} s)")
        print(f"pipeline / floor = {floor_s / pipeline_s:.2f}")
        # Any medallion copies the events once into bronze (the floor's work) and parses and writes them once
        # into silver, before expectations, dedupe, speech x vision or gold: that alone bounds the ratio.
        print(f"ceiling for any pipeline that writes bronze and silver: floor / (floor + parse) = "
              f"{floor_s / (floor_s + parse_s):.2f}  (parse {parse_s:.1f} s)")  # fmt: skip
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
