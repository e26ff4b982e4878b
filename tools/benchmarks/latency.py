"""End-to-end latency in continuous mode: an event produced to Kafka -> its row visible in silver and gold,
against the floor (the bronze job alone), measured back to back in one invocation.

    python -m tools.benchmarks.latency --rate 1000 --seconds 60      # or: make bench-latency

For each leg (``--job both``, the default: the bronze job first, then the medallion) it starts a local
Kafka broker and the job in continuous mode (its own process, as in production), waits until it runs,
warms it up, then the edge fleet simulator produces a steady ``--rate`` events per second to the hubs'
topics through the edge Kafka transport, each event stamped with the moment it is sent. Meanwhile the
job's tables are polled with delta-rs: when a table holds n of the timed transcripts, the first n sent are
visible, and each one's latency is the poll time minus its send time. The floor leg times transcripts to
``bronze_stt_raw`` (the least latency any medallion can have here); the medallion leg to
``silver_transcripts`` and, per store, to ``gold_store_interaction_metrics``. Prints p50 / p95 / max per
table, the ratios to the floor's p95, what the producer achieved, whether the job kept up (its backlog while
the producer ran, sampled every 2 s: events produced minus events landed in bronze, flat or growing), and
the medallion's last micro-batches from its log (events, time per layer).
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
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from include.arguments import ArgumentParser
from include.settings import PROJECT_ROOT, Settings, load_settings
from include.spark_jobs.tables import BRONZE_TABLES, GOLD_STORE_INTERACTION_METRICS, SILVER_TRANSCRIPTS, locate
from scout_edge.contract import Transcript
from tools import kafka_broker

ALL = "*"  # --job bronze: bronze rows carry no store, so transcripts are counted over the whole fleet


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


WHERE = {  # the tables a leg times transcripts to: bronze and silver count them all, gold per store
    "bronze": (BRONZE_TABLES[Transcript.hub],),
    "medallion": (SILVER_TRANSCRIPTS, GOLD_STORE_INTERACTION_METRICS),
}


def visible_transcripts(settings: Settings, table: str) -> dict[str, int] | None:
    """Transcripts visible in ``table``: all of them (bronze, silver) or per store (gold). None until the
    table exists."""
    from deltalake import DeltaTable

    try:
        delta = DeltaTable(str(locate(settings, table).path))
    except Exception:  # not created yet
        return None
    if table != GOLD_STORE_INTERACTION_METRICS:
        return {ALL: delta.to_pyarrow_table(columns=["ingest_time"]).num_rows}
    counts: dict[str, int] = defaultdict(int)
    for row in delta.to_pyarrow_table(columns=["store_id", "transcripts"]).to_pylist():
        counts[row["store_id"]] += row["transcripts"] or 0
    return counts


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


class Producer(threading.Thread):
    """The fleet simulator at a steady wall-clock rate; remembers when each transcript was sent."""

    def __init__(self, bootstrap: str, rate: float, seconds: float, seed: int = 7) -> None:
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
        # store -> send times of its transcripts, and ALL -> every transcript's
        self.sent_at: dict[str, list[float]] = defaultdict(list)
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
                    self.sent_at[json.loads(r.payload)["store_id"]].append(now)
                    self.sent_at[ALL].append(now)
            self.sent += len(chunk)
        self.elapsed = time.monotonic() - began
        self.transport.close()


def sent_to(producer: Producer, table: str) -> int:
    """Transcripts the producer sent, as ``table`` counts them (gold per store, the others all at once)."""
    if table != GOLD_STORE_INTERACTION_METRICS:
        return len(producer.sent_at[ALL])
    return sum(len(times) for store, times in producer.sent_at.items() if store != ALL)


def measure(
    producer: Producer, visible: dict[str, Callable[[], dict[str, int]]], baseline: dict[str, dict[str, int]],
    deadline: float,
) -> dict[str, tuple[list[float], int]]:  # fmt: skip
    """Poll each table until every transcript the (started) producer sends is visible in all of them, or
    the deadline: per table, the latency of each one seen, and how many were not."""
    latencies: dict[str, list[float]] = {table: [] for table in visible}
    seen: dict[str, dict[str, int]] = {table: defaultdict(int) for table in visible}
    while time.monotonic() < deadline:
        done = True
        for table, counts_of in visible.items():
            counts = counts_of()
            now = time.monotonic()
            for key, total in counts.items():
                sent = producer.sent_at.get(key, [])
                shown = min(total - baseline[table].get(key, 0), len(sent))
                latencies[table] += [now - t for t in sent[seen[table][key] : shown]]
                seen[table][key] = max(seen[table][key], shown)
            done &= sum(seen[table].values()) >= sent_to(producer, table)
        if not producer.is_alive() and done:
            break
        time.sleep(0.25)
    producer.join()
    return {table: (latencies[table], sent_to(producer, table) - sum(seen[table].values())) for table in visible}


@dataclass
class Leg:
    """One job's run: the latency of the timed transcripts to each table, and how the job kept up."""

    job: str
    latencies: dict[str, list[float]]
    missing: dict[str, int]
    produced: int
    rate: float
    processed: int  # events that reached bronze while the timed traffic ran, and up to a minute after
    backlog: list[int]  # events produced but not yet in bronze, every 2 s while the producer ran
    batches: list[str]  # the job's own lines about its micro-batches

    def p95(self, table: str) -> float | None:
        return percentile(self.latencies[table], 0.95) if self.latencies.get(table) else None


