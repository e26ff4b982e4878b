"""Batch-boundary invariance: the synthetic day (its duplicate and malformed lines included) fed to the
medallion in different cuts, an available-now run after each delivery, ends in the same tables as one
delivery, and those equal what plain Python computes from the events here (every gold table row by row,
the alignment pair by pair, the other tables by their counts).

- one delivery (the reference);
- a hand-made cut: a transcript delivered after its store-hour was aggregated, a greeted session's brand
  question after its greeting, the duplicate after its original, a malformed line and a heartbeat later;
- a generated cut (hypothesis, seeded: the same one each run, one example to keep `make test` short):
  every line to one of 2-3 deliveries at random, in a random order within each.

What may differ by design, and is left out: where a row came from (its landing file) and when it was
written; the data-quality counts of `within_watermark` (a rule about arrival: whether an event is older
than what its table held when it arrived).
"""

from __future__ import annotations

import os
import random
import time
from collections import defaultdict
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from include.local import synthetic
from include.settings import Settings
from include.spark_jobs import jobs, sinks
from include.spark_jobs.tables import (
    GOLD_DEVICE_HEALTH_SUMMARY,
    GOLD_DQ_METRICS,
    GOLD_INSIGHT_FEEDBACK,
    GOLD_STORE_INTERACTION_METRICS,
    GOLD_TRANSCRIPT_SENTIMENT,
    SILVER_MULTIMODAL_ALIGNED,
    locate,
)
from include.spark_jobs.trigger import Trigger
from scout_edge.contract import AnnotatedEvent, Heartbeat, InsightFeedback, Transcript, VisualDetection
from tests.expected import table_counts
from tests.expected_marts import LINES
from tests.lake_snapshot import snapshot

pytestmark = pytest.mark.spark

DAY = synthetic.generate()
ARRIVAL_ONLY = ("within_watermark",)
GREETINGS = {"good morning, welcome to the store", "hello, welcome", "good afternoon, how can i help you"}
FUSION_WINDOW_S = 120  # a brand question at most this long after the greeting completes the session
Line = tuple[str, str, object]  # (hub, the line as landed, the event or None for a malformed line)


def every_line(day: synthetic.SyntheticDay) -> list[Line]:
    lines = [(e.hub, e.to_json(), e) for e in [*day.events, *day.duplicates]]
    return lines + [(hub, bad, None) for hub, bad_lines in day.bad_lines.items() for bad in bad_lines]


def run_in_cuts(spark, root: Path, deliveries: list[list[Line]]) -> Path:
    """A fresh home; each delivery landed (a file per hub, each newer than the last) and taken in by an
    available-now run of the medallion before the next lands."""
    root.mkdir(parents=True)
    (root / "jars").symlink_to(Settings().jars_dir.resolve(), target_is_directory=True)
    settings = Settings(home=root)
    arrival = time.time() - 10_000
    for n, delivery in enumerate(deliveries):
        by_hub: dict[str, list[str]] = defaultdict(list)
        for hub, text, _ in delivery:
            by_hub[hub].append(text)
        for hub, texts in by_hub.items():
            path = settings.landing_dir / hub / f"delivery-{n:02d}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(texts) + "\n")
            arrival += 1
            os.utime(path, (arrival, arrival))
        jobs.run("medallion", spark, settings, Trigger())
    return root


# ---- what plain Python says the tables hold ---------------------------------------------------------------


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


# ---- the cuts ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference(spark, tmp_path_factory):
    """The day in one delivery: its home and tables."""
    home = run_in_cuts(spark, tmp_path_factory.mktemp("cuts") / "one", [every_line(DAY)])
    return home, snapshot(spark, home, same_files=False, dq_ignore=ARRIVAL_ONLY)


