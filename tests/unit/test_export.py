from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from include.dashboard import export


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
