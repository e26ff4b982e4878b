"""Dashboard exports: each dbt mart as a versioned JSON document the Retail Advisor dashboard reads.

A document is validated against its JSON Schema (include/dashboard/schemas/<name>.v<version>.json) before
it is published; one that does not match raises ExportInvalid and the previous export stays in place.
Files are published atomically and world-readable (include/atomic.py), then `index.json` lists every
export with its version, schema, row count and build time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from include.atomic import write_atomic
from include.errors import ExportInvalid
from include.settings import MARTS_SCHEMA, Settings

DASHBOARD = "retail-advisor"
SCHEMAS_DIR = Path(__file__).parent / "schemas"
INDEX = "index.json"
MART = "store_daily_metrics"  # the first export; its document groups days by store
METRICS = ("interactions", "transcripts", "words", "avg_confidence", "active_hours")

Row = Mapping[str, Any]


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def plain(value: Any) -> Any:
    """A mart value as JSON: dates and times in ISO 8601 (UTC, Z), decimals as numbers, structs and arrays
    (e.g. an interaction's transcript lines) field by field."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return _iso(value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def build_dashboard(rows: list[Row], generated_at: datetime) -> dict[str, Any]:
    """Pure: store_daily_metrics rows -> the store view, grouped by store, days in order."""
    stores: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: (r["store_id"], r["metric_date"])):
        stores.setdefault(row["store_id"], []).append(
            {"date": plain(row["metric_date"]), **{m: row[m] for m in METRICS}}
        )
    return {
        **envelope(EXPORTS_BY_NAME[MART], generated_at),
        "stores": [{"store_id": store, "days": days} for store, days in stores.items()],
        "totals": {
            "stores": len(stores),
            "interactions": sum(r["interactions"] for r in rows),
            "transcripts": sum(r["transcripts"] for r in rows),
        },
    }


@dataclass(frozen=True)
class Export:
    """One dashboard export: the mart it is made of, its document version and how rows become the document."""

    name: str
    version: int
    columns: tuple[str, ...] = ()  # a flat export: these columns of each row, ordered by the first ones
    order_by: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()  # columns the mart keeps as "a, b" strings and the document as lists
    grouped: Callable[[list[Row], datetime], dict[str, Any]] | None = None

    @property
    def mart(self) -> str:
        return self.name

    @property
    def schema_file(self) -> Path:
        return SCHEMAS_DIR / f"{self.name}.v{self.version}.json"

    def document(self, rows: list[Row], generated_at: datetime) -> dict[str, Any]:
        if self.grouped is not None:
            return self.grouped(rows, generated_at)
        flat = [
            {c: _listed(row[c]) if c in self.lists else plain(row[c]) for c in self.columns}
            for row in sorted(rows, key=lambda r: tuple(r[c] for c in self.order_by))
        ]
        return {**envelope(self, generated_at), "rows": flat}


def _listed(value: str | None) -> list[str]:
    return [part for part in (value or "").split(", ") if part]


def envelope(export: Export, generated_at: datetime) -> dict[str, Any]:
    return {
        "dashboard": DASHBOARD,
        "export": export.name,
        "version": export.version,
        "source": f"{MARTS_SCHEMA}.{export.mart}",
        "generated_at": _iso(generated_at),
    }


