"""The database side of the RetailAdvisorDB sync, on SQLite and PostgreSQL, without Spark: upserts keyed by
session and event, a rerun that writes nothing, a changed line updated in place, a session of an unknown
store held back (and the watermark with it), and AudioURL written only while the column exists."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from include.retail_db import migrate, sync
from include.retail_db.seed import seed
from tests.sql import rows

T0 = datetime(2026, 11, 2, 9, 0, 0)


def line(n: int, brand: str | None = None, audio: bool = True) -> sync.Line:
    url = f"https://clips.scout.example/d1/e{n}.wav" if audio else None
    return sync.Line(f"e{n}", f"line {n}", 0.9, 2, "en", brand, url)


def session(name: str, store: str = "store-001", lines: tuple[sync.Line, ...] = ()) -> sync.Session:
    return sync.Session("store-001-pi-01", name, store, T0, T0.replace(minute=5), T0.replace(hour=10), lines)


@pytest.fixture
def db(db_url):
    migrate.upgrade(db_url)
    seed(db_url)
    return db_url


def test_sessions_lines_and_brands_once_and_a_rerun_writes_nothing(db):
    sessions = [session("s1", lines=(line(1), line(2, "Alaska"), line(3, "Alaska"))), session("s2")]
    first = sync.write_sessions(db, sessions)
    assert (vars(first.interactions), vars(first.transcripts), vars(first.brands)) == (
        {"inserted": 2, "updated": 0, "unchanged": 0},
        {"inserted": 3, "updated": 0, "unchanged": 0},
        {"inserted": 1, "updated": 0, "unchanged": 0},
    )
    assert rows(db, 'SELECT "Brand", "MentionCount", "ProductID" FROM "SalesInteractionBrands"') == [
        ("Alaska", 2, 4)  # the seed's fourth product is Alaska's
    ]
    assert (
        rows(db, 'SELECT "SessionID", "SessionStart", "SessionEnd" FROM "SalesInteractions" ORDER BY 1')[0][0] == "s1"
    )
    again = sync.write_sessions(db, sessions)
    assert (again.interactions.unchanged, again.transcripts.unchanged, again.brands.unchanged) == (2, 3, 1)
    assert again.interactions.inserted + again.transcripts.inserted + again.brands.inserted == 0
    assert sync.watermark(db) == T0.replace(hour=10)


def test_a_changed_line_is_updated_in_place(db):
    sync.write_sessions(db, [session("s1", lines=(line(1),))])
    (before,) = rows(db, 'SELECT "TranscriptID" FROM "SalesInteractionTranscripts"')
    report = sync.write_sessions(db, [session("s1", lines=(replace(line(1), text="line one, corrected"),))])
    assert vars(report.transcripts) == {"inserted": 0, "updated": 1, "unchanged": 0}
    assert rows(db, 'SELECT "TranscriptID", "TranscriptText" FROM "SalesInteractionTranscripts"') == [
        (before[0], "line one, corrected")
    ]


def test_a_session_of_an_unknown_store_is_held_back_with_the_watermark(db):
    report = sync.write_sessions(db, [session("s1", lines=(line(1),)), session("s9", store="store-404")])
    assert report.skipped == ["store-001-pi-01|s9 (store store-404)"]
    assert report.interactions.inserted == 1  # the rest is written
    assert report.watermark is None and sync.watermark(db) is None  # the next run reads s9 again


def test_without_the_audio_url_column_the_rest_is_written(db):
    migrate.migrate_to(db, "0009")  # AudioURL deprecated: the column is gone, 0011's keys stay
    report = sync.write_sessions(db, [session("s1", lines=(line(1),))])
    assert (report.audio_url, report.transcripts.inserted) == (False, 1)
    assert rows(db, 'SELECT "EventID", "WordCount", "LangCode" FROM "SalesInteractionTranscripts"') == [("e1", 2, "en")]


def test_a_database_without_the_sync_keys_is_refused_naming_the_fix(db_url):
    migrate.upgrade(db_url, "0010")
    with pytest.raises(migrate.MigrationError, match=r"needs revision 0011.*make db-upgrade"):
        sync.write_sessions(db_url, [session("s1")])
