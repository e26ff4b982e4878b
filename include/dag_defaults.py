"""Defaults every Scout DAG shares (owner, retries, start date), defined once."""

from __future__ import annotations

from datetime import datetime, timedelta

START_DATE = datetime(2026, 11, 1)
DEFAULT_ARGS = {"owner": "scout-data", "retries": 1, "retry_delay": timedelta(seconds=30)}
