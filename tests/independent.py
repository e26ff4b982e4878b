"""What the lakehouse must hold, computed in plain Python from the events themselves: every gold table row
by row, and the alignment pair by pair. Written here from the contract and the rules as documented (the
greetings, the fusion window, VADER's own score), never by calling the pipeline's helpers or patterns, so
a test comparing the two can catch the pipeline being wrong, not only being different from itself."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from include.local import synthetic
from include.settings import Settings
from include.spark_jobs import sinks
from include.spark_jobs.tables import (
    BRONZE_TABLES,
    GOLD_DEVICE_HEALTH_SUMMARY,
    GOLD_INSIGHT_FEEDBACK,
    GOLD_STORE_INTERACTION_METRICS,
    GOLD_TRANSCRIPT_SENTIMENT,
    SILVER_ANNOTATED_EVENTS,
    SILVER_DEVICE_HEARTBEAT,
    SILVER_INSIGHT_FEEDBACK,
    SILVER_MULTIMODAL_ALIGNED,
    SILVER_TRANSCRIPTS,
    SILVER_VISUAL_DETECTIONS,
    locate,
)
from scout_edge.contract import AnnotatedEvent, Heartbeat, InsightFeedback, Transcript, VisualDetection
from tests.expected_marts import LINES

GREETINGS = {"good morning, welcome to the store", "hello, welcome", "good afternoon, how can i help you"}
FUSION_WINDOW_S = 120  # a brand question at most this long after the greeting completes the session


def _at(ts: str) -> datetime:
    return datetime.fromisoformat(ts).astimezone(UTC).replace(tzinfo=None)


def _round(value: float, places: int) -> float:
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP))


def fused_sessions(day: synthetic.SyntheticDay) -> dict[tuple[str, str], Transcript]:
    """(device, session) -> the brand question that completed "Greeted + Asked": a face at the counter in
    the session, a greeting, then a question naming a brand within the window (the earliest such)."""
    at_counter = {
        (e.device_id, e.session_id)
        for e in day.events
        if isinstance(e, VisualDetection) and e.zone_id == "counter" and e.faces > 0 and e.session_id
    }
    said: dict[tuple[str, str], list[Transcript]] = defaultdict(list)
    for e in day.events:
        if isinstance(e, Transcript) and (e.device_id, e.session_id) in at_counter:
            said[(e.device_id, e.session_id)].append(e)
    fused = {}
    for session, lines in said.items():
        greeted = [_at(t.ts) for t in lines if t.text in GREETINGS]
        if not greeted:
            continue
        asked = [
            t
            for t in lines
            if LINES[t.text][0]
            and LINES[t.text][1]
            and 0 <= (_at(t.ts) - min(greeted)).total_seconds() <= FUSION_WINDOW_S
        ]
        if asked:
            fused[session] = min(asked, key=lambda t: (t.ts, t.event_id))
    return fused


def store_hours(day: synthetic.SyntheticDay) -> dict[tuple[str, datetime], dict]:
    """gold_store_interaction_metrics, computed from the events."""
    hour = lambda ts: _at(ts).replace(minute=0, second=0, microsecond=0)  # noqa: E731
    said: dict[tuple[str, datetime], list[Transcript]] = defaultdict(list)
    visits: dict[tuple[str, datetime], list[float]] = defaultdict(list)
    greeted_and_asked: dict[tuple[str, datetime], set] = defaultdict(set)
    for e in day.events:
        if isinstance(e, Transcript):
            said[(e.store_id, hour(e.ts))].append(e)
        elif isinstance(e, VisualDetection) and e.faces == 0 and e.people == 0 and e.dwell_s is not None:
            visits[(e.store_id, hour(e.ts))].append(e.dwell_s)
        elif isinstance(e, AnnotatedEvent) and e.label == "Greeted + Asked":
            greeted_and_asked[(e.store_id, hour(e.ts))].add((e.device_id, e.session_id))
    for session, question in fused_sessions(day).items():
        greeted_and_asked[(question.store_id, hour(question.ts))].add(session)
    rows = {}
    for key, lines in said.items():
        dwell = visits.get(key, [])
        rows[key] = {
            "interactions": len({t.session_id for t in lines}),
            "transcripts": len(lines),
            "active_devices": len({t.device_id for t in lines}),
            "words": sum(t.word_count for t in lines),
            "confidence_sum": _round(sum(t.confidence for t in lines), 6),
            "greetings": sum(t.text in GREETINGS for t in lines),
            "questions": sum(LINES[t.text][0] for t in lines),
            "brand_mentions": sum(LINES[t.text][1] is not None for t in lines),
            "visits": len(dwell),
            "dwell_s_total": float(sum(dwell)),
            "avg_dwell_s": _round(sum(dwell) / len(dwell), 1) if dwell else None,
            "greeted_and_asked": len(greeted_and_asked.get(key, ())),
            "last_event_ts": max(_at(t.ts) for t in lines),
        }
    return rows


def device_health(day: synthetic.SyntheticDay) -> dict[tuple, dict]:
    """gold_device_health_summary: a device's latest state and extremes; offline an hour behind the fleet."""
    beats: dict[str, list[Heartbeat]] = defaultdict(list)
    for e in day.events:
        if isinstance(e, Heartbeat):
            beats[e.device_id].append(e)
    fleet_latest = max(_at(b.ts) for bs in beats.values() for b in bs)
    rows = {}
    for device, bs in beats.items():
        latest = max(bs, key=lambda b: b.ts)
        rows[(device,)] = {
            "store_id": latest.store_id,
            "location": latest.location,
            "client_version": latest.client_version,
            "first_seen": min(_at(b.ts) for b in bs),
            "last_seen": _at(latest.ts),
            "heartbeats": len(bs),
            "uptime_s": latest.uptime_s,
            "avg_cpu_load": _round(sum(b.cpu_load for b in bs) / len(bs), 6),
            "max_cpu_temp_c": max(b.cpu_temp_c for b in bs if b.cpu_temp_c is not None),
            "max_spool_depth": max(b.spool_depth for b in bs),
            "offline": (fleet_latest - _at(latest.ts)).total_seconds() > 3600,
        }
    return rows


