"""Task bodies of the RetailAdvisorDB sync (scout_retail_db_sync; scout_marts and the slice run them too):
reference data in (the database -> the lakehouse's ref_* tables the marts join), interactions out (the
mart sales_interactions_enriched -> SalesInteractions, their transcripts and brands).

The database is SCOUT_RETAIL_DB_URL, else the Airflow connection `retail_advisor_db`, else SQLite under
SCOUT_HOME (include/retail_db/config.py). Both read and write the lake with delta-rs: no JVM in the task.
"""

from __future__ import annotations

import logging
from typing import Any

from include.errors import SyncIncomplete
from include.settings import load_settings

log = logging.getLogger(__name__)


def sync_reference() -> dict[str, Any]:
    """Mirror Stores, Products, Customers and EdgeDeviceRegistry into the lakehouse; what changed per table."""
    from include.retail_db import lake, sync
    from include.retail_db.config import database_url

    settings = load_settings()
    rows = sync.read_reference(database_url())
    changed = lake.mirror_reference(settings, rows)
    for table, counts in changed.items():
        log.info("%s: %d rows in RetailAdvisorDB; %s", table, len(rows[table]), counts)
    return changed


def sync_interactions(full: bool = False) -> dict[str, Any]:
    """Write the sessions the mart loaded since the watermark (all of them with ``full``) to RetailAdvisorDB.

    Raises SyncIncomplete, after writing the rest, when sessions were left out (their store is unknown)."""
    from include.retail_db import lake, sync
    from include.retail_db.config import database_url

    settings = load_settings()
    url = database_url()
    since = None if full else sync.watermark(url)
    sessions = lake.sessions_since(settings, since)
    report = sync.write_sessions(url, sessions)
    summary = report.as_dict()
    log.info("%d sessions since %s -> RetailAdvisorDB: %s", len(sessions), since or "the start", summary)
    if report.skipped:
        raise SyncIncomplete(
            f"{len(report.skipped)} session(s) not written, their store is not in RetailAdvisorDB's Stores:"
            f" {', '.join(report.skipped[:10])}; add the store(s) and the next run writes them"
        )
    return summary
