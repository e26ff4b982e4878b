"""The sessions the sync writes to RetailAdvisorDB, read out of the mart's Delta folder with delta-rs (no
JVM): a mart written here with delta-rs itself, in the schema dbt gives sales_interactions_enriched; the
tests with the mart dbt builds are tests/e2e/test_slice.py and tests/integration/test_airflow_up.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
from deltalake import write_deltalake

from include.retail_db.lake import INTERACTIONS_MART, sessions_since
from include.settings import Settings
from include.spark_jobs.tables import mart_folder

UTC_US = pa.timestamp("us", tz="UTC")
LINE = pa.struct([
    ("spoken_at_utc", UTC_US), ("transcript_id", pa.string()), ("text", pa.string()), ("confidence", pa.float64()),
    ("word_count", pa.int32()), ("lang_code", pa.string()), ("sentiment", pa.float64()), ("brand", pa.string()),
    ("audio_url", pa.string()),
])  # fmt: skip
SCHEMA = pa.schema([
    ("interaction_id", pa.string()), ("session_id", pa.string()), ("device_id", pa.string()),
    ("store_id", pa.string()), ("started_at_utc", UTC_US), ("ended_at_utc", UTC_US), ("loaded_at_utc", UTC_US),
    ("transcript_lines", pa.list_(LINE)),
])  # fmt: skip
LOADED = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def mart(tmp_path) -> Settings:
    settings = Settings(home=tmp_path)
    rows = [
        {
            "interaction_id": f"store-001-pi-01|s{n}", "session_id": f"s{n}", "device_id": "store-001-pi-01",
            "store_id": "store-001", "started_at_utc": LOADED - timedelta(hours=3, minutes=n),
            "ended_at_utc": LOADED - timedelta(hours=3), "loaded_at_utc": LOADED - timedelta(hours=n),
            "transcript_lines": [{
                "spoken_at_utc": LOADED - timedelta(hours=3), "transcript_id": f"t{n}", "text": "may Nescafe ba kayo?",
                "confidence": 0.91, "word_count": 4, "lang_code": "tl", "sentiment": 0.0, "brand": "Nescafe",
                "audio_url": None,
            }] if n else [],
        }
        for n in range(3)  # loaded now, 1 h and 2 h ago
    ]  # fmt: skip
    write_deltalake(str(mart_folder(settings, INTERACTIONS_MART)), pa.Table.from_pylist(rows, SCHEMA))
    return settings


def test_every_session_with_its_lines_in_naive_utc_as_the_database_keeps_times(tmp_path):
    sessions = {s.session_id: s for s in sessions_since(mart(tmp_path), None)}
    assert sorted(sessions) == ["s0", "s1", "s2"]
    s1 = sessions["s1"]
    assert (s1.store_code, s1.started_at, s1.loaded_at) == (
        "store-001",
        datetime(2026, 11, 2, 8, 59),
        datetime(2026, 11, 2, 11),
    )
    assert [(line.event_id, line.brand, line.word_count, line.audio_url) for line in s1.lines] == [
        ("t1", "Nescafe", 4, None)
    ]
    assert sessions["s0"].lines == ()


def test_only_sessions_loaded_within_the_lookback_of_the_watermark(tmp_path):
    settings = mart(tmp_path)
    # naive UTC, as the database keeps it; the lookback (an hour) takes s1 (loaded 30 min before it), not s2
    watermark = (LOADED - timedelta(minutes=30)).replace(tzinfo=None)
    assert sorted(s.session_id for s in sessions_since(settings, watermark)) == ["s0", "s1"]


def test_before_dbt_built_the_mart_there_is_nothing_to_write(tmp_path):
    assert sessions_since(Settings(home=tmp_path), None) == []
