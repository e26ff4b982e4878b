from __future__ import annotations

import json
import stat
from datetime import UTC, date, datetime

import pytest

from include.dashboard import export
from include.errors import ExportInvalid
from include.settings import Settings

NOW = datetime(2026, 11, 3, 6, 0, tzinfo=UTC)


def rows():
    base = {"words": 10, "avg_confidence": 0.8, "active_hours": 2}
    return [
        {"store_id": "s2", "metric_date": date(2026, 11, 2), "interactions": 1, "transcripts": 2, **base},
        {"store_id": "s1", "metric_date": date(2026, 11, 3), "interactions": 3, "transcripts": 4, **base},
        {"store_id": "s1", "metric_date": date(2026, 11, 2), "interactions": 5, "transcripts": 6, **base},
    ]


def test_dashboard_groups_by_store_with_days_in_order():
    doc = export.build_dashboard(rows(), datetime(2026, 11, 3, 6, 0, tzinfo=UTC))
    assert doc["generated_at"] == "2026-11-03T06:00:00Z"
    assert [s["store_id"] for s in doc["stores"]] == ["s1", "s2"]
    assert doc["stores"][0]["days"] == [
        {
            "date": "2026-11-02",
            "interactions": 5,
            "transcripts": 6,
            "words": 10,
            "avg_confidence": 0.8,
            "active_hours": 2,
        },
        {
            "date": "2026-11-03",
            "interactions": 3,
            "transcripts": 4,
            "words": 10,
            "avg_confidence": 0.8,
            "active_hours": 2,
        },
    ]
    assert doc["totals"] == {"stores": 2, "interactions": 9, "transcripts": 12}


def test_atomic_write_replaces_the_file_whole(tmp_path):
    path = tmp_path / "out" / "d.json"
    export.write_json_atomic(path, {"v": 1})
    export.write_json_atomic(path, {"v": 2})
    assert json.loads(path.read_text()) == {"v": 2}
    assert [p.name for p in path.parent.iterdir()] == ["d.json"]


