"""Task bodies of the streaming DAGs (scout_streaming, scout_stream_health) and `make stream-status`."""

from __future__ import annotations

import logging
import sys
from typing import Any

from include.errors import FreshnessSLAMissed, ScoutError, SettingsError
from include.orchestration.runners import ENGINES, runner_for
from include.settings import load_settings

log = logging.getLogger(__name__)

ACTIONS = ("start", "stop", "restart", "status")
HEALTH_DAG_ID = "scout_stream_health"

__all__ = ["ACTIONS", "ENGINES", "control", "emit_if_advanced", "enforce_sla", "health_check"]


def control(action: str, engine: str | None = None) -> dict[str, Any]:
    """Do ``action`` to the streaming job on ``engine`` (None: the settings' engine); return its state."""
    from airflow.sdk.exceptions import AirflowFailException

    try:
        if action not in ACTIONS:
            raise SettingsError(f"action {action!r} is not one of: {', '.join(ACTIONS)}")
        runner = runner_for(load_settings(), engine=engine)
    except SettingsError as error:  # a setting or param to fix, not a step to retry
        raise AirflowFailException(str(error)) from error
    state = getattr(runner, action)()
    log.info("%s: %s", action, state.describe())
    return state.as_dict()


def health_check() -> dict[str, Any]:
    """Check the job, restart it if it died, e-mail freshness breaches and recoveries; return the report."""
    from include.orchestration import alerts
    from include.orchestration.health import HealthCheck

    settings = load_settings()
    report = HealthCheck(settings, runner_for(settings)).run()
    log.info("job: %s; action: %s", report.state.describe(), report.action)
    for f in report.freshness:
        log.info("freshness %s%s", f.describe(), " (SLA BREACHED)" if f.breached else "")
    if report.backlog:
        log.info("backlog (records behind latest): %s", report.backlog)
    for subject in alerts.send_freshness(settings, report, HEALTH_DAG_ID):
        log.info("e-mailed %s: %s", settings.alert_email, subject)
    return report.summary()


def enforce_sla(report: dict[str, Any]) -> None:
    """Fail while a gold table breaks the freshness SLA (its e-mail went out once, from the check)."""
    if report["breached"]:
        sla_min = load_settings().freshness_sla_s / 60
        ages = ", ".join(f"{t} ({report['freshness'][t] / 60:.0f} min)" for t in report["breached"])
        raise FreshnessSLAMissed(f"freshness SLA of {sla_min:g} min missed by {ages}; job: {report['state']}")


def emit_if_advanced(report: dict[str, Any], table: str) -> None:
    """Succeed (emitting the table's Asset event) only when the table got new rows since the last check."""
    from airflow.sdk.exceptions import AirflowSkipException

    if table not in report["advanced"]:
        raise AirflowSkipException(f"{table} has no new rows since the last check")


def main(argv: list[str]) -> int:
    """`make stream-status [ENGINE=...]`: the runner's view of the job, one line per fact."""
    engine = argv[0] if argv else None
    try:
        state = runner_for(load_settings(), engine=engine).status()
    except ScoutError as error:
        print(f"make stream-status: error: {error}", file=sys.stderr)
        return 2
    print(state.describe())
    progress = state.progress or {}
    if progress:
        batch, at = progress.get("batch_id"), progress.get("updated_at")
        print(f"  last progress {at}: batch {batch}, state {progress.get('state')}")
        for table, t in sorted((progress.get("tables") or {}).items()):
            print(f"  {table}: {t.get('rows_total')} rows, last rows at {t.get('last_rows_at')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
