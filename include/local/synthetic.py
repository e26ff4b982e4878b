"""Deterministic synthetic device events for the thin slice: 2 stores x 2 devices, one trading day.

Each device sees customer sessions (the customer appears in a zone, the clerk greets, the customer says
two or three things, the zone empties with the visit's dwell; all within one hour) and sends a heartbeat
every 30 minutes. Three faults are mixed in on purpose so the slice shows
data quality at work: a malformed JSON line, a transcript without store_id, and a duplicated transcript.

``expected_summary`` computes, in plain Python, what the pipeline must report for this input; the tests
compare the lakehouse, the marts and the dashboard export against it.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from include.atomic import write_atomic
from include.catalog import STORES, brand_mentioned, device_ids
from scout_edge.contract import (
    AnnotatedEvent,
    Event,
    Heartbeat,
    InsightFeedback,
    Transcript,
    VisualDetection,
    to_iso,
)
from scout_edge.fusion import is_greeting, is_question

DAY = datetime(2026, 11, 2, tzinfo=UTC)
OPEN_HOUR, CLOSE_HOUR = 9, 18
PHRASES = (
    "do you have lucky me pancit canton",
    "where is the bear brand milk",
    "is nescafe three in one on promo today",
    "how much is the alaska evaporada",
    "i am looking for safeguard soap",
    "can i pay with gcash",
    "thank you have a nice day",
)
GREETINGS = ("good morning, welcome to the store", "hello, welcome", "good afternoon, how can i help you")
ZONES = ("counter", "aisle-1", "entrance")  # the camera's zones; greetings happen at the counter
LEAVE_AFTER_S = 45  # the customer leaves the zone this long after the last thing said


@dataclass
class SyntheticDay:
    events: list[Event] = field(default_factory=list)
    # Raw lines that are not valid events, per hub (they must reach bronze and then quarantine).
    bad_lines: dict[str, list[str]] = field(default_factory=dict)
    duplicates: list[Event] = field(default_factory=list)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def clip_url(device: str, event_id: str) -> str:
    """Where a device's recorded clip of a transcript lives (its Blob Storage container, as AudioURL)."""
    return f"https://clips.scout.example/{device}/{event_id}.wav"


def _derived_id(session: str, what: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"scout:{session}:{what}"))


def _device_sessions(rng: random.Random, store: str, device: str, sessions: int) -> list[Event]:
    events: list[Event] = []
    for _ in range(sessions):
        start = DAY + timedelta(hours=rng.randrange(OPEN_HOUR, CLOSE_HOUR), minutes=rng.randrange(0, 45))
        session = _uuid(rng)
        people = rng.randint(1, 3)
        visual = VisualDetection(
            event_id=_uuid(rng),
            device_id=device,
            store_id=store,
            ts=to_iso(start),
            session_id=session,
            zone_id=ZONES[rng.randint(1, 3) - 1],
            camera_angle="front",
            faces=people,
            people=people,
            motion=round(rng.uniform(0.05, 0.6), 3),
            boxes=[[0.1, 0.2, 0.2, 0.5]] * people,
        )
        events.append(visual)
        # The clerk greets first. Events added after the first release take their ids from the session
        # (uuid5), not from rng, so the seeded stream of everything else stays as it was.
        greeting = GREETINGS[len(events) % len(GREETINGS)]
        greeting_id = _derived_id(session, "greeting")
        events.append(
            Transcript(
                event_id=greeting_id,
                device_id=device,
                store_id=store,
                ts=to_iso(start + timedelta(seconds=30)),
                session_id=session,
                text=greeting,
                word_count=len(greeting.split()),
                language="en",
                confidence=0.9,
                audio_url=clip_url(device, greeting_id),
                source_file=f"{device}/{to_iso(start + timedelta(seconds=30))}.wav",
            )
        )
        asked: list[str] = []
        at = start
        for _ in range(rng.randint(2, 3)):
            at += timedelta(minutes=rng.randint(1, 4))  # at most 12 minutes: the session stays in its hour
            text = rng.choice(PHRASES)
            asked.append(text)
            said_id = _uuid(rng)
            events.append(
                Transcript(
                    event_id=said_id,
                    device_id=device,
                    store_id=store,
                    ts=to_iso(at),
                    session_id=session,
                    text=text,
                    word_count=len(text.split()),
                    language="en",
                    confidence=round(rng.uniform(0.70, 0.99), 3),
                    audio_url=clip_url(device, said_id),
                    source_file=f"{device}/{to_iso(at)}.wav",
                )
            )
        leave = at + timedelta(seconds=LEAVE_AFTER_S)
        events.append(
            replace(
                visual,
                event_id=_derived_id(session, "leave"),
                ts=to_iso(leave),
                faces=0,
                people=0,
                motion=0.02,
                boxes=[],
                dwell_s=(leave - start).total_seconds(),
            )
        )
        brand = next((b for text in asked if (b := brand_mentioned(text))), None)
        if brand:  # the device fused what it saw and heard (no draw from rng: the other events stay as they were)
            events.append(
                AnnotatedEvent(
                    event_id=_derived_id(session, "greeted-asked"),
                    device_id=device,
                    store_id=store,
                    ts=to_iso(at),
                    session_id=session,
                    label="Greeted + Asked",
                    zone_id=visual.zone_id,
                    brand=brand,
                )
            )
    return events


