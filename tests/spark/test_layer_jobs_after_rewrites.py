"""The layer jobs stream each other's tables: a commit that rewrites rows of one (the AudioURL rollback
clearing silver's values, the rollback repair's DELETEs) must not stop the job that streams it. Delta's
streaming source stops at such a commit for good unless told to skip it."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from include.atomic import write_atomic
from include.local import synthetic
from include.rollback.pipeline import apply_to_silver
from include.spark_jobs import jobs, sinks
from include.spark_jobs.tables import BRONZE_TABLES, GOLD_STORE_INTERACTION_METRICS, SILVER_TRANSCRIPTS, locate
from include.spark_jobs.trigger import Trigger
from scout_edge.contract import Transcript

pytestmark = pytest.mark.spark


def run_layers(spark, settings) -> None:
    for layer in jobs.LAYERS:
        jobs.run(layer.name, spark, settings, Trigger())


def land(settings, name: str, events: list[Transcript]) -> None:
    """A device file of ``events`` in the landing zone (as the edge file transport writes one)."""
    write_atomic(settings.landing_dir / Transcript.hub / f"{name}.jsonl", "".join(e.to_json() + "\n" for e in events))


def gold_transcripts(spark, settings) -> int:
    rows = sinks.read_table(spark, locate(settings, GOLD_STORE_INTERACTION_METRICS))
    return rows.agg(F.sum("transcripts")).first()[0] or 0


def test_rows_rewritten_upstream_do_not_stop_the_jobs_downstream(spark, lake):
    day = synthetic.generate(seed=11, sessions_per_device=1)
    transcripts = [e for e in day.events if isinstance(e, Transcript)]
    first, second = transcripts[: len(transcripts) // 2], transcripts[len(transcripts) // 2 :]
    land(lake, "first", first)
    run_layers(spark, lake)
    assert gold_transcripts(spark, lake) == len(first)

    assert apply_to_silver(spark, lake, restore=False) > 0  # an UPDATE of silver, streamed by gold
    bronze = sinks.delta_table(spark, locate(lake, BRONZE_TABLES[Transcript.hub]))
    bronze.delete(F.get_json_object("payload", "$.event_id") == first[0].event_id)  # a DELETE in bronze

    land(lake, "second", second)
    run_layers(spark, lake)
    assert gold_transcripts(spark, lake) == len(transcripts)
    silver = sinks.read_table(spark, locate(lake, SILVER_TRANSCRIPTS))
    assert silver.count() == len(transcripts)
