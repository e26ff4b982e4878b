"""``scout-edge simulate``: drive the fleet simulator into any transport, with a progress bar."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from scout_edge.errors import ConfigError, InputError, TransportError
from scout_edge.simulator import FAULTS, Fleet, FleetSpec
from scout_edge.transports import EventHubTransport, FileTransport, KafkaTransport, Transport


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stores", type=int, default=2, help="stores in the fleet (default: %(default)s)")
    p.add_argument("--devices", type=int, default=2, help="devices in each store (default: %(default)s)")
    p.add_argument(
        "--duration",
        type=float,
        default=3600.0,
        help="simulated time the events span, in seconds (default: %(default)s)",
    )
    p.add_argument("--rate", type=float, default=10.0, help="events per second over the fleet")
    p.add_argument(
        "--seed", type=int, default=7, help="random seed: the same seed gives the same events (default: %(default)s)"
    )
    p.add_argument("--start", default="2026-11-02T09:00:00Z", help="first timestamp (ISO 8601 UTC) or 'now'")
    p.add_argument("--realtime", action="store_true", help="send at the rate in wall-clock time (for latency tests)")
    p.add_argument("--faults", default="", help=f"comma-separated: {','.join(FAULTS)}")
    p.add_argument("--fault-share", type=float, default=0.01, help="share of events hit by each fault (0-1)")
    p.add_argument(
        "--transport",
        choices=["file", "kafka", "eventhub"],
        default="file",
        help="where the events go: landing files, a Kafka broker, or Azure Event Hubs (default: %(default)s)",
    )
    p.add_argument("--out", default="landing", help="landing folder (file transport)")
    p.add_argument("--bootstrap", default="127.0.0.1:9092", help="Kafka bootstrap servers (kafka transport)")
    p.add_argument("--topic-prefix", default="", help="prefix of the hubs' topic names (kafka transport)")
    p.add_argument(
        "--connection-string-env",
        default="SCOUT_EVENTHUBS_CONNECTION_STRING",
        help="env var with the Event Hubs connection string (eventhub, or Kafka over SASL_SSL)",
    )
    p.add_argument("--summary", help="also write the injected-fault summary (JSON) to this file")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (for logs and scripts)")


def _spec(args: argparse.Namespace) -> FleetSpec:
    faults = tuple(f for f in args.faults.split(",") if f)
    for name, value in (
        ("--stores", args.stores),
        ("--devices", args.devices),
        ("--duration", args.duration),
        ("--rate", args.rate),
    ):
        if value <= 0:
            raise InputError(f"{name} must be greater than 0, got {value}")
    if not 0 < args.fault_share <= 1:
        raise InputError(
            f"--fault-share is the share of events each fault hits: above 0 and at most 1, got {args.fault_share}"
        )
    if args.start == "now":
        start = datetime.now(UTC)
    else:
        try:
            start = datetime.fromisoformat(args.start)
        except ValueError:
            raise InputError(f"--start: not an ISO 8601 timestamp: {args.start!r}") from None
        if start.tzinfo is None:
            raise InputError("--start needs a time zone (e.g. 2026-11-02T09:00:00Z)")
    return FleetSpec(
        stores=args.stores,
        devices_per_store=args.devices,
        duration_s=args.duration,
        rate=args.rate,
        seed=args.seed,
        start=start,
        faults=faults,
        fault_share=args.fault_share,
    )


def _transport(args: argparse.Namespace) -> Transport:
    secret = os.environ.get(args.connection_string_env)
    if args.transport == "file":
        return FileTransport(Path(args.out), "simulator", rotate_bytes=16 << 20, rotate_seconds=3600)
    if args.transport == "kafka":
        return KafkaTransport(args.bootstrap, secret, topic_prefix=args.topic_prefix)
    if not secret:
        raise ConfigError(f"--transport eventhub needs the connection string in ${args.connection_string_env}")
    return EventHubTransport.from_connection_string(secret)


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="ev", disable=not enabled, file=sys.stderr, mininterval=0.5)


def _send_all(transport: Transport, chunk: list, tries: int = 5) -> int:
    """Send a chunk, retrying what the target did not acknowledge; a target that stays down is an error."""
    pending = chunk
    for _ in range(tries):
        acked = set(transport.send(pending))
        pending = [r for r in pending if r.seq not in acked]
        if not pending:
            return len(chunk)
        time.sleep(1.0)
    raise TransportError(f"{transport.name}: {len(pending)} records not acknowledged after {tries} tries")


def simulate(args: argparse.Namespace, batch: int = 2000) -> int:
    spec = _spec(args)
    fleet = Fleet(spec)
    transport = _transport(args)
    records = fleet.records()
    expected = int(spec.rate * spec.duration_s)
    sent, began = 0, time.monotonic()
    with _progress(expected, not args.no_progress) as bar:
        while chunk := list(islice(records, 100 if args.realtime else batch)):
            if args.realtime:  # pace to the rate in wall-clock time
                time.sleep(max(0.0, began + sent / spec.rate - time.monotonic()))
            sent += _send_all(transport, chunk)
            bar.update(len(chunk))
    transport.close()
    elapsed = time.monotonic() - began
    summary = {
        **fleet.injected.as_dict(),
        "records_sent": sent,
        "seconds": round(elapsed, 2),
        "records_per_s": round(sent / elapsed) if elapsed else None,
    }
    if args.summary:
        Path(args.summary).write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary))
    return 0