def _heartbeats(rng: random.Random, store: str, device: str) -> list[Event]:
    beats: list[Event] = []
    at = DAY + timedelta(hours=OPEN_HOUR - 1)
    uptime = 0.0
    while at < DAY + timedelta(hours=CLOSE_HOUR):
        beats.append(
            Heartbeat(
                event_id=_uuid(rng),
                device_id=device,
                store_id=store,
                ts=to_iso(at),
                uptime_s=uptime,
                cpu_load=round(rng.uniform(0.1, 1.5), 2),
                mem_used_pct=round(rng.uniform(30, 70), 1),
                disk_used_pct=41.0,
                client_version="0.1.0",
                location=f"{store}/entrance",
                spool_depth=0,
                cpu_temp_c=round(rng.uniform(45, 65), 1),
            )
        )
        at += timedelta(minutes=30)
        uptime += 1800.0
    return beats


INSIGHT_TYPES = ("restock", "upsell", "staffing")
FEEDBACK_PER_STORE = 8


def _insight_feedback(rng: random.Random, store: str) -> list[Event]:
    """Advisors acting on the day's generated insights, from the store's dashboard tablet."""
    return [
        InsightFeedback(
            event_id=_uuid(rng),
            device_id=f"{store}-tablet",
            store_id=store,
            ts=to_iso(DAY + timedelta(hours=rng.randrange(OPEN_HOUR, CLOSE_HOUR), minutes=rng.randrange(60))),
            insight_id=_uuid(rng),
            insight_type=rng.choice(INSIGHT_TYPES),
            action=rng.choice(("taken", "taken", "dismissed")),
            advisor_id=f"{store}-advisor",
        )
        for _ in range(FEEDBACK_PER_STORE)
    ]


def generate(seed: int = 7, sessions_per_device: int = 6) -> SyntheticDay:
    rng = random.Random(seed)
    day = SyntheticDay()
    for store in STORES:
        for device in device_ids(store):
            day.events += _device_sessions(rng, store, device, sessions_per_device)
            day.events += _heartbeats(rng, store, device)
    feedback_rng = random.Random(seed + 1)  # its own stream: the devices' events stay as they were
    for store in STORES:
        day.events += _insight_feedback(feedback_rng, store)
    first_transcript = next(e for e in day.events if isinstance(e, Transcript))
    day.duplicates.append(first_transcript)  # the same event delivered twice (an edge retry)
    no_store = replace(first_transcript, event_id=_uuid(rng), store_id=None)  # type: ignore[arg-type]
    day.bad_lines[Transcript.hub] = ['{"event_type": "transcript", "event_id": ', no_store.to_json()]
    return day


UNREGISTERED_DEVICE = "store-002-pi-09"  # installed in a registered store, not yet in EdgeDeviceRegistry


def unregistered_device(device: str = UNREGISTERED_DEVICE, store: str = "store-002", seed: int = 9) -> list[Event]:
    """One more device's day (two sessions, its heartbeats), one RetailAdvisorDB's seed does not register:
    a device installed and sending before anyone registered it."""
    rng = random.Random(seed)
    return _device_sessions(rng, store, device, 2) + _heartbeats(rng, store, device)


