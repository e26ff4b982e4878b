from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pytest

from scout_edge.contract import AnnotatedEvent, ContractError, Transcript, VisualDetection, parse_event
from scout_edge.simulator import BRANDS, Fleet, FleetSpec


def test_the_same_seed_gives_the_same_stream_and_another_seed_does_not():
    def payloads(seed):
        return [r.payload for r in Fleet(FleetSpec(duration_s=300, rate=20, seed=seed)).records()]

    assert payloads(3) == payloads(3)
    assert payloads(3) != payloads(4)


def test_rate_duration_and_fleet_shape():
    spec = FleetSpec(stores=3, devices_per_store=2, duration_s=1800, rate=20)
    events = list(Fleet(spec).events())
    assert 0.85 * 36_000 < len(events) < 1.1 * 36_000
    assert {(e.store_id, e.device_id) for e in events if e.device_id != "advisor-app"} == set(spec.devices())
    stamps = [e.ts for e in events]
    assert stamps == sorted(stamps)
    assert stamps[0] >= "2026-11-02T09:00:00" and stamps[-1] < "2026-11-02T09:30:00"
    beats = Counter(e.device_id for e in events if e.event_type == "heartbeat")
    assert set(beats.values()) == {60}  # every 30 s for 30 minutes


def test_sessions_are_coherent_customer_visits():
    sessions = defaultdict(list)
    for event in Fleet(FleetSpec(duration_s=1800, rate=5)).events():
        if getattr(event, "session_id", None):
            sessions[event.session_id].append(event)
    assert len(sessions) > 50
    for events in sessions.values():
        visuals = [e for e in events if isinstance(e, VisualDetection)]
        said = [e.text for e in events if isinstance(e, Transcript)]
        if visuals[-1].faces != 0:  # cut off by the end of the run
            continue
        (note,) = [e for e in events if isinstance(e, AnnotatedEvent)]
        assert visuals[0].zone_id == "counter" and visuals[0].faces > 0  # enters
        assert visuals[-1].dwell_s > 0  # leaves, with how long it stayed
        assert note.label == "Greeted + Asked" and note.brand in BRANDS
        assert note.brand.lower() in said[1].lower() and said[1].endswith("?")  # asked about that brand
        assert len({e.device_id for e in events}) == 1


def test_injected_faults_are_exactly_what_the_stream_contains():
    spec = FleetSpec(
        duration_s=1800, rate=10, faults=("malformed", "duplicates", "late", "out-of-order", "silent"), fault_share=0.02
    )
    fleet = Fleet(spec)
    records = list(fleet.records())
    injected = fleet.injected
    valid, malformed = [], 0
    for r in records:
        try:
            valid.append(parse_event(r.payload))
        except ContractError:
            malformed += 1
    ids = Counter(e.event_id for e in valid)
    assert malformed == injected.malformed > 0
    assert sum(n - 1 for n in ids.values()) == injected.duplicates > 0
    assert len(ids) == injected.events
    late = [e for e in valid if datetime.fromisoformat(e.ts) < spec.start]
    assert len(late) == injected.late > 0  # 3 hours in the past: before the run even started
    assert injected.out_of_order > 0
    order = [e.ts for e in valid if e not in late]
    assert order != sorted(order)
    silent = injected.silent_devices[0]
    last_word = max(e.ts for e in valid if e.device_id == silent and e not in late)
    assert datetime.fromisoformat(last_word) <= spec.start + timedelta(seconds=spec.duration_s / 2)


def test_an_unknown_fault_is_refused():
    with pytest.raises(ValueError, match="unknown fault 'gremlins'"):
        Fleet(FleetSpec(faults=("gremlins",)))


def test_every_valid_payload_is_canonical_contract_json():
    for record in Fleet(FleetSpec(duration_s=120, rate=20)).records():
        event = parse_event(record.payload)
        assert event.to_json() == record.payload and json.loads(record.payload)["event_id"] == record.event_id
