"""The edge fleet simulator's output, faults and all, through the edge file transport and the medallion.

Every table must hold exactly what an independent Python computation of the same input says, and the
data-quality table must count exactly the faults the simulator injected: malformed lines quarantined,
duplicates deduplicated, late events (hours behind, arriving after the rest) kept and flagged, and not
joined with speech or vision events a watermark away.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import pytest
from pyspark.sql import functions as F

from include.local import synthetic
from include.spark_jobs import jobs, silver, sinks
from include.spark_jobs.tables import GOLD_DQ_METRICS, locate
from include.spark_jobs.trigger import Trigger
from scout_edge.contract import ContractError, parse_event
from scout_edge.simulator import Fleet, FleetSpec
from scout_edge.transports import FileTransport
from tests.expected import table_counts

pytestmark = pytest.mark.spark

SPEC = FleetSpec(duration_s=1800, rate=2, seed=5, faults=("malformed", "duplicates", "late"), fault_share=0.03)


def as_day(records) -> tuple[synthetic.SyntheticDay, set[str]]:
    """The simulator's records as the synthetic day shape expected_summary understands."""
    day = synthetic.SyntheticDay(bad_lines=defaultdict(list))
    seen, late = set(), set()
    for r in records:
        try:
            event = parse_event(r.payload)
        except ContractError:
            day.bad_lines[r.hub].append(r.payload)
            continue
        if event.event_id in seen:
            day.duplicates.append(event)
            continue
        seen.add(event.event_id)
        day.events.append(event)
        if datetime.fromisoformat(event.ts) < SPEC.start:
            late.add(event.event_id)
    return day, late


def run_medallion(spark, settings) -> None:
    for layer in jobs.LAYERS:
        jobs.run(layer.name, spark, settings, Trigger())


def test_simulated_fleet_with_faults_lands_exactly(spark, lake):
    fleet = Fleet(SPEC)
    records = list(fleet.records())
    injected = fleet.injected
    assert injected.malformed and injected.duplicates and injected.late
    # The late events come last (the simulator holds them back): land them in a second delivery.
    on_time = [r for r in records if not (r.payload.endswith("}") and parse_event(r.payload).ts < "2026-11-02T09")]
    late = records[len(on_time) :]
    assert len(late) == injected.late and records[: len(on_time)] == on_time

    transport = FileTransport(lake.landing_dir, "sim-1", rotate_bytes=64 * 1024)
    transport.send(on_time)
    transport.close()
    run_medallion(spark, lake)
    transport = FileTransport(lake.landing_dir, "sim-2")
    transport.send(late)
    transport.close()
    run_medallion(spark, lake)

    day, late_ids = as_day(records)
    summary = synthetic.expected_summary(day)
    # Alignment is exact whenever events arrive, late ones included. Fusion reads a session's rows within a
    # watermark of the batch's events: a late event (hours behind the rest of its session) cannot
    # complete a "Greeted + Asked".
    punctual = synthetic.expected_summary(
        synthetic.SyntheticDay(events=[e for e in day.events if e.event_id not in late_ids])
    )
    summary["fused_sessions"] = punctual["fused_sessions"]
    expected = table_counts(summary)
    for table in silver.SILVER_TABLES:  # every hub has its faults here, not only the transcripts
        expected[table.name] = sum(isinstance(e, table.event) for e in day.events)
        expected[table.quarantine] = len(day.bad_lines[table.event.hub])
    expected["silver_annotated_events"] += summary["fused_sessions"]
    actual = sinks.table_counts(spark, lake)
    expected.pop(GOLD_DQ_METRICS)  # one row per rule per micro-batch: checked by totals below
    assert {t: actual[t] for t in expected} == expected

    dq = (
        spark.read.format("delta")
        .load(str(locate(lake, GOLD_DQ_METRICS).path))
        .groupBy("expectation")
        .agg(F.sum("failed").alias("failed"), F.sum("dropped").alias("dropped"))
    )
    totals = {r.expectation: (r.failed, r.dropped) for r in dq.collect()}
    assert totals["parses_against_contract"] == (injected.malformed, injected.malformed)
    assert totals["unique_event_id"] == (injected.duplicates, injected.duplicates)
    assert totals["within_watermark"] == (injected.late, 0)  # kept in silver, counted as late
