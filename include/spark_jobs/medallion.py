"""The whole medallion in one process: bronze, then silver, then gold, each with the same trigger.

    python -m include.spark_jobs.medallion --trigger available-now   # drain what is there, then stop
    python -m include.spark_jobs.medallion --trigger continuous       # keep all three layers running

Available-now runs the layers one after the other (each drains its input); continuous starts every query
of every layer and returns when one of them fails (a Databricks continuous job then restarts it).
"""

from __future__ import annotations

from collections.abc import Sequence

from include.spark_jobs import bronze, gold, silver
from include.spark_jobs.cli import parse_args, session

LAYERS = (bronze, silver, gold)


def main(argv: Sequence[str] | None = None) -> None:
    settings, trigger = parse_args("medallion", argv)
    spark = session(settings, "scout-medallion")
    if trigger.mode == "available-now":
        for layer in LAYERS:
            layer.run(spark, settings, trigger)
        return
    for layer in LAYERS:  # in order: each layer's tables must exist before the next one streams from them
        layer.ensure_tables(spark, settings)
    for layer in LAYERS:
        layer.start(spark, settings, trigger)
    spark.streams.awaitAnyTermination()  # a query that dies ends the job; the job's retry policy restarts it


if __name__ == "__main__":
    main()
