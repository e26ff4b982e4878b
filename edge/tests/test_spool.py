from __future__ import annotations

from datetime import UTC, datetime

from scout_edge.contract import Heartbeat, to_iso
from scout_edge.spool import Spool


def beat(i: int) -> Heartbeat:
    return Heartbeat(
        event_id=f"hb-{i:04d}",
        device_id="pi-1",
        store_id="s1",
        ts=to_iso(datetime(2026, 11, 2, tzinfo=UTC)),
        uptime_s=i,
        cpu_load=0.1,
        mem_used_pct=10,
        disk_used_pct=20,
        client_version="t",
        location="x",
        spool_depth=0,
    )


def test_events_stay_until_acknowledged_and_survive_a_reopen(tmp_path):
    spool = Spool(tmp_path / "spool.db")
    spool.put_many(beat(i) for i in range(5))
    first = spool.peek(3)
    assert [r.event_id for r in first] == ["hb-0000", "hb-0001", "hb-0002"]
    assert spool.ack([first[0].seq, first[1].seq]) == 2
    spool.close()

    reopened = Spool(tmp_path / "spool.db")
    assert [r.event_id for r in reopened.peek(10)] == ["hb-0002", "hb-0003", "hb-0004"]
    stats = reopened.stats()
    assert (stats.depth, stats.sent, stats.dropped) == (3, 2, 0)
    assert stats.last_publish_ts is not None
    assert reopened.peek(1)[0].key == "pi-1" and reopened.peek(1)[0].hub == "eh-device-heartbeat"


def test_a_pending_event_is_spooled_once(tmp_path):
    spool = Spool(tmp_path / "spool.db")
    spool.put(beat(1))
    spool.put(beat(1))
    assert spool.depth() == 1


def test_a_full_spool_drops_the_oldest_and_counts_them(tmp_path, caplog):
    spool = Spool(tmp_path / "spool.db", max_events=4)
    spool.put_many(beat(i) for i in range(3))
    spool.put_many(beat(i) for i in range(3, 7))
    assert [r.event_id for r in spool.peek(10)] == ["hb-0003", "hb-0004", "hb-0005", "hb-0006"]
    assert spool.stats().dropped == 3
    assert "spool full (4 events): dropped the 3 oldest" in caplog.text


def test_ack_by_event_id(tmp_path):
    spool = Spool(tmp_path / "spool.db")
    spool.put_many(beat(i) for i in range(1200))  # more ids than SQLite binds in one statement
    assert spool.ack_event_ids([f"hb-{i:04d}" for i in range(0, 1200, 2)] + ["unknown"]) == 600
    assert spool.depth() == 600
    assert spool.peek(1)[0].event_id == "hb-0001"
