"""The lakehouse's gold tables as Airflow Assets, named once: the stream health DAG emits an event for a
table when the streaming job gave it new rows; batch DAGs (dbt marts, exports) are scheduled on them."""

from __future__ import annotations

from airflow.sdk import Asset

from include.orchestration.health import GOLD_TABLES

GOLD_ASSETS: dict[str, Asset] = {
    table: Asset(name=table, uri=f"x-scout://lakehouse/{table}", group="scout-gold") for table in GOLD_TABLES
}
