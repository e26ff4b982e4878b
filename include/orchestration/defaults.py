"""Defaults every Scout DAG shares (owner, retries, start date), defined once."""

from __future__ import annotations

from datetime import datetime, timedelta

from include.orchestration.alerts import failure_notifier

START_DATE = datetime(2026, 11, 1)
DEFAULT_ARGS = {
    "owner": "scout-data",
    "retries": 1,
    "retry_delay": timedelta(seconds=30),
    "on_failure_callback": failure_notifier(),  # an e-mail to SCOUT_ALERT_EMAIL naming the DAG, run and task
}
