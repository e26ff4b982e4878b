"""The one place that builds a local SparkSession. Jobs and tests never configure Spark themselves.

Delta Lake and the Kafka source are JVM artifacts: `make jars` copies them from Maven Central into
SCOUT_HOME/jars (see include/jars/pom.xml). Only the jars the pyspark wheel does not already bundle go on
``spark.jars``: a second, older copy of Hadoop or Jackson on the classpath breaks Spark in odd ways.
On Databricks the runtime provides the session; this module is for the embedded default only.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from include.errors import EnvironmentNotReady
from include.settings import Engine, Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Shared with dbt's local profile (include/dbt_project/profiles.yml, kept in step by a test).
DELTA_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}

LOCAL_CONF = {
    # Nothing binds beyond loopback.
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    # Small micro-batches on 2 cores: 200 shuffle partitions would be 200 near-empty tasks per stage.
    "spark.sql.shuffle.partitions": "2",
    # Local mode runs everything in the driver JVM; the 1 GiB default spills micro-batch caches to disk.
    "spark.driver.memory": "4g",
    "spark.default.parallelism": "2",
    # The jobs address tables by path; the Hive metastore (Derby, single user) belongs to dbt.
    "spark.sql.catalogImplementation": "in-memory",
    # A micro-batch plans ~200 small Spark jobs (a dozen Delta reads, writes and MERGEs); the default cache
    # of 100 compiled classes keeps evicting them, and Janino recompiles every batch (measured: ~15% of a
    # 5,000-event batch's time).
    "spark.sql.codegen.cache.maxEntries": "2000",
    # Adaptive execution re-plans each query at every shuffle, a Spark job per stage: on a micro-batch of a
    # few thousand rows that is all overhead. Off, a 1,000-event medallion batch ran 96 Spark jobs instead
    # of 185 and took a fifth less time (make bench-batch, both in one hour). Databricks keeps its own.
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.streaming.stopGracefullyOnShutdown": "true",
    "spark.databricks.delta.snapshotPartitions": "2",
    # A MERGE of a micro-batch's few rows needs no extra shuffle before it writes.
    "spark.databricks.delta.merge.repartitionBeforeWrite.enabled": "false",
    # A continuous job appends a few small files to every table per micro-batch: compact them as they
    # pile up (after 50 in a table), so reads and the dedupe's look-back stay fast (Databricks does this
    # with auto-optimize).
    "spark.databricks.delta.autoCompact.enabled": "true",
}

_VERSIONED_JAR = re.compile(r"^(?P<artifact>.+?)-\d[\w.\-]*\.jar$")


def _artifact(jar_name: str) -> str:
    match = _VERSIONED_JAR.match(jar_name)
    return match.group("artifact") if match else jar_name


def prune_bundled_jars(jars_dir: Path) -> list[Path]:
    """Delete the jars in ``jars_dir`` that the pyspark wheel already bundles (same artifact name).

    `make jars` runs this after Maven copies the runtime dependencies, so the folder holds exactly the jars
    to add to Spark's classpath, and dbt's profile can name them with a glob.
    """
    import pyspark

    bundled = {_artifact(p.name) for p in (Path(pyspark.__file__).parent / "jars").glob("*.jar")}
    removed = [p for p in jars_dir.glob("*.jar") if _artifact(p.name) in bundled]
    for jar in removed:
        jar.unlink()
    return removed


def spark_jars(settings: Settings) -> list[Path]:
    """The jars `make jars` fetched (Delta, the Kafka source and what they need beyond pyspark)."""
    if not (settings.jars_dir / ".stamp").exists():
        raise EnvironmentNotReady(
            f"Spark jars are missing in {settings.jars_dir}; fetch them with `make jars` (or `make install`)"
        )
    return sorted(settings.jars_dir.glob("*.jar"))


def get_spark(settings: Settings, app_name: str = "scout") -> SparkSession:
    """Return the process's local SparkSession (created on first call) with Delta enabled."""
    from pyspark.sql import SparkSession

    # Read by the JVM at launch, before any conf: keeps Spark from resolving the host's public address.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Python UDFs run in worker processes: make them this interpreter (the venv), not `python3` on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # spark-submit passes its --master on as SCOUT_SPARK_MASTER (the streaming runner's spark-submit engine).
    builder = SparkSession.builder.master(settings.spark_master or "local[2]").appName(app_name)
    conf = {
        **LOCAL_CONF,
        **DELTA_CONF,
        "spark.jars": ",".join(str(p) for p in spark_jars(settings)),
        "spark.sql.warehouse.dir": str(settings.warehouse_dir),
    }
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    # py4j logs a pooled socket the JVM closed while idle (it reconnects by itself) as a traceback.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    return spark


def session_for(settings: Settings, app_name: str) -> SparkSession:
    """The job's SparkSession: the Databricks runtime's own there, else the local one."""
    if settings.engine == Engine.DATABRICKS:
        from pyspark.sql import SparkSession

        return SparkSession.builder.getOrCreate()
    return get_spark(settings, app_name)


if __name__ == "__main__":
    import sys

    pruned = prune_bundled_jars(Path(sys.argv[1]))
    print(f"kept {len(list(Path(sys.argv[1]).glob('*.jar')))} jars; {len(pruned)} already bundled with pyspark")
