"""The scout_slice DAG's task bodies. Each reads the settings, does one step and returns something small
(XCom-sized) that says what it did.

The slice is the embedded default's demo: it generates the synthetic day (include.local, the one place
the orchestration layer reaches into local extras), prepares the SQLite RetailAdvisorDB and runs Spark in
the task, so it refuses to run with SCOUT_ENGINE=databricks, where the jobs run as Databricks jobs instead.

Heavy imports (pyspark) happen inside the functions, never at DAG parse time.
"""

from __future__ import annotations

import logging

from include.orchestration.spark import local_spark
from include.settings import load_settings

log = logging.getLogger(__name__)


def generate_events() -> dict[str, int]:
    """Write the deterministic synthetic day into the landing zone (files that exist are kept)."""
    from include.local import synthetic

    settings = load_settings()
    written = synthetic.write_landing(synthetic.generate(), settings.landing_dir)
    log.info("landing zone %s: new files per hub %s", settings.landing_dir, written or "none (already there)")
    return written


def prepare_retail_db() -> dict[str, object]:
    """RetailAdvisorDB at head with the reference stores, products and devices (both idempotent)."""
    from include.retail_db import migrate
    from include.retail_db.config import database_url
    from include.retail_db.seed import seed

    url = database_url()
    before, after = migrate.upgrade(url)
    inserted = seed(url)
    log.info("RetailAdvisorDB %s -> %s; reference rows added: %s", before or "empty", after, inserted)
    return {"revision": after, "seeded": inserted}


def run_medallion() -> dict[str, int]:
    """Run the medallion (bronze -> silver -> gold, one query) available-now; return every table's rows."""
    from include.spark_jobs import jobs, sinks
    from include.spark_jobs.trigger import Trigger

    settings = load_settings()
    spark = local_spark(settings, "medallion")
    jobs.run(jobs.MEDALLION.name, spark, settings, Trigger())
    counts = sinks.table_counts(spark, settings)
    log.info("lakehouse tables: %s", counts)
    return counts