def run_leg(job_name: str, args, base: Settings) -> Leg:
    """Broker + job in a scratch home, warm-up, timed traffic; everything stopped and removed afterwards
    (kept with ``--keep``)."""
    scratch = Path(tempfile.mkdtemp(prefix=f"scout-latency-{job_name}-"))
    (scratch / "jars").symlink_to(base.jars_dir.resolve(), target_is_directory=True)
    (scratch / "kafka").mkdir()
    (scratch / "kafka" / "libs").symlink_to((base.home / "kafka" / "libs").resolve(), target_is_directory=True)
    settings = Settings(home=scratch)
    broker = kafka_broker.start(settings, scratch / "kafka-data", port=_free_port(), controller_port=_free_port())
    env = {**os.environ, "SCOUT_HOME": str(scratch), "SCOUT_SOURCE": "kafka", "SCOUT_KAFKA_BOOTSTRAP": broker.bootstrap}
    job_log = scratch / f"{job_name}.log"
    job = subprocess.Popen(
        [sys.executable, "-m", "include.spark_jobs", job_name, "--trigger", "continuous",
         "--interval", args.interval],
        cwd=PROJECT_ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=job_log.open("w"),
    )  # fmt: skip
    tables = WHERE[job_name]
    visible = {table: (lambda table=table: visible_transcripts(settings, table) or {}) for table in tables}
    backlog: list[int] = []
    try:
        print(f"[{job_name}] broker {broker.bootstrap}; job starting (log: {job_log})", flush=True)
        started = time.monotonic()
        while any(visible_transcripts(settings, t) is None for t in tables):
            if job.poll() is not None:
                raise SystemExit(f"the {job_name} job stopped; see {job_log}")
            time.sleep(0.5)
        # Warm-up, not timed: the first micro-batches pay the JVM's JIT, the Python workers' start and the
        # first write to every table. Its transcripts are the baseline of the counts.
        warmup = Producer(broker.bootstrap, args.rate, args.warmup, seed=8)
        print(f"[{job_name}] tables ready {time.monotonic() - started:.0f} s after the start; warm-up: "
              f"{args.rate:.0f} events/s for {args.warmup:.0f} s ...", flush=True)  # fmt: skip
        warmup.run()
        # every warm-up event in bronze and every warm-up transcript at the end of the path
        while landed(settings) < warmup.sent or sum(visible[tables[-1]]().values()) < sent_to(warmup, tables[-1]):
            if job.poll() is not None:
                raise SystemExit(f"the {job_name} job stopped; see {job_log}")
            time.sleep(1)
        baseline = {table: visible[table]() for table in tables}
        before = landed(settings)
        producer = Producer(broker.bootstrap, args.rate, args.seconds)
        print(f"[{job_name}] producing {args.rate:.0f} events/s for {args.seconds:.0f} s ...", flush=True)
        producer.start()
        watcher_stop = threading.Event()

        def watch() -> (
            None
        ):  # a job that keeps up has a backlog of about one batch, flat; one that does not, a growing one
            while producer.is_alive() and not watcher_stop.wait(2.0):
                backlog.append(producer.sent - (landed(settings) - before))

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        results = measure(producer, visible, baseline, deadline=time.monotonic() + args.seconds + 180)
        watcher_stop.set()
        watcher.join()
        processed = taken_in_since(settings, before, producer.sent)
    finally:
        os.killpg(job.pid, signal.SIGTERM)
        job.wait(timeout=60)
        kafka_broker.stop(scratch / "kafka-data")
        log = job_log.read_text(errors="replace").splitlines()
        if args.keep:
            print(f"[{job_name}] kept {scratch} (the lake and {job_log.name})")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return Leg(
        job_name,
        {t: r[0] for t, r in results.items()},
        {t: r[1] for t, r in results.items()},
        producer.sent,
        producer.sent / producer.elapsed,
        processed,
        backlog,
        [line.split(": ", 1)[1] for line in log if " batch " in line and " events in " in line],
    )


