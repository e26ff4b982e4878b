"""Heartbeats and the device-side "Greeted + Asked" fusion."""

from __future__ import annotations

from datetime import UTC, datetime

from scout_edge import heartbeat
from scout_edge.config import DeviceConfig
from scout_edge.contract import Transcript, VisualDetection, parse_event, to_iso
from scout_edge.fusion import GreetedAndAsked
from scout_edge.spool import Spool


def test_a_heartbeat_reports_health_spool_and_last_publish(tmp_path):
    spool = Spool(tmp_path / "spool.db")
    config = DeviceConfig(device_id="pi-1", store_id="s1", location="counter, Sampaloc")
    beat = heartbeat.collect(config, spool.stats(), tmp_path)
    spool.put(beat)
    assert beat.last_publish_ts is None
    spool.ack([spool.peek(1)[0].seq])
    second = heartbeat.collect(config, spool.stats(), tmp_path)
    assert parse_event(second.to_json()) == second
    assert second.spool_depth == 0 and second.last_publish_ts is not None
    assert second.uptime_s > 0 and 0 < second.mem_used_pct < 100 and 0 < second.disk_used_pct < 100
    assert second.location == "counter, Sampaloc" and second.client_version


def test_cpu_temperature_comes_from_the_thermal_zone_when_there_is_one(tmp_path):
    assert heartbeat.cpu_temp_c(tmp_path) is None
    (tmp_path / "thermal_zone0").mkdir()
    (tmp_path / "thermal_zone0" / "temp").write_text("48312\n")
    assert heartbeat.cpu_temp_c(tmp_path) == 48.3


def at(second: int) -> str:
    return to_iso(datetime(2026, 11, 2, 10, 0, second, tzinfo=UTC))


def said(text: str, second: int) -> Transcript:
    return Transcript(
        device_id="pi-1",
        store_id="s1",
        ts=at(second),
        session_id=None,
        text=text,
        word_count=len(text.split()),
        language="en",
        confidence=0.9,
    )


def seen(faces: int, zone: str = "counter", session: str = "sess-1") -> VisualDetection:
    return VisualDetection(
        device_id="pi-1",
        store_id="s1",
        ts=at(0),
        session_id=session,
        zone_id=zone,
        camera_angle="front",
        faces=faces,
        people=faces,
        motion=0.1,
    )


def test_greeted_then_asked_about_a_brand_at_the_counter_is_annotated_once():
    fusion = GreetedAndAsked("counter", ["Lucky Me", "Bear Brand"])
    fusion.see(seen(1))
    assert fusion.hear(said("Good morning, welcome!", 1)) is None
    note = fusion.hear(said("Do you have Lucky Me pancit canton?", 5))
    assert (note.label, note.brand, note.session_id, note.zone_id) == (
        "Greeted + Asked",
        "Lucky Me",
        "sess-1",
        "counter",
    )
    assert fusion.hear(said("Where is the Bear Brand?", 9)) is None  # one per session


def test_no_annotation_without_a_face_at_the_counter_a_greeting_or_a_brand():
    elsewhere = GreetedAndAsked("counter", ["Lucky Me"])
    elsewhere.see(seen(1, zone="aisle-1"))
    elsewhere.hear(said("Hello!", 1))
    assert elsewhere.hear(said("Do you have Lucky Me?", 2)) is None

    ungreeted = GreetedAndAsked("counter", ["Lucky Me"])
    ungreeted.see(seen(1))
    assert ungreeted.hear(said("Do you have Lucky Me?", 2)) is None

    no_brand = GreetedAndAsked("counter", ["Lucky Me"])
    no_brand.see(seen(1))
    no_brand.hear(said("Hi there", 1))
    assert no_brand.hear(said("Do you sell rice?", 2)) is None
    assert no_brand.hear(said("Lucky Me is nice.", 3)) is None  # a brand, but not a question


def test_the_brand_is_the_hotword_named_first():
    from scout_edge.fusion import brand_in

    hotwords = ["pancit canton", "Lucky Me", "Bear Brand", "Bear Brand milk"]
    assert brand_in("Do you have Lucky Me pancit canton?", hotwords) == "Lucky Me"
    assert brand_in("Where is the bear brand milk?", hotwords) == "Bear Brand milk"
    assert brand_in("Do you sell rice?", hotwords) is None