def insight_feedback(day: synthetic.SyntheticDay) -> dict[tuple, dict]:
    """gold_insight_feedback: per store and insight type, how often the advisors took the insight."""
    given: dict[tuple[str, str], list[InsightFeedback]] = defaultdict(list)
    for e in day.events:
        if isinstance(e, InsightFeedback):
            given[(e.store_id, e.insight_type)].append(e)
    return {
        key: {
            "taken": sum(f.action == "taken" for f in fs),
            "dismissed": sum(f.action == "dismissed" for f in fs),
            "feedback": len(fs),
            "taken_rate": _round(sum(f.action == "taken" for f in fs) / len(fs), 4),
            "last_feedback_ts": max(_at(f.ts) for f in fs),
        }
        for key, fs in given.items()
    }


def sentiment(day: synthetic.SyntheticDay) -> dict[tuple, dict]:
    """gold_transcript_sentiment_analysis: VADER's own compound score per transcript, per store, the brand
    named (by hand, LINES; "(none)") and UTC day."""
    vader = SentimentIntensityAnalyzer()
    scores: dict[tuple, list[float]] = defaultdict(list)
    for t in (e for e in day.events if isinstance(e, Transcript)):
        key = (t.store_id, LINES[t.text][1] or "(none)", _at(t.ts).date())
        scores[key].append(vader.polarity_scores(t.text)["compound"])
    return {
        key: {
            "transcripts": len(said),
            "avg_compound": _round(sum(said) / len(said), 4),
            "positive": sum(c >= 0.05 for c in said),
            "negative": sum(c <= -0.05 for c in said),
            "neutral": sum(-0.05 < c < 0.05 for c in said),
        }
        for key, said in scores.items()
    }


def aligned_pairs(day: synthetic.SyntheticDay, window_s: int) -> set[tuple[str, str]]:
    """silver_multimodal_aligned: (transcript, detection) of one device at most window_s apart."""
    seen = [e for e in day.events if isinstance(e, VisualDetection)]
    return {
        (t.event_id, v.event_id)
        for t in day.events
        if isinstance(t, Transcript)
        for v in seen
        if v.device_id == t.device_id and abs((_at(v.ts) - _at(t.ts)).total_seconds()) <= window_s
    }


def rows_by_key(spark, settings: Settings, table: str, key: tuple[str, ...]) -> dict[tuple, dict]:
    rows = sinks.read_table(spark, locate(settings, table)).drop("updated_at").collect()
    return {tuple(r[k] for k in key): {k: v for k, v in r.asDict().items() if k not in key} for r in rows}


def assert_gold_and_alignment_as_computed(spark, settings: Settings, day: synthetic.SyntheticDay) -> None:
    """Every gold table of the lake equals the computation from ``day``'s events, row by row and every
    column, and so does the alignment, pair by pair."""
    got = rows_by_key(spark, settings, GOLD_STORE_INTERACTION_METRICS, ("store_id", "hour_start"))
    for row in got.values():
        row["confidence_sum"] = _round(row["confidence_sum"], 6)
    assert got == store_hours(day)
    assert rows_by_key(spark, settings, GOLD_DEVICE_HEALTH_SUMMARY, ("device_id",)) == device_health(day)
    assert rows_by_key(spark, settings, GOLD_INSIGHT_FEEDBACK, ("store_id", "insight_type")) == insight_feedback(day)
    assert rows_by_key(spark, settings, GOLD_TRANSCRIPT_SENTIMENT, ("store_id", "brand", "day")) == sentiment(day)
    pairs = sinks.read_table(spark, locate(settings, SILVER_MULTIMODAL_ALIGNED)).collect()
    assert {(r.transcript_event_id, r.visual_event_id) for r in pairs} == aligned_pairs(day, settings.align_window_s)


