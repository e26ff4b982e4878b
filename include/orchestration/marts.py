"""Task bodies shared by the DAGs that build the marts (scout_marts, scout_slice): publishing the
dashboard exports from the marts dbt just built, then naming the stores and devices in them that
RetailAdvisorDB does not know yet."""

from __future__ import annotations

import logging

from include.settings import load_settings

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
