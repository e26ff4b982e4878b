"""The rollback's database step: RetailAdvisorDB's AudioURL column away (revision 0009) or back (head),
through the migrations (their lock, their idempotent operations). Revision 0011 (the sync's keys) is kept
in both directions: the history branches after 0008 so that 0009 can be reached without undoing it."""

from __future__ import annotations

from typing import Any

from include.retail_db import migrate
from include.rollback.request import Request

DEPRECATED = "0009"
SYNC_KEYS = "0011"


def plan(url: str, request: Request) -> list[str]:
    """The migrations the step would run, in order: "upgrade <rev>" / "downgrade <rev>"."""
    applied = migrate.applied(url)
    order = [s.revision for s in migrate.revisions()]
    if request.restore:
        wanted = set(order)
    else:  # 0009 and what it stands on, and 0011; what stands on 0009 (0010, the merge) comes off
        script = migrate.script_directory()
        wanted = {s.revision for s in script.iterate_revisions((DEPRECATED, SYNC_KEYS), "base")}
    ups = [f"upgrade {r}" for r in order if r in wanted and r not in applied]
    downs = [f"downgrade {r}" for r in reversed(order) if r in applied and r not in wanted]
    return downs + ups


def run(url: str, request: Request) -> dict[str, Any]:
    """Migrate (or, in a dry run, only say what would run); before and after."""
    before = migrate.current(url)
    steps = plan(url, request)
    report: dict[str, Any] = {"before": before, "steps": steps}
    if request.dry_run or not steps:
        return report | {"after": before}
    if request.restore:
        migrate.upgrade(url, "head")
    else:
        if SYNC_KEYS not in migrate.applied(url):
            migrate.upgrade(url, SYNC_KEYS)
        migrate.migrate_to(url, DEPRECATED)
    return report | {"after": migrate.current(url)}