def landed(settings: Settings) -> int:
    """Rows in the bronze tables: every event the job has taken in (bronze keeps each line it read)."""
    from deltalake import DeltaTable

    return sum(
        DeltaTable(str(locate(settings, table).path)).to_pyarrow_table(columns=["ingest_time"]).num_rows
        for table in BRONZE_TABLES.values()
    )


def taken_in_since(settings: Settings, before: int, produced: int, wait_s: float = 60) -> int:
    """Events the job took in since bronze held ``before`` rows: waits (up to ``wait_s``) until it has as
    many as were produced, for a job that is still catching up."""
    settled = time.monotonic() + wait_s
    while (taken := landed(settings) - before) < produced and time.monotonic() < settled:
        time.sleep(1)
    return taken


def report(leg: Leg) -> None:
    print(f"\n[{leg.job}] produced {leg.produced:,} events ({leg.rate:,.0f} events/s); {leg.processed:,} of them "
          "reached bronze by a minute after the producer stopped")  # fmt: skip
    if len(leg.backlog) >= 3:
        third = len(leg.backlog) // 3
        first, last = max(leg.backlog[:third]), max(leg.backlog[-third:])
        verdict = "flat: it keeps up" if last <= 1.5 * max(first, 1) else "growing: it falls behind"
        print(f"[{leg.job}] backlog while producing (events sent, not yet in bronze): first third max {first:,}, "
              f"last third max {last:,} ({verdict})")  # fmt: skip
    for table, latencies in leg.latencies.items():
        if latencies:
            p50, p95, worst = percentile(latencies, 0.5), percentile(latencies, 0.95), max(latencies)
            print(f"[{leg.job}] Kafka -> {table}: p50 {p50:.1f} s, p95 {p95:.1f} s, max {worst:.1f} s "
                  f"({len(latencies):,} transcripts timed)")  # fmt: skip
        if leg.missing[table]:
            print(f"[{leg.job}] {leg.missing[table]} transcripts not visible in {table} before the deadline")
    if leg.batches:
        print(f"[{leg.job}] its last micro-batches:", *leg.batches[-8:], sep="\n  ")


def main() -> None:
    parser = ArgumentParser(prog="python -m tools.benchmarks.latency")
    parser.add_argument("--rate", type=float, default=1000.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to produce, per leg")
    parser.add_argument("--interval", default="1 second", help="the jobs' processing-time trigger")
    parser.add_argument("--warmup", type=float, default=20.0, help="seconds of untimed traffic first")
    parser.add_argument("--keep", action="store_true", help="keep the scratch homes (lake, the job's log)")
    parser.add_argument("--job", choices=("both", "medallion", "bronze"), default="both",
                        help="both (default): the bronze job (the floor), then the medallion")  # fmt: skip
    args = parser.parse_args()
    if args.rate <= 0 or args.seconds <= 0:
        parser.error("--rate and --seconds must be positive")
    base = load_settings()
    legs = {}
    for job_name in ("bronze", "medallion") if args.job == "both" else (args.job,):
        legs[job_name] = run_leg(job_name, args, base)
        report(legs[job_name])
    if len(legs) == 2:
        floor = legs["bronze"].p95(BRONZE_TABLES[Transcript.hub])
        silver, gold = legs["medallion"].p95(SILVER_TRANSCRIPTS), legs["medallion"].p95(GOLD_STORE_INTERACTION_METRICS)
        if floor and silver and gold:
            print(f"\np95 against the floor's {floor:.1f} s: silver {silver:.1f} s = {silver / floor:.2f}x "
                  f"(goal <= 1.3x), gold {gold:.1f} s = {gold / floor:.2f}x (goal <= 2x and < 10 s)")  # fmt: skip


if __name__ == "__main__":
    main()
