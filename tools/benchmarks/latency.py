"""End-to-end latency in continuous mode: an event produced to Kafka -> its row visible in gold.

    python -m tools.benchmarks.latency --rate 1000 --seconds 60      # or: make bench-latency

Starts a local Kafka broker and the whole medallion in continuous mode (its own process, as in
production), waits until it runs, then the edge fleet simulator produces a steady ``--rate`` events per
second to the hubs' topics through the edge Kafka transport, each event stamped with the moment it is
sent. Meanwhile gold_store_interaction_metrics is polled with delta-rs: when a store's transcript count in
gold reaches n, the store's first n transcripts are visible, and each one's latency is the poll time
minus its send time. Prints p50 / p95 / max and what the producer really achieved.

``--job bronze`` runs the bronze job alone instead (Kafka -> the five bronze tables, nothing else) and
times transcripts until they are rows of bronze_stt_raw: the least latency any medallion can have here.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from include.arguments import ArgumentParser
from include.settings import PROJECT_ROOT, Settings, load_settings
from include.spark_jobs.tables import BRONZE_TABLES, GOLD_STORE_INTERACTION_METRICS, locate
from scout_edge.contract import Transcript
from tools import kafka_broker

ALL = "*"  # --job bronze: bronze rows carry no store, so transcripts are counted over the whole fleet


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def visible_transcripts(settings: Settings, job: str) -> dict[str, int] | None:
    """Transcripts visible at the end of ``job``'s path: per store in gold (medallion), or all of them in
    bronze_stt_raw (bronze). None until the table exists."""
    from deltalake import DeltaTable

    table = GOLD_STORE_INTERACTION_METRICS if job == "medallion" else BRONZE_TABLES[Transcript.hub]
    try:
        delta = DeltaTable(str(locate(settings, table).path))
    except Exception:  # not created yet
        return None
    if job != "medallion":
        return {ALL: delta.to_pyarrow_table(columns=["hub"]).num_rows}
    counts: dict[str, int] = defaultdict(int)
    for row in delta.to_pyarrow_table(columns=["store_id", "transcripts"]).to_pylist():
        counts[row["store_id"]] += row["transcripts"] or 0
    return counts


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


class Producer(threading.Thread):
    """The fleet simulator at a steady wall-clock rate; remembers when each transcript was sent."""

    def __init__(self, bootstrap: str, rate: float, seconds: float, seed: int = 7, by_store: bool = True) -> None:
        super().__init__(daemon=True)
        from scout_edge.simulator import Fleet, FleetSpec
        from scout_edge.transports import KafkaTransport

        # 1,000 devices (500 stores x 2), about one event a second each at 1,000 events/s: a Pi sends a
        # detection every few seconds while someone is in view. (Eight devices at 125 events/s each would
        # make the speech x vision alignment pair every transcript with thousands of detections.)
        # Simulated time runs 3x longer than we send: sessions near the end of a short run lose their
        # later events, so the fleet falls below the rate; sending stops after ``seconds`` of wall time.
        self.fleet = Fleet(FleetSpec(stores=500, devices_per_store=2, duration_s=3 * seconds, rate=rate,
                                     start=datetime.now(UTC), seed=seed))  # fmt: skip
        self.transport = KafkaTransport(bootstrap)
        self.rate = rate
        self.seconds = seconds
        self.sent_at: dict[str, list[float]] = defaultdict(list)  # store (or ALL) -> send times of its transcripts
        self.by_store = by_store
        self.sent = 0
        self.elapsed = 0.0

    def run(self) -> None:
        import json

        records = self.fleet.records()
        began = time.monotonic()
        while time.monotonic() - began < self.seconds:
            chunk = list(islice(records, max(1, int(self.rate / 20))))  # 20 sends a second
            if not chunk:
                break
            time.sleep(max(0.0, began + self.sent / self.rate - time.monotonic()))
            self.transport.send(chunk)
            now = time.monotonic()
            for r in chunk:
                if r.hub == Transcript.hub:
                    self.sent_at[json.loads(r.payload)["store_id"] if self.by_store else ALL].append(now)
            self.sent += len(chunk)
        self.elapsed = time.monotonic() - began
        self.transport.close()


def measure(
    producer: Producer, visible: Callable[[], dict[str, int]], baseline: dict[str, int], deadline: float
) -> tuple[list[float], int]:
    """Poll until every transcript the (started) producer sends is visible, or the deadline: the latency
    of each one seen, and how many were not."""
    latencies: list[float] = []
    seen: dict[str, int] = defaultdict(int)
    while time.monotonic() < deadline:
        counts = visible()
        now = time.monotonic()
        for key, total in counts.items():
            sent = producer.sent_at.get(key, [])
            shown = min(total - baseline.get(key, 0), len(sent))
            latencies += [now - t for t in sent[seen[key] : shown]]
            seen[key] = max(seen[key], shown)
        if not producer.is_alive() and sum(seen.values()) >= sum(len(v) for v in producer.sent_at.values()):
            break
        time.sleep(0.25)
    producer.join()
    return latencies, sum(len(v) for v in producer.sent_at.values()) - sum(seen.values())


def main() -> None:
    parser = ArgumentParser(prog="python -m tools.benchmarks.latency")
    parser.add_argument("--rate", type=float, default=1000.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to produce")
    parser.add_argument("--interval", default="1 second", help="the medallion's processing-time trigger")
    parser.add_argument("--warmup", type=float, default=20.0, help="seconds of untimed traffic first")
    parser.add_argument("--keep", action="store_true", help="keep the scratch home (lake, the job's log)")
    parser.add_argument("--job", choices=("medallion", "bronze"), default="medallion",
                        help="bronze: the bronze job alone, timed to bronze_stt_raw (the least latency)")  # fmt: skip
    args = parser.parse_args()

    base = load_settings()
    scratch = Path(tempfile.mkdtemp(prefix="scout-latency-"))
    (scratch / "jars").symlink_to(base.jars_dir.resolve(), target_is_directory=True)
    (scratch / "kafka").mkdir()
    (scratch / "kafka" / "libs").symlink_to((base.home / "kafka" / "libs").resolve(), target_is_directory=True)
    settings = Settings(home=scratch)
    broker = kafka_broker.start(settings, scratch / "kafka-data", port=_free_port(), controller_port=_free_port())
    env = {**os.environ, "SCOUT_HOME": str(scratch), "SCOUT_SOURCE": "kafka", "SCOUT_KAFKA_BOOTSTRAP": broker.bootstrap}
    job_log = scratch / f"{args.job}.log"
    job = subprocess.Popen(
        [sys.executable, "-m", "include.spark_jobs", args.job, "--trigger", "continuous",
         "--interval", args.interval],
        cwd=PROJECT_ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=job_log.open("w"),
    )  # fmt: skip
    by_store = args.job == "medallion"
    where = "gold" if by_store else "bronze"

    def visible() -> dict[str, int]:
        return visible_transcripts(settings, args.job) or {}

    try:
        print(f"broker {broker.bootstrap}; {args.job} starting (log: {job_log})", flush=True)
        while visible_transcripts(settings, args.job) is None:
            if job.poll() is not None:
                raise SystemExit(f"the {args.job} job stopped; see {job_log}")
            time.sleep(1)
        # Warm-up, not timed: the first micro-batches pay the JVM's JIT, the Python workers' start and the
        # first write to every table. Its transcripts are the baseline of the counts.
        warmup = Producer(broker.bootstrap, args.rate, args.warmup, seed=8, by_store=by_store)
        print(f"warm-up: {args.rate:.0f} events/s for {args.warmup:.0f} s, until {where} has them ...", flush=True)
        warmup.run()
        warmed = sum(len(v) for v in warmup.sent_at.values())
        while sum(visible().values()) < warmed:
            time.sleep(1)
        baseline = visible()
        producer = Producer(broker.bootstrap, args.rate, args.seconds, by_store=by_store)
        print(f"producing {args.rate:.0f} events/s for {args.seconds:.0f} s ...", flush=True)
        producer.start()
        latencies, missing = measure(producer, visible, baseline, deadline=time.monotonic() + args.seconds + 120)
        print(f"produced {producer.sent:,} events in {producer.elapsed:.1f} s "
              f"({producer.sent / producer.elapsed:,.0f} events/s); {len(latencies):,} transcripts timed")  # fmt: skip
        if latencies:
            p50, p95, worst = percentile(latencies, 0.5), percentile(latencies, 0.95), max(latencies)
            print(f"latency Kafka -> {where}: p50 {p50:.1f} s, p95 {p95:.1f} s, max {worst:.1f} s (goal p95 < 10 s)")
        if missing:
            print(f"{missing} transcripts not visible in {where} before the deadline")
    finally:
        os.killpg(job.pid, signal.SIGTERM)
        job.wait(timeout=60)
        kafka_broker.stop(scratch / "kafka-data")
        log = job_log.read_text(errors="replace").splitlines()
        if batches := [line.split(": ", 1)[1] for line in log if "medallion batch" in line]:
            print("the medallion's micro-batches:", *batches[-8:], sep="\n  ")
        if args.keep:
            print(f"kept {scratch} (the lake and {job_log.name})")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