SILVER_OF_HUB = {  # the silver table each hub's valid events go to (the design's table list)
    Transcript.hub: SILVER_TRANSCRIPTS,
    VisualDetection.hub: SILVER_VISUAL_DETECTIONS,
    AnnotatedEvent.hub: SILVER_ANNOTATED_EVENTS,
    InsightFeedback.hub: SILVER_INSIGHT_FEEDBACK,
    Heartbeat.hub: SILVER_DEVICE_HEARTBEAT,
}
TIMESTAMPS = ("ts", "last_publish_ts")


def _fused_event_id(device_id: str, session_id: str) -> str:
    """The documented id of a fused "Greeted + Asked": sha-256 of "fused:<label>:<device>:<session>",
    UUID-shaped (8-4-4-4-12 of its hex digest)."""
    h = hashlib.sha256(f"fused:Greeted + Asked:{device_id}:{session_id}".encode()).hexdigest()
    return "-".join((h[:8], h[8:12], h[12:16], h[16:20], h[20:32]))


def silver_rows(day: synthetic.SyntheticDay) -> dict[str, dict[str, dict]]:
    """table -> event_id -> the fields silver must hold for it, as the device sent them: every event once
    (its duplicates are the same event), plus the sessions fused here from speech and vision."""
    tables: dict[str, dict[str, dict]] = defaultdict(dict)
    for e in [*day.events, *day.duplicates]:
        fields = {k: v for k, v in e.to_dict().items() if k != "event_type"}
        if isinstance(e, AnnotatedEvent):
            fields["origin"] = "device"
        tables[SILVER_OF_HUB[e.hub]][e.event_id] = fields
    for (device, session), question in fused_sessions(day).items():
        event_id = _fused_event_id(device, session)
        tables[SILVER_ANNOTATED_EVENTS][event_id] = {
            "event_id": event_id,
            "device_id": device,
            "store_id": question.store_id,
            "session_id": session,
            "ts": question.ts,
            "label": "Greeted + Asked",
            "zone_id": "counter",
            "brand": LINES[question.text][1],
            "schema_version": 1,
            "origin": "fused",
        }
    for rows in tables.values():
        for fields in rows.values():
            for name in TIMESTAMPS:
                if fields.get(name) is not None:
                    fields[name] = _at(fields[name])
    return {table: dict(tables[table]) for table in SILVER_OF_HUB.values()}


# A transcript line's drop rules as the design states them (warn rules keep the row): the reasons a
# quarantined line carries, in the order they are declared.
TRANSCRIPT_DROP_RULES = (
    ("parses_against_contract", lambda e, parsed, raw: parsed),
    ("payload_within_limit", lambda e, parsed, raw: len(raw.encode()) <= 64 * 1024),
    ("is_transcript", lambda e, parsed, raw: e.get("event_type") == "transcript"),
    ("known_schema_version", lambda e, parsed, raw: e.get("schema_version") == 1),
    ("has_event_id", lambda e, parsed, raw: e.get("event_id") not in (None, "")),
    ("has_device_and_store", lambda e, parsed, raw: e.get("device_id") is not None and e.get("store_id") is not None),
    ("has_timestamp", lambda e, parsed, raw: e.get("ts") is not None),
    ("non_negative_word_count", lambda e, parsed, raw: e.get("word_count") is not None and e["word_count"] >= 0),
)


def quarantined(day: synthetic.SyntheticDay) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """quarantine table -> sorted (payload verbatim, the rules it broke) of the day's bad lines. A line
    that is not JSON has no fields at all."""
    expected: dict[str, list] = {f"{table}_quarantine": [] for table in SILVER_OF_HUB.values()}
    for hub, lines in day.bad_lines.items():
        assert hub == Transcript.hub, "the rules above are a transcript's"
        for raw in lines:
            try:
                event, parsed = json.loads(raw), True
            except json.JSONDecodeError:
                event, parsed = {}, False
            reasons = tuple(name for name, ok in TRANSCRIPT_DROP_RULES if not ok(event, parsed, raw))
            expected[f"{SILVER_OF_HUB[hub]}_quarantine"].append((raw, reasons))
    return {table: sorted(rows) for table, rows in expected.items()}


def assert_silver_and_quarantine_as_computed(spark, settings: Settings, day: synthetic.SyntheticDay) -> None:
    """Every silver table holds exactly the day's events once (each field as sent; fused sessions as the
    rules make them), and every quarantine table exactly the day's bad lines with the rules they broke."""
    for table, expected in silver_rows(day).items():
        rows = sinks.read_table(spark, locate(settings, table)).collect()
        got = {r.event_id: {k: r[k] for k in expected.get(r.event_id, {})} for r in rows}
        assert len(rows) == len(got), f"{table}: an event_id twice"
        assert set(got) == set(expected), f"{table}: events missing or extra"
        assert got == expected, table
    assert set(BRONZE_TABLES) == set(SILVER_OF_HUB)
    for table, expected in quarantined(day).items():
        rows = sinks.read_table(spark, locate(settings, table)).collect()
        assert sorted((r.payload, tuple(r.reasons)) for r in rows) == expected, table
