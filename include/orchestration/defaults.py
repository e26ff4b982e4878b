"""Defaults every Scout DAG shares (owner, retries, start date), defined once."""

from __future__ import annotations

from datetime import datetime, timedelta

from include.orchestration.alerts import notify_failure

START_DATE = datetime(2026, 11, 1)
DEFAULT_ARGS = {
    "owner": "scout-data",
    "retries": 2,  # Astronomer's project checks want at least 2 (tests/dags/test_astro_checks.py)
    "retry_delay": timedelta(seconds=30),
    "on_failure_callback": notify_failure,  # an e-mail to SCOUT_ALERT_EMAIL naming the DAG, run and task
}
