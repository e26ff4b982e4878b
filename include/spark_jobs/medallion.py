"""The whole medallion as one streaming query: each micro-batch of the hubs goes through bronze, silver
and gold before the next one starts.

    python -m include.spark_jobs medallion --trigger available-now   # drain what is there, then stop
    python -m include.spark_jobs medallion --trigger continuous       # keep running, one batch per interval

One query instead of one per layer: a batch's events reach gold in one micro-batch (latency is one batch,
not three chained ones), silver parses the rows bronze already holds in memory instead of reading them
back, and two cores are not shared by a dozen queries. Every write is idempotent per batch id (Delta
txnAppId/txnVersion appends, MERGEs), so a batch replayed after a crash changes nothing.
"""

from __future__ import annotations

import logging
import time
from functools import reduce

from pyspark.sql import DataFrame, SparkSession

from include.settings import Settings
from include.spark_jobs import bronze, gold, silver, sinks
from include.spark_jobs.progress import TableBatch

log = logging.getLogger(__name__)


def write_batch(settings: Settings, batch: DataFrame, batch_id: int, app: str) -> dict[str, TableBatch]:
    """One (cached) micro-batch of the hubs through the three layers; returns the rows each table got."""
    started = time.perf_counter()
    counts = bronze.hub_counts(batch)
    hubs = {hub: batch.where(batch.hub == hub) for hub, n in counts.items() if n}
    # Silver's checks before any write: a `fail` expectation stops the batch with nothing of it written.
    checked = silver.check_batch(settings, hubs, batch_id)
    checked_s = time.perf_counter()
    written = bronze.write_batch(settings, batch, batch_id, app, counts)
    bronze_s = time.perf_counter()
    layer = silver.write_batch(settings, hubs, batch_id, app, checked)
    silver_s = time.perf_counter()
    written |= layer.written()
    try:
        if layer.valid:
            touched = reduce(DataFrame.unionByName, [gold.touched(t, rows) for t, rows in layer.valid.items()])
            with sinks.cached(touched):
                gold.write_batch(settings, touched)
            written |= gold.fed(written)
    finally:
        layer.release()
    done = time.perf_counter()
    log.info(
        "medallion batch %d: %d events in %.1f s (silver checks %.1f s, bronze %.1f s, silver %.1f s, gold %.1f s)",
        batch_id,
        sum(counts.values()),
        done - started,
        checked_s - started,
        bronze_s - checked_s,
        silver_s - bronze_s,
        done - silver_s,
    )
    return written


def ensure_tables(spark: SparkSession, settings: Settings) -> None:
    for layer in (bronze, silver, gold):  # in order: silver's and gold's schemas are read from the layer before
        layer.ensure_tables(spark, settings)