EXPORTS = (
    Export(MART, 1, grouped=build_dashboard),
    Export(
        "brand_performance_metrics",
        1,
        columns=(
            "store_id",
            "metric_date",
            "brand",
            "mentions",
            "questions",
            "avg_sentiment",
            "positive_mentions",
            "negative_mentions",
            "share_of_mentions",
        ),
        order_by=("store_id", "metric_date", "brand"),
    ),
    Export(
        "device_performance_metrics",
        1,
        columns=(
            "device_id",
            "metric_date",
            "store_id",
            "client_version",
            "heartbeats",
            "max_uptime_s",
            "offline_s",
            "max_spool_depth",
            "events",
            "transcripts",
            "detections",
            "avg_transcript_confidence",
        ),
        order_by=("device_id", "metric_date"),
    ),
    Export(
        "customer_session_metrics",
        1,
        columns=(
            "store_id",
            "device_id",
            "session_id",
            "session_date",
            "started_at_utc",
            "ended_at_utc",
            "duration_s",
            "zones",
            "dwell_s",
            "transcripts",
            "questions",
            "words",
            "brands_asked",
            "greeted",
            "greeted_and_asked",
        ),
        order_by=("store_id", "device_id", "started_at_utc", "session_id"),
        lists=("brands_asked",),
    ),
    Export(
        "sales_interactions_enriched",
        1,
        columns=(
            "interaction_id",
            "store_id",
            "store_name",
            "city",
            "store_registered",  # false: RetailAdvisorDB does not know the store yet (no name or city)
            "device_id",
            "device_location",
            "device_registered",  # false: a device not in EdgeDeviceRegistry yet
            "zone_id",
            "interaction_date",
            "started_at_utc",
            "ended_at_utc",
            "duration_s",
            "dwell_s",
            "transcripts",
            "words",
            "avg_sentiment",
            "brands",
            "categories",
            "greeted",
            "asked",
            "greeted_and_asked",
            "transcript_lines",  # each line's text, sentiment, brand and audio_url (the clip's link)
        ),
        order_by=("store_id", "started_at_utc", "interaction_id"),
        lists=("brands", "categories"),
    ),
)
EXPORTS_BY_NAME = {e.name: e for e in EXPORTS}


@cache
def _validator(schema_file: Path):
    from jsonschema import Draft202012Validator

    schema = json.loads(schema_file.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def validate(export: Export, document: Mapping[str, Any]) -> None:
    """ExportInvalid naming the first place the document breaks its schema."""
    error = next(iter(sorted(_validator(export.schema_file).iter_errors(document), key=lambda e: e.path)), None)
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "(document)"
        raise ExportInvalid(
            f"export {export.name} v{export.version} does not match {export.schema_file.name} at {where}:"
            f" {error.message}; not published, the previous export stays in place"
        )


def write_json_atomic(path: Path, document: Mapping[str, Any]) -> Path:
    return write_atomic(path, json.dumps(document, indent=2) + "\n")


def _publish(settings: Settings, export: Export, document: Mapping[str, Any], rows: int) -> dict[str, Any]:
    """Write one validated document; its entry for the index."""
    path = write_json_atomic(settings.export_dir / f"{export.name}.json", document)
    return {
        "name": export.name,
        "file": path.name,
        "version": export.version,
        "schema": export.schema_file.name,
        "source": document["source"],
        "rows": rows,
        "built_at": document["generated_at"],
    }


def publish_all(settings: Settings, read_rows: Callable[[str], list[Row]], now: datetime | None = None) -> Path:
    """Every export from its mart's rows (``read_rows(mart)``), then the index; the index's path.

    Nothing is published unless every document matches its schema, so the dashboard never shows a new
    export beside a stale one.
    """
    generated_at = now or datetime.now(UTC)
    built = []
    for export in EXPORTS:
        rows = read_rows(export.mart)
        document = export.document(rows, generated_at)
        validate(export, document)
        built.append((export, document, len(rows)))
    entries = [_publish(settings, export, document, rows) for export, document, rows in built]
    index = {"dashboard": DASHBOARD, "generated_at": _iso(generated_at), "exports": entries}
    return write_json_atomic(settings.export_dir / INDEX, index)


def read_mart(settings: Settings, mart: str = MART) -> list[dict[str, Any]]:
    """Every row of ``mart``, read from its Delta folder with delta-rs: the marts are small, and an Airflow
    task that starts no JVM takes a second where one with local Spark took a minute under the scheduler."""
    from deltalake import DeltaTable

    from include.spark_jobs.tables import mart_folder

    return DeltaTable(str(mart_folder(settings, mart))).to_pyarrow_table().to_pylist()


def export_dashboard(settings: Settings) -> Path:
    """Publish every export from the marts; the index's path."""
    return publish_all(settings, lambda mart: read_mart(settings, mart))
