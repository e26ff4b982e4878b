"""Task bodies shared by the DAGs that build the marts (scout_marts, scout_slice): publishing the
dashboard exports from the marts dbt just built."""

from __future__ import annotations

import logging

from include.errors import SettingsError
from include.settings import Engine, load_settings

log = logging.getLogger(__name__)


def export_dashboard() -> str:
    """Every dashboard export from its mart, validated, then the index; the index's path."""
    from include.dashboard import export
    from include.spark_jobs.session import get_spark

    settings = load_settings()
    if settings.engine != Engine.LOCAL:
        # On Databricks the marts live in Unity Catalog; reading them for the exports goes through a SQL
        # warehouse, which this task does not do yet (see the marts issue's note).
        raise SettingsError(
            f"SCOUT_ENGINE={settings.engine}: the dashboard exports are built from the local marts only;"
            " run them with SCOUT_ENGINE=local"
        )
    index = export.export_dashboard(settings, get_spark(settings, "scout-export"))
    log.info("dashboard exports published, listed in %s", index)
    return str(index)
