"""The body of the scout_migrations DAG's task: report, optionally adopt, then migrate (or only render)."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from include.retail_db import migrate
from include.retail_db.config import database_url

log = logging.getLogger(__name__)


def run_migration(target_revision: str = "head", dry_run: bool = False, adopt_legacy: bool = False) -> dict:
    """Bring RetailAdvisorDB to ``target_revision``; with ``dry_run`` log the SQL and change nothing."""
    target = migrate.resolve(target_revision)
    url = database_url()
    dialect = sa.engine.make_url(url).get_backend_name()
    before = migrate.current(url)
    log.info("RetailAdvisorDB (%s) is at %s; target %s", dialect, before or "no revision", target)
    report: dict = {"dialect": dialect, "before": before, "target": target, "dry_run": dry_run}
    if adopt_legacy and before is None:
        adoption = migrate.adopt(url, stamp=not dry_run)
        log.info("adopt: %s", adoption.describe())
        report["adopted"] = adoption.stamped
        before = adoption.stamped
    if dry_run:
        sql = migrate.render_sql(dialect, before, target)
        log.info("dry run: the SQL that would run (nothing was changed):\n%s", sql)
        report.update(after=migrate.current(url), sql_lines=len(sql.splitlines()))
        return report
    _, after = migrate.migrate_to(url, target)
    report["after"] = after
    log.info("RetailAdvisorDB: %s -> %s", report["before"] or "no revision", after)
    return report