def test_a_failed_write_leaves_the_previous_export_and_no_temp_file(tmp_path):
    path = tmp_path / "d.json"
    export.write_json_atomic(path, {"v": 1})
    with pytest.raises(TypeError):
        export.write_json_atomic(path, {"v": object()})  # not serialisable: fails half-way through
    assert json.loads(path.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["d.json"]


def mart_rows() -> dict[str, list[dict]]:
    """A row or two per mart, as Spark's Row.asDict() gives them (dates, datetimes, "a, b" lists)."""
    day = date(2026, 11, 2)
    return {
        "store_daily_metrics": rows(),
        "brand_performance_metrics": [
            {"store_id": "s1", "metric_date": day, "brand": "Nescafe", "mentions": 2, "questions": 1,
             "avg_sentiment": 0.25, "positive_mentions": 1, "negative_mentions": 0, "share_of_mentions": 1.0},
        ],
        "device_performance_metrics": [
            {"device_id": "d1", "metric_date": day, "store_id": "s1", "client_version": "0.1.0", "heartbeats": 19,
             "max_uptime_s": 32400.0, "offline_s": 0, "max_spool_depth": 0, "events": 30, "transcripts": 20,
             "detections": 10, "avg_transcript_confidence": 0.87},
        ],
        "customer_session_metrics": [
            {"store_id": "s1", "device_id": "d1", "session_id": "b", "session_date": day,
             "started_at_utc": datetime(2026, 11, 2, 10, 0), "ended_at_utc": datetime(2026, 11, 2, 10, 5),
             "duration_s": 300, "zones": 1, "dwell_s": 300.0, "transcripts": 3, "questions": 2, "words": 14,
             "brands_asked": "Alaska, Nescafe", "greeted": True, "greeted_and_asked": True},
            {"store_id": "s1", "device_id": "d1", "session_id": "a", "session_date": day,
             "started_at_utc": datetime(2026, 11, 2, 9, 0), "ended_at_utc": datetime(2026, 11, 2, 9, 0),
             "duration_s": 0, "zones": 1, "dwell_s": None, "transcripts": 0, "questions": 0, "words": 0,
             "brands_asked": "", "greeted": False, "greeted_and_asked": False},
        ],
        "sales_interactions_enriched": [
            {"interaction_id": "d1|b", "store_id": "s1", "store_name": "Store One", "city": "Makati",
             "store_registered": True, "device_id": "d1", "device_location": "s1/entrance",
             "device_registered": True, "zone_id": "counter", "interaction_date": day,
             "started_at_utc": datetime(2026, 11, 2, 10, 0), "ended_at_utc": datetime(2026, 11, 2, 10, 5),
             "duration_s": 300, "dwell_s": 300.0, "transcripts": 1, "words": 4, "avg_sentiment": 0.0,
             "brands": "Alaska", "categories": "Dairy", "greeted": False, "asked": True, "greeted_and_asked": False,
             "transcript_lines": [
                 {"spoken_at_utc": datetime(2026, 11, 2, 10, 1), "transcript_id": "t1", "text": "do you have alaska",
                  "confidence": 0.9, "word_count": 4, "lang_code": "en", "sentiment": 0.0, "brand": "Alaska",
                  "audio_url": "https://clips.scout.example/d1/t1.wav"},
             ]},
        ],
    }  # fmt: skip


def test_every_export_is_published_world_readable_and_listed_in_the_index(tmp_path):
    settings = Settings(home=tmp_path)
    index = json.loads(export.publish_all(settings, mart_rows().__getitem__, NOW).read_text())
    assert [(e["name"], e["file"], e["rows"], e["built_at"]) for e in index["exports"]] == [
        ("store_daily_metrics", "store_daily_metrics.json", 3, "2026-11-03T06:00:00Z"),
        ("brand_performance_metrics", "brand_performance_metrics.json", 1, "2026-11-03T06:00:00Z"),
        ("device_performance_metrics", "device_performance_metrics.json", 1, "2026-11-03T06:00:00Z"),
        ("customer_session_metrics", "customer_session_metrics.json", 2, "2026-11-03T06:00:00Z"),
        ("sales_interactions_enriched", "sales_interactions_enriched.json", 1, "2026-11-03T06:00:00Z"),
    ]
    for entry in index["exports"]:
        path = settings.export_dir / entry["file"]
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path  # a web server as another user reads it
        assert json.loads(path.read_text())["version"] == entry["version"] == 1
    sessions = json.loads((settings.export_dir / "customer_session_metrics.json").read_text())["rows"]
    assert [(s["session_id"], s["started_at_utc"], s["brands_asked"]) for s in sessions] == [
        ("a", "2026-11-02T09:00:00Z", []),
        ("b", "2026-11-02T10:00:00Z", ["Alaska", "Nescafe"]),
    ]


def test_an_interaction_carries_its_lines_with_their_clips(tmp_path):
    settings = Settings(home=tmp_path)
    export.publish_all(settings, mart_rows().__getitem__, NOW)
    (row,) = json.loads((settings.export_dir / "sales_interactions_enriched.json").read_text())["rows"]
    assert (row["brands"], row["interaction_date"]) == (["Alaska"], "2026-11-02")
    assert row["transcript_lines"] == [
        {"spoken_at_utc": "2026-11-02T10:01:00Z", "transcript_id": "t1", "text": "do you have alaska",
         "confidence": 0.9, "word_count": 4, "lang_code": "en", "sentiment": 0.0, "brand": "Alaska",
         "audio_url": "https://clips.scout.example/d1/t1.wav"},
    ]  # fmt: skip
    broken = mart_rows()
    broken["sales_interactions_enriched"][0]["transcript_lines"][0]["audio_url"] = ""
    with pytest.raises(ExportInvalid, match=r"at rows/0/transcript_lines/0/audio_url"):
        export.publish_all(settings, broken.__getitem__, NOW)


def test_a_document_that_breaks_its_schema_is_refused_and_the_previous_exports_stay(tmp_path):
    settings = Settings(home=tmp_path)
    export.publish_all(settings, mart_rows().__getitem__, NOW)
    before = {p.name: p.read_text() for p in settings.export_dir.iterdir()}
    broken = mart_rows()
    broken["device_performance_metrics"][0]["heartbeats"] = -1
    with pytest.raises(ExportInvalid, match=r"device_performance_metrics v1 .* at rows/0/heartbeats: -1 is less"):
        export.publish_all(settings, broken.__getitem__, datetime(2026, 11, 4, tzinfo=UTC))
    assert {p.name: p.read_text() for p in settings.export_dir.iterdir()} == before


def test_a_row_missing_a_column_is_named_in_the_refusal():
    document = export.EXPORTS_BY_NAME["brand_performance_metrics"].document(
        mart_rows()["brand_performance_metrics"], NOW
    )
    del document["rows"][0]["share_of_mentions"]
    with pytest.raises(ExportInvalid, match="at rows/0: 'share_of_mentions' is a required property"):
        export.validate(export.EXPORTS_BY_NAME["brand_performance_metrics"], document)
