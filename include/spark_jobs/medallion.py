"""The whole medallion as one streaming query: each micro-batch of the hubs goes through bronze, silver
and gold before the next one starts.

    python -m include.spark_jobs.medallion --trigger available-now   # drain what is there, then stop
    python -m include.spark_jobs.medallion --trigger continuous       # keep running, one batch per interval

One query instead of one per layer: a batch's events reach gold in one micro-batch (latency is one batch,
not three chained ones), silver parses the rows bronze already holds in memory instead of reading them
back, and two cores are not shared by a dozen queries. Every write is idempotent per batch id (Delta
txnAppId/txnVersion appends, MERGEs), so a batch replayed after a crash changes nothing.

The layer jobs (``include.spark_jobs.bronze`` / ``silver`` / ``gold``) do the same work as three queries
chained through the Delta tables, for a deployment that wants the layers as separate tasks. A lake is
built by one or the other: each keeps its own checkpoints, so switching would read the hubs again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from functools import reduce

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.streaming import StreamingQuery

from include.settings import Settings
from include.spark_jobs import bronze, gold, silver
from include.spark_jobs.cli import MEDALLION, Trigger, parse_args, session, start_query

log = logging.getLogger(__name__)

QUERY = MEDALLION


def process(settings: Settings, batch: DataFrame, batch_id: int) -> None:
    """One micro-batch through the three layers."""
    app = f"scout-{QUERY}"
    started = time.perf_counter()
    batch.persist()
    try:
        counts = bronze.write_batch(settings, batch, batch_id, app)
        bronze_s = time.perf_counter()
        hubs = {hub: batch.where(batch.hub == hub) for hub, n in counts.items() if n}
        layer = silver.write_batch(settings, hubs, batch_id, app)
        silver_s = time.perf_counter()
        try:
            if layer.valid:
                touched = reduce(DataFrame.unionByName, [gold.touched(t, rows) for t, rows in layer.valid.items()])
                gold.process(settings, touched, batch_id)
        finally:
            layer.release()
    finally:
        batch.unpersist()
    done = time.perf_counter()
    log.info(
        "medallion batch %d: %d events in %.1f s (bronze %.1f s, silver %.1f s, gold %.1f s)",
        batch_id,
        sum(counts.values()),
        done - started,
        bronze_s - started,
        silver_s - bronze_s,
        done - silver_s,
    )


def ensure_tables(spark: SparkSession, settings: Settings) -> None:
    for layer in (bronze, silver, gold):  # in order: silver's and gold's schemas are read from the layer before
        layer.ensure_tables(spark, settings)


def start(spark: SparkSession, settings: Settings, trigger: Trigger) -> StreamingQuery:
    ensure_tables(spark, settings)
    return start_query(bronze.extract(spark, settings, trigger), QUERY, settings, trigger, process)


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings, trigger = parse_args("medallion", argv)
    spark = session(settings, "scout-medallion")
    query = start(spark, settings, trigger)
    query.awaitTermination()  # a failed batch raises here; a Databricks continuous job then restarts it


if __name__ == "__main__":
    main()
