from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from scout_edge import HUBS, Heartbeat, Transcript, to_iso


def test_timestamps_are_utc_iso_with_z():
    manila = timezone(timedelta(hours=8))
    assert to_iso(datetime(2026, 11, 2, 17, 30, tzinfo=manila)) == "2026-11-02T09:30:00.000Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        to_iso(datetime(2026, 11, 2, 9, 30))


def test_an_event_serialises_with_its_type_and_version():
    event = Transcript(
        device_id="d1",
        store_id="s1",
        ts=to_iso(datetime(2026, 11, 2, tzinfo=UTC)),
        session_id=None,
        text="hi there",
        word_count=2,
        language="en",
        confidence=0.9,
    )
    payload = json.loads(event.to_json())
    assert payload["event_type"] == "transcript"
    assert payload["schema_version"] == 1
    assert payload["audio_url"] is None
    assert len(payload["event_id"]) == 36


def test_event_ids_are_unique_per_event():
    beats = [
        Heartbeat(
            device_id="d",
            store_id="s",
            ts="2026-11-02T00:00:00.000Z",
            uptime_s=1,
            cpu_load=0.1,
            mem_used_pct=1,
            disk_used_pct=1,
            client_version="0",
            location="x",
            spool_depth=0,
        )
        for _ in range(3)
    ]
    assert len({b.event_id for b in beats}) == 3


def test_every_design_hub_has_one_event_type():
    assert set(HUBS) == {
        "eh-pi-stt-raw",
        "eh-pi-visual-stream",
        "eh-pi-annotated-events",
        "eh-insight-feedback",
        "eh-device-heartbeat",
    }
