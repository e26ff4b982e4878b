"""Fleet simulator: N stores x M devices producing coherent, seeded traffic, with optional faults.

A device's day is a series of customer sessions: the customer enters the counter zone (a visual
detection), is greeted, asks about a brand from the catalog, the device annotates "Greeted + Asked",
the customer leaves (the zone empties, with its dwell). Heartbeats come every ``heartbeat_s`` per device
and advisors act on insights per store. The same seed gives the same events, byte for byte.

Faults (for downstream tests) are injected on request and counted in :class:`Injected`: malformed JSON
lines, exact duplicates, late events (older than the watermark), out-of-order delivery, and a device that
goes silent halfway through.
"""

from __future__ import annotations

import heapq
import random
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta

from scout_edge.contract import AnnotatedEvent, Event, Heartbeat, InsightFeedback, Transcript, VisualDetection, to_iso
from scout_edge.spool import Record

BRANDS = ("Lucky Me", "Bear Brand", "Nescafe", "Alaska", "Safeguard", "Milo", "Palmolive", "Coca-Cola")
GREETINGS = (
    "good morning, welcome to the store",
    "hello, welcome",
    "good afternoon, how can i help",
    "magandang umaga po, welcome",
)
QUESTIONS = ("do you have {brand}?", "where is the {brand}?", "is {brand} on promo today?", "how much is the {brand}?")
CLOSINGS = ("thank you, have a nice day", "salamat po", "see you again")
INSIGHTS = ("restock", "upsell", "staffing", "promo")
FAULTS = ("malformed", "duplicates", "late", "out-of-order", "silent")
EVENTS_PER_SESSION = 6.0  # enter, greeting, question, annotation, leave, and on average a closing/wave/feedback


@dataclass
class Injected:
    """What the simulator put into the stream on purpose."""

    events: int = 0  # valid events, each once
    malformed: int = 0
    duplicates: int = 0
    late: int = 0
    out_of_order: int = 0
    silent_devices: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class FleetSpec:
    stores: int = 2
    devices_per_store: int = 2
    duration_s: float = 3600.0
    rate: float = 10.0  # events per second over the whole fleet (simulated time)
    seed: int = 7
    start: datetime = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    heartbeat_s: float = 30.0
    faults: tuple[str, ...] = ()
    fault_share: float = 0.01  # share of events hit by each of malformed / duplicates / late / out-of-order

    def devices(self) -> list[tuple[str, str]]:
        return [
            (f"store-{s:03d}", f"pi-{s:03d}-{d}")
            for s in range(1, self.stores + 1)
            for d in range(1, self.devices_per_store + 1)
        ]