def write_landing(day: SyntheticDay, landing_dir: Path) -> dict[str, int]:
    """Write the day as JSON-lines files, one per device and hub (as the edge file transport does).

    Idempotent: files that exist are left alone. Returns how many files were written per hub.
    """
    files: dict[Path, list[str]] = defaultdict(list)
    stamp = DAY.strftime("%Y%m%d")
    for event in [*day.events, *day.duplicates]:
        files[landing_dir / event.hub / f"{event.device_id}-{stamp}.jsonl"].append(event.to_json())
    for hub, lines in day.bad_lines.items():
        files[landing_dir / hub / f"faults-{stamp}.jsonl"] += lines
    written: dict[str, int] = defaultdict(int)
    for path, lines in sorted(files.items()):
        if not path.exists():  # deterministic content: a file from an earlier run is identical
            write_atomic(path, "\n".join(lines) + "\n")
            written[path.parent.name] += 1
    return dict(written)


ALIGN_WINDOW_S = 60  # the medallion's default (SCOUT_ALIGN_WINDOW_S)
FUSION_WINDOW_S = 120  # a brand question this soon after the greeting completes "Greeted + Asked"


def _seconds(ts: str) -> float:
    return datetime.fromisoformat(ts).timestamp()


def _greeted_and_asked_sessions(day: SyntheticDay, counter: str = "counter") -> set[str]:
    """Sessions with a face at the counter, a greeting, then a brand question within FUSION_WINDOW_S."""
    at_counter = {e.session_id for e in day.events if isinstance(e, VisualDetection) and e.zone_id == counter
                  and e.faces > 0}  # fmt: skip
    said: dict[str, list[Transcript]] = defaultdict(list)
    for e in day.events:
        if isinstance(e, Transcript) and e.session_id in at_counter:
            said[e.session_id].append(e)
    fused = set()
    for session, lines in said.items():
        greetings = [_seconds(t.ts) for t in lines if is_greeting(t.text)]
        if not greetings:
            continue
        first = min(greetings)
        if any(
            is_question(t.text) and brand_mentioned(t.text) and 0 <= _seconds(t.ts) - first <= FUSION_WINDOW_S
            for t in lines
        ):
            fused.add(session)
    return fused


def _aligned_pairs(day: SyntheticDay, window_s: int) -> int:
    """Transcript x detection pairs of one device at most window_s apart (both ends included)."""
    seen: dict[str, list[float]] = defaultdict(list)
    for e in day.events:
        if isinstance(e, VisualDetection):
            seen[e.device_id].append(_seconds(e.ts))
    return sum(
        1
        for t in day.events
        if isinstance(t, Transcript)
        for v in seen[t.device_id]
        if abs(v - _seconds(t.ts)) <= window_s
    )


def exact_mean(values: list[float], places: int = 4) -> float:
    """The mean of ``values`` computed exactly, then rounded half up (as the marts round it)."""
    mean = sum(Decimal(repr(v)) for v in values) / len(values)
    return float(mean.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP))


def expected_summary(day: SyntheticDay) -> dict:
    """What the pipeline must produce from ``day``: row counts and per-store daily metrics."""
    transcripts = [e for e in day.events if isinstance(e, Transcript)]
    per_store: dict[str, dict] = {}
    store_hours = 0
    for store in STORES:
        mine = [t for t in transcripts if t.store_id == store]
        hours = {t.ts[:13] for t in mine}
        store_hours += len(hours)
        per_store[store] = {
            "interactions": len({(t.session_id, t.ts[:13]) for t in mine}),
            "transcripts": len(mine),
            "words": sum(t.word_count for t in mine),
            "avg_confidence": exact_mean([t.confidence for t in mine]),
            "active_hours": len(hours),
        }
    lines = defaultdict(int)
    for event in [*day.events, *day.duplicates]:
        lines[event.hub] += 1
    for hub, bad in day.bad_lines.items():
        lines[hub] += len(bad)
    return {
        "bronze_lines": dict(lines),
        "silver_transcripts": len(transcripts),
        "quarantined": sum(len(b) for b in day.bad_lines.values()),
        "duplicates": len(day.duplicates),
        "store_hours": store_hours,
        "devices": len({e.device_id for e in day.events if isinstance(e, Heartbeat)}),
        "store_insight_types": len(
            {(e.store_id, e.insight_type) for e in day.events if isinstance(e, InsightFeedback)}
        ),
        "store_brand_days": len({(t.store_id, brand_mentioned(t.text), t.ts[:10]) for t in transcripts}),
        "fused_sessions": len(_greeted_and_asked_sessions(day)),
        "aligned_pairs": _aligned_pairs(day, ALIGN_WINDOW_S),
        "stores": per_store,
        "date": DAY.date().isoformat(),
    }
