"""Task bodies of the DAGs that build the marts (scout_marts, scout_slice): publishing the dashboard
exports from the marts dbt just built, then naming the stores and devices in them that RetailAdvisorDB
does not know yet; and, for scout_marts, skipping a run that has nothing new to build."""

from __future__ import annotations

import json
import logging

from include.settings import Settings, load_settings
from include.spark_jobs.tables import ALL_TABLES, REFERENCE_TABLES, locate

log = logging.getLogger(__name__)


def export_dashboard() -> str:
    """Every dashboard export from its mart, validated, then the index; the index's path.

    On Databricks the marts live in Unity Catalog; reading them for the exports goes through a SQL
    warehouse, which this task does not do yet (it refuses, saying so)."""
    from include.dashboard import export

    settings = load_settings()
    index = export.export_dashboard(settings)
    log.info("dashboard exports published, listed in %s", index)
    return str(index)


def check_registry() -> dict:
    """A warning (and a first-time e-mail) naming the unregistered stores and devices in the exports."""
    from include.orchestration import registry

    return registry.check(load_settings())


# What the last marts run that published the exports was built from: every lake table's Delta version.
BUILT_FROM = "marts_built_from.json"  # in Settings.ops_dir


def lake_versions(settings: Settings) -> dict[str, int] | None:
    """Each lakehouse table's Delta version (-1 for one not created yet), read with delta-rs; None where the
    tables are catalog tables (Databricks), which this does not read."""
    from deltalake import DeltaTable

    if settings.catalog:
        return None
    versions = {}
    for table in (*ALL_TABLES, *REFERENCE_TABLES):
        folder = str(locate(settings, table).path)
        versions[table] = DeltaTable(folder).version() if DeltaTable.is_deltatable(folder) else -1
    return versions


def lake_changed(run_type: str) -> dict[str, int] | bool:
    """Whether this run has anything to build: the lake's versions (truthy) to build from, or False when an
    Asset-triggered run finds every table as the last published build left it.

    The gold tables' watchers and the health DAG each emit events, and events that arrive while a run is
    queued start another run after it: without this, each such run was a whole dbt build of nothing new.
    A manual run always builds; so does one where the versions cannot be read (catalog tables)."""
    settings = load_settings()
    versions = lake_versions(settings)
    if versions is None:
        log.info("the lake is in catalog tables: building without comparing versions")
        return True
    built = settings.ops_dir / BUILT_FROM
    before = json.loads(built.read_text()) if built.exists() else None
    if run_type == "manual" or before is None:
        log.info("building: %s", "a manual run" if run_type == "manual" else f"no {built} yet")
        return versions
    changed = sorted(t for t, v in versions.items() if before.get(t) != v)
    if not changed:
        log.info("nothing new: every lake table is at the version the last published build read; skipping")
        return False
    log.info("building: %d table(s) changed since the last build: %s", len(changed), ", ".join(changed))
    return versions


def record_build(versions: dict[str, int] | bool) -> None:
    """Remember what the exports just published were built from (after they are published)."""
    if not isinstance(versions, dict):
        return
    from include.atomic import write_atomic

    write_atomic(load_settings().ops_dir / BUILT_FROM, json.dumps(versions, indent=2, sort_keys=True))
