"""Where the rollback's validation runs: a scratch lakehouse and RetailAdvisorDB of its own, built for the
sample and removed afterwards, so the sample never reaches the tables, exports or database a business
reads.

The scratch copy is production's in everything the sample's path depends on: the stream's pipeline flags
(what the running stream applies since the pipeline step), the reference tables the marts join, the
database's migration state (0009 or head) and its Stores and Products. The sample then takes the
production code path through it: landed as a device file, the medallion job (available-now), silver's
backfill step, dbt's build of the mart, the dashboard export, the RetailAdvisorDB sync; ``validate.check``
reads every layer there.

A validation that fails keeps its scratch folder (the error names it) for a look; the next one starts
from a new folder and removes older ones.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from pyspark.sql import SparkSession

from include.dashboard import export
from include.errors import PipelineStepFailed
from include.retail_db import lake as retail_lake
from include.retail_db import migrate, sync
from include.retail_db.config import default_url
from include.rollback import database
from include.rollback.pipeline import apply_to_silver, land_sample, sample
from include.rollback.request import Direction, Request
from include.rollback.validate import MART
from include.settings import DBT_PROJECT_DIR, DBT_SCHEDULED_EXCLUDE, Settings, Source
from include.spark_jobs import flags, jobs, sinks
from include.spark_jobs.tables import REFERENCE_TABLES, locate
from include.spark_jobs.trigger import Trigger

log = logging.getLogger(__name__)

FOLDER = "rollback-validation"  # under SCOUT_HOME: one scratch home per validation
COPIED_FROM_DATABASE = ("Stores", "Products")  # what the sync looks the sample's sessions up in


@dataclass(frozen=True)
class Scratch:
    settings: Settings  # SCOUT_HOME is the scratch folder; everything else is production's
    url: str  # its RetailAdvisorDB (SQLite in the folder)


def _new_home(settings: Settings) -> Path:
    parent = settings.home / FOLDER
    for old in parent.glob("*") if parent.exists() else ():
        shutil.rmtree(old, ignore_errors=True)
    parent.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(dir=parent))
    (home / "jars").symlink_to(settings.jars_dir.resolve(), target_is_directory=True)
    return home


@contextmanager
def scratch_ground(settings: Settings) -> Iterator[Scratch]:
    """A scratch SCOUT_HOME beside production's, removed on success (kept, and named, on failure)."""
    home = _new_home(settings)
    scratch = dataclasses.replace(settings, home=home, source=Source.FILES)
    try:
        yield Scratch(scratch, default_url(scratch))
    except BaseException:
        log.error("the rollback validation failed; its scratch lake and database are kept for a look: %s", home)
        raise
    shutil.rmtree(home, ignore_errors=True)


def _copy_reference(spark: SparkSession, settings: Settings, scratch: Settings) -> None:
    """The reference tables the marts join (stores, products, devices), as production has them now."""
    for table in REFERENCE_TABLES:
        source = locate(settings, table)
        if sinks.exists(spark, source):
            sinks.replace_all(sinks.read_table(spark, source), locate(scratch, table))


def _prepare_database(production_url: str, scratch_url: str, restore: bool) -> None:
    """The scratch database at production's state of the AudioURL column, with its Stores and Products."""
    database.run(scratch_url, Request(Direction.RESTORE if restore else Direction.DEPRECATE, dry_run=False))
    source, target = migrate.engine_for(production_url), migrate.engine_for(scratch_url)
    try:
        for name in COPIED_FROM_DATABASE:
            have = sa.Table(name, sa.MetaData(), autoload_with=source)
            into = sa.Table(name, sa.MetaData(), autoload_with=target)
            shared = [c.name for c in have.columns if c.name in into.c]
            with source.connect() as conn:
                rows = [dict(r._mapping) for r in conn.execute(sa.select(*(have.c[c] for c in shared)))]
            if rows:
                with target.begin() as conn:
                    conn.execute(sa.insert(into), rows)
    finally:
        source.dispose()
        target.dispose()


def dbt_build(settings: Settings, select: str, *, full_refresh: bool = False) -> None:
    """``dbt build --select <select>`` (no unit tests, as the marts DAG) on the embedded default's dbt for
    the lake under ``settings.home``; its target and logs stay there too (production's target/ holds the
    manifest Cosmos renders from)."""
    command = [
        str(settings.dbt_executable),
        "build",
        "--select",
        select,
        "--exclude",
        DBT_SCHEDULED_EXCLUDE,
        *(["--full-refresh"] if full_refresh else []),
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(settings.home / "dbt-target"),
        "--log-path",
        str(settings.home / "dbt-logs"),
    ]
    env = {**os.environ, "SCOUT_HOME": str(settings.home), "SPARK_LOCAL_IP": "127.0.0.1"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        tail = "\n".join(done.stdout.splitlines()[-15:])
        raise PipelineStepFailed(f"dbt build --select {select} failed (SCOUT_HOME={settings.home}):\n{tail}")


def _export(scratch: Settings) -> None:
    """The mart's dashboard export, built and checked against its schema as the published one is."""
    (one,) = [e for e in export.EXPORTS if e.mart == MART]
    document = one.document(export.read_mart(scratch, MART), datetime.now(UTC))
    export.validate(one, document)
    export.write_json_atomic(scratch.export_dir / f"{one.name}.json", document)


def take_sample_through(
    spark: SparkSession, settings: Settings, production_url: str, scratch: Scratch, restore: bool
) -> None:
    """The sample through every layer of the scratch copy, as the stream and a marts run take events: the
    lake with the flags the running stream applies now, the database as the rollback left it."""
    flags.write(scratch.settings, **flags.read(settings))
    land_sample(scratch.settings)
    _copy_reference(spark, settings, scratch.settings)
    jobs.run(jobs.MEDALLION.name, spark, scratch.settings, Trigger())
    apply_to_silver(spark, scratch.settings, restore)
    dbt_build(scratch.settings, f"+{MART}")
    _export(scratch.settings)
    _prepare_database(production_url, scratch.url, restore)
    sessions = retail_lake.sessions_since(scratch.settings, None)
    written = sync.write_sessions(scratch.url, sessions)
    log.info("the sample (%d transcripts) through the scratch copy: %s", len(sample()), written.as_dict())