class Fleet:
    def __init__(self, spec: FleetSpec) -> None:
        unknown = sorted(set(spec.faults) - set(FAULTS))
        if unknown:
            raise ValueError(f"unknown fault {unknown[0]!r}; choose from {', '.join(FAULTS)}")
        if not 0 < spec.fault_share <= 1:
            raise ValueError(f"fault_share must be above 0 and at most 1, got {spec.fault_share}")
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.injected = Injected()

    def _id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _session(self, store: str, device: str, at: datetime) -> list[Event]:
        rng, session = self.rng, self._id()
        brand = rng.choice(BRANDS)
        common = {"device_id": device, "store_id": store, "session_id": session}
        dwell = rng.uniform(20, 240)
        people = rng.randint(1, 3)
        box = [round(rng.uniform(0, 0.6), 3), round(rng.uniform(0, 0.4), 3), 0.2, 0.5]
        t = at

        def seen(ts: datetime, count: int, motion: float, dwell: float, **extra) -> VisualDetection:
            boxes = extra.pop("boxes", [box] * count)
            return VisualDetection(
                event_id=self._id(),
                ts=to_iso(ts),
                zone_id="counter",
                camera_angle="front",
                faces=count,
                people=count,
                motion=motion,
                boxes=boxes,
                dwell_s=dwell,
                **extra,
                **common,
            )

        events: list[Event] = [seen(t, people, round(rng.uniform(0.05, 0.5), 3), 0.0)]  # the customer appears
        lines = [rng.choice(GREETINGS), rng.choice(QUESTIONS).format(brand=brand)]
        if rng.random() < 0.5:
            lines.append(rng.choice(CLOSINGS))
        for i, text in enumerate(lines):
            t += timedelta(seconds=rng.uniform(2, dwell / (len(lines) + 1)))
            events.append(
                Transcript(
                    event_id=self._id(),
                    ts=to_iso(t),
                    text=text,
                    word_count=len(text.split()),
                    language="en",
                    confidence=round(rng.uniform(0.6, 0.95), 3),
                    source_file=None,
                    audio_url=f"https://clips.example/{device}/{session}/{i}.wav",
                    **common,
                )
            )
            if i == 1:  # the device fused the greeting and the brand question
                events.append(
                    AnnotatedEvent(
                        event_id=self._id(),
                        ts=to_iso(t),
                        label="Greeted + Asked",
                        zone_id="counter",
                        brand=brand,
                        **common,
                    )
                )
        if rng.random() < 0.3:
            events.append(seen(t, people, 0.3, round((t - at).total_seconds(), 2), gesture="wave", boxes=[box]))
        events.append(seen(at + timedelta(seconds=dwell), 0, 0.02, round(dwell, 2)))  # the zone empties
        return events

    def _heartbeat(self, store: str, device: str, at: datetime) -> Heartbeat:
        rng, uptime = self.rng, (at - self.spec.start).total_seconds() + 3600
        return Heartbeat(
            event_id=self._id(),
            device_id=device,
            store_id=store,
            ts=to_iso(at),
            uptime_s=round(uptime, 1),
            cpu_load=round(rng.uniform(0.2, 1.8), 2),
            mem_used_pct=round(rng.uniform(30, 70), 1),
            disk_used_pct=round(rng.uniform(20, 60), 1),
            client_version="sim",
            location=f"{store} counter",
            spool_depth=rng.randint(0, 5),
            cpu_temp_c=round(rng.uniform(45, 75), 1),
            last_publish_ts=to_iso(at),
        )

    def _feedback(self, store: str, at: datetime) -> InsightFeedback:
        return InsightFeedback(
            event_id=self._id(),
            device_id="advisor-app",
            store_id=store,
            ts=to_iso(at),
            insight_id=self._id(),
            insight_type=self.rng.choice(INSIGHTS),
            action=self.rng.choice(("taken", "taken", "dismissed")),
            advisor_id=f"advisor-{self.rng.randint(1, 5)}",
        )

    def _device_stream(self, store: str, device: str, until: datetime) -> Iterator[Event]:
        """One device's events in timestamp order: sessions (overlapping when busy) and heartbeats."""
        spec, rng = self.spec, self.rng
        sessions_per_s = max(spec.rate / len(spec.devices()) - 1 / spec.heartbeat_s, 0.0) / EVENTS_PER_SESSION
        heap: list[tuple[str, int, Event]] = []
        order = 0
        next_session = spec.start + timedelta(seconds=rng.expovariate(sessions_per_s) if sessions_per_s else 1e9)
        next_beat = spec.start
        while True:
            upcoming = min(next_session, next_beat, until)
            while heap and heap[0][0] <= to_iso(upcoming):
                yield heapq.heappop(heap)[2]
            if upcoming >= until:
                yield from (e for ts, _, e in sorted(heap) if ts < to_iso(until))
                return
            if next_beat <= next_session:
                batch: list[Event] = [self._heartbeat(store, device, next_beat)]
                next_beat += timedelta(seconds=spec.heartbeat_s)
            else:
                batch = self._session(store, device, next_session)
                if rng.random() < 0.2:
                    batch.append(self._feedback(store, next_session))
                next_session += timedelta(seconds=rng.expovariate(sessions_per_s))
            for event in batch:
                heapq.heappush(heap, (event.ts, order, event))
                order += 1

    def events(self) -> Iterator[Event]:
        """Valid events of the whole fleet in timestamp order, from ``start`` for ``duration_s``."""
        spec = self.spec
        end = spec.start + timedelta(seconds=spec.duration_s)
        devices = spec.devices()
        silent = devices[-1][1] if "silent" in spec.faults else None
        self.injected.silent_devices = [silent] if silent else []
        streams = [
            self._device_stream(store, device, spec.start + (end - spec.start) / 2 if device == silent else end)
            for store, device in devices
        ]
        yield from heapq.merge(*streams, key=lambda e: e.ts)

    def records(self) -> Iterator[Record]:
        """Wire records (what a transport sends), faults applied; ``injected`` counts them as they go."""
        spec, rng, seq = self.spec, self.rng, 0
        share = spec.fault_share
        held_back: list[Record] = []  # out-of-order: sent a few records later than their turn
        late: list[Record] = []  # late: sent at the very end with a timestamp hours in the past
        for event in self.events():
            self.injected.events += 1
            if "late" in spec.faults and rng.random() < share:
                old = replace(event, ts=to_iso(datetime.fromisoformat(event.ts) - timedelta(hours=3)))
                late.append(Record(0, event.event_id, event.hub, event.device_id, old.to_json()))
                self.injected.late += 1
                continue
            record = Record(seq, event.event_id, event.hub, event.device_id, event.to_json())
            seq += 1
            if "out-of-order" in spec.faults and rng.random() < share:
                held_back.append(record)
                self.injected.out_of_order += 1
                continue
            yield record
            if "duplicates" in spec.faults and rng.random() < share:
                yield replace(record, seq=seq)
                seq += 1
                self.injected.duplicates += 1
            if "malformed" in spec.faults and rng.random() < share:
                yield Record(seq, self._id(), event.hub, event.device_id, record.payload[: len(record.payload) // 2])
                seq += 1
                self.injected.malformed += 1
            if len(held_back) >= 5:
                yield from _renumber(held_back, seq)
                seq += len(held_back)
                held_back.clear()
        yield from _renumber(held_back + late, seq)


def _renumber(records: list[Record], seq: int) -> Iterator[Record]:
    for i, r in enumerate(records):
        yield Record(seq + i, r.event_id, r.hub, r.key, r.payload)
