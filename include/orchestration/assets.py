"""The lakehouse's gold tables as Airflow Assets, named once; batch DAGs (dbt marts, exports) are scheduled
on them. Two things emit a table's event:

- its watcher, within seconds of the streaming job giving the table rows: the job drops a flag file per
  gold table it wrote (Settings.gold_flags_dir, include/spark_jobs/progress.py), the triggerer finds it,
  deletes it and emits the event. On the embedded default only, where the stream
  writes the ops folder the triggerer reads; on Databricks the job's volume is not that folder.
- the stream health DAG, every 5 minutes, for a table that got rows since its last check (everywhere:
  the path on Databricks, a safety net here; a marts run it starts after the watcher's finds nothing new).
"""

from __future__ import annotations

from airflow.sdk import Asset, AssetWatcher

from include.orchestration.health import GOLD_TABLES
from include.settings import Engine, Settings, load_settings

FLAG_POLL_S = 2.0  # how often the triggerer looks for a gold table's flag file


def watchers(settings: Settings, table: str) -> list[AssetWatcher]:
    """The table's watcher where the triggerer can see the stream's flag files (none on Databricks)."""
    if settings.engine is not Engine.LOCAL:
        return []
    from airflow.providers.standard.triggers.file import FileDeleteTrigger

    flag = FileDeleteTrigger(filepath=str(settings.gold_flags_dir / table), poke_interval=FLAG_POLL_S)
    return [AssetWatcher(name=f"{table}_rows", trigger=flag)]


def _assets(settings: Settings) -> dict[str, Asset]:
    return {
        table: Asset(
            name=table, uri=f"x-scout://lakehouse/{table}", group="scout-gold", watchers=watchers(settings, table)
        )
        for table in GOLD_TABLES
    }


GOLD_ASSETS: dict[str, Asset] = _assets(load_settings())
