"""Dashboard export: the store_daily_metrics mart as the JSON the Retail Advisor dashboard reads.

The file is written atomically (temp file in the same folder, fsync, rename), so a reader sees the old
export or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=2, sort_keys=False)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def mart_path(settings: Settings) -> Path:
    """Where dbt-spark keeps the managed mart table on the embedded default (the metastore's warehouse)."""
    return settings.warehouse_dir / f"{MARTS_SCHEMA}.db" / MART


def read_mart(settings: Settings, spark: SparkSession) -> list[dict[str, Any]]:
    return [r.asDict() for r in spark.read.format("delta").load(str(mart_path(settings))).collect()]


def export_dashboard(settings: Settings, rows: list[dict[str, Any]]) -> Path:
    document = build_dashboard(rows, datetime.now(UTC))
    return write_json_atomic(settings.export_dir / f"{MART}.json", document)