def test_one_delivery_equals_the_computation_from_the_events(spark, reference):
    home, _ = reference
    settings = Settings(home=home)
    counts = sinks.table_counts(spark, settings)
    assert counts == table_counts(synthetic.expected_summary(DAY))

    got = rows_by_key(spark, settings, GOLD_STORE_INTERACTION_METRICS, ("store_id", "hour_start"))
    for row in got.values():
        row["confidence_sum"] = _round(row["confidence_sum"], 6)
    assert got == store_hours(DAY)
    assert rows_by_key(spark, settings, GOLD_DEVICE_HEALTH_SUMMARY, ("device_id",)) == device_health(DAY)
    assert rows_by_key(spark, settings, GOLD_INSIGHT_FEEDBACK, ("store_id", "insight_type")) == insight_feedback(DAY)
    assert rows_by_key(spark, settings, GOLD_TRANSCRIPT_SENTIMENT, ("store_id", "brand", "day")) == sentiment(DAY)
    pairs = sinks.read_table(spark, locate(settings, SILVER_MULTIMODAL_ALIGNED)).collect()
    assert {(r.transcript_event_id, r.visual_event_id) for r in pairs} == aligned_pairs(DAY, settings.align_window_s)

    # The injected faults, as the data-quality table counts them: the day's two malformed transcripts (one
    # cut off mid-JSON, one whose store_id is null) and its one duplicate.
    assert [len(bad) for bad in DAY.bad_lines.values()] == [2] and len(DAY.duplicates) == 1
    failed: dict[tuple[str, str], int] = defaultdict(int)
    for r in sinks.read_table(spark, locate(settings, GOLD_DQ_METRICS)).collect():
        failed[(r.table, r.expectation)] += r.failed
    assert failed[("silver_transcripts", "parses_against_contract")] == 1
    assert failed[("silver_transcripts", "has_device_and_store")] == 2
    assert failed[("silver_transcripts", "unique_event_id")] == 1
    others = {k: n for k, n in failed.items() if k[0] != "silver_transcripts" and k[1] != "within_watermark"}
    assert set(others.values()) == {0}  # nothing wrong elsewhere


def adversarial_cut(day: synthetic.SyntheticDay) -> list[list[Line]]:
    """Everything but a few lines first, then those: the last transcript of the busiest store-hour (its
    hour already aggregated), a greeted session's brand question (its greeting already fused against), the
    duplicate (its original already in silver), a malformed line and a heartbeat (the device's health
    already summarized)."""
    lines = every_line(day)
    transcripts = [e for e in day.events if isinstance(e, Transcript)]
    busiest = max(
        {(t.store_id, t.ts[:13]) for t in transcripts},
        key=lambda k: sum((t.store_id, t.ts[:13]) == k for t in transcripts),
    )
    late = max((t for t in transcripts if (t.store_id, t.ts[:13]) == busiest), key=lambda t: t.ts)
    question = next(iter(fused_sessions(day).values()))
    held = {late.event_id, question.event_id}
    duplicate = day.duplicates[0]
    bad = next(line for line in lines if line[2] is None)
    beat = next(e for e in day.events if isinstance(e, Heartbeat))

    def second(line: Line) -> bool:
        event = line[2]
        if event is None:
            return line is bad
        return event.event_id in held or event is duplicate or event is beat

    return [[line for line in lines if not second(line)], [line for line in lines if second(line)]]


def test_a_late_event_a_split_session_and_a_duplicate_across_batches_change_nothing(spark, reference, tmp_path):
    _, expected = reference
    home = run_in_cuts(spark, tmp_path / "adversarial", adversarial_cut(DAY))
    assert snapshot(spark, home, same_files=False, dq_ignore=ARRIVAL_ONLY) == expected


@hypothesis_settings(
    max_examples=1,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32 - 1), deliveries=st.integers(2, 3))
def test_random_cuts_end_in_the_same_tables(spark, reference, tmp_path_factory, seed, deliveries):
    _, expected = reference
    rng = random.Random(seed)
    cut: list[list[Line]] = [[] for _ in range(deliveries)]
    for line in every_line(DAY):
        cut[rng.randrange(deliveries)].append(line)
    for delivery in cut:
        rng.shuffle(delivery)
    home = run_in_cuts(spark, tmp_path_factory.mktemp("random") / "home", cut)
    assert snapshot(spark, home, same_files=False, dq_ignore=ARRIVAL_ONLY) == expected
