"""Dashboard export: the store_daily_metrics mart as the JSON the Retail Advisor dashboard reads.

The file is published atomically (include/atomic.py), so a reader sees the old export or the new one,
never half of one.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from include.atomic import write_atomic
from include.settings import MARTS_SCHEMA, Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

MART = "store_daily_metrics"
METRICS = ("interactions", "transcripts", "words", "avg_confidence", "active_hours")


def build_dashboard(rows: list[dict[str, Any]], generated_at: datetime) -> dict[str, Any]:
    """Pure: mart rows -> dashboard document, grouped by store, days in order."""
    stores: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: (r["store_id"], r["metric_date"])):
        day = row["metric_date"]
        stores.setdefault(row["store_id"], []).append(
            {"date": day.isoformat() if isinstance(day, date) else str(day), **{m: row[m] for m in METRICS}}
        )
    return {
        "dashboard": "retail-advisor",
        "source": f"{MARTS_SCHEMA}.{MART}",
        "generated_at": generated_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "stores": [{"store_id": store, "days": days} for store, days in stores.items()],
        "totals": {
            "stores": len(stores),
            "interactions": sum(r["interactions"] for r in rows),
            "transcripts": sum(r["transcripts"] for r in rows),
        },
    }


def write_json_atomic(path: Path, document: dict[str, Any]) -> Path:
    return write_atomic(path, json.dumps(document, indent=2) + "\n")


def mart_path(settings: Settings) -> Path:
    """Where dbt-spark keeps the managed mart table on the embedded default (the metastore's warehouse)."""
    return settings.warehouse_dir / f"{MARTS_SCHEMA}.db" / MART


def read_mart(settings: Settings, spark: SparkSession) -> list[dict[str, Any]]:
    from include.spark_jobs.sinks import read_table

    return [r.asDict() for r in read_table(spark, mart_path(settings)).collect()]


def export_dashboard(settings: Settings, rows: list[dict[str, Any]]) -> Path:
    document = build_dashboard(rows, datetime.now(UTC))
    return write_json_atomic(settings.export_dir / f"{MART}.json", document)
