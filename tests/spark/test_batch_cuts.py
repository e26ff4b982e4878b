"""Batch-boundary invariance: the synthetic day (its duplicate and malformed lines included) fed to the
medallion in different cuts, an available-now run after each delivery, ends in the same tables as one
delivery, and those equal what plain Python computes from the events (tests/independent.py: every gold
table row by row, the alignment pair by pair, every silver table event by event and field by field, every
quarantine table line by line with its reasons).

- one delivery (the reference);
- a hand-made cut: a transcript delivered after its store-hour was aggregated, a greeted session's brand
  question after its greeting, the duplicate after its original, a malformed line and a heartbeat later;
- generated cuts (hypothesis searches: several examples a run, different ones each run; a failure prints
  the seed and the deliveries to replay): every line to one of 2-4 deliveries at random, in a random
  order within each.

What may differ by design, and is left out: where a row came from (its landing file) and when it was
written; the data-quality counts of `within_watermark` (a rule about arrival: whether an event is older
than what its table held when it arrived).
"""

from __future__ import annotations

import os
import random
import time
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from include.local import synthetic
from include.settings import Settings
from include.spark_jobs import jobs, sinks
from include.spark_jobs.tables import GOLD_DQ_METRICS, locate
from include.spark_jobs.trigger import Trigger
from scout_edge.contract import Heartbeat, Transcript
from tests.expected import table_counts
from tests.independent import (
    assert_gold_and_alignment_as_computed,
    assert_silver_and_quarantine_as_computed,
    fused_sessions,
)
from tests.lake_snapshot import snapshot

pytestmark = pytest.mark.spark

DAY = synthetic.generate()
ARRIVAL_ONLY = ("within_watermark",)
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


@pytest.fixture(scope="module")
def reference(spark, tmp_path_factory):
    """The day in one delivery: its home and tables."""
    home = run_in_cuts(spark, tmp_path_factory.mktemp("cuts") / "one", [every_line(DAY)])
    return home, snapshot(spark, home, dq_ignore=ARRIVAL_ONLY)


def test_one_delivery_equals_the_computation_from_the_events(spark, reference):
    home, _ = reference
    settings = Settings(home=home)
    counts = sinks.table_counts(spark, settings)
    assert counts == table_counts(synthetic.expected_summary(DAY))

    assert_gold_and_alignment_as_computed(spark, settings, DAY)
    assert_silver_and_quarantine_as_computed(spark, settings, DAY)

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
    assert snapshot(spark, home, dq_ignore=ARRIVAL_ONLY) == expected
    assert_silver_and_quarantine_as_computed(spark, Settings(home=home), DAY)


@hypothesis_settings(
    max_examples=4,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32 - 1), deliveries=st.integers(2, 4))
def test_random_cuts_end_in_the_same_tables(spark, reference, tmp_path_factory, seed, deliveries):
    _, expected = reference
    rng = random.Random(seed)
    cut: list[list[Line]] = [[] for _ in range(deliveries)]
    for line in every_line(DAY):
        cut[rng.randrange(deliveries)].append(line)
    for delivery in cut:
        rng.shuffle(delivery)
    home = run_in_cuts(spark, tmp_path_factory.mktemp("random") / "home", cut)
    assert snapshot(spark, home, dq_ignore=ARRIVAL_ONLY) == expected
    assert_silver_and_quarantine_as_computed(spark, Settings(home=home), DAY)
