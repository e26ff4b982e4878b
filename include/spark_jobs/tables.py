"""The lakehouse's tables, declared once: name, layer, the key a row is identified by, and (silver) the
quarantine table beside it. Every job, test and export names tables through this registry, and finds them
through ``locate``:

| settings            | a table is                                        | e.g.                                     |
|---------------------|---------------------------------------------------|------------------------------------------|
| SCOUT_CATALOG empty | a Delta folder under SCOUT_HOME/lake              | .scout/lake/silver_transcripts           |
| SCOUT_CATALOG=<c>   | the table <c>.<SCOUT_LAKEHOUSE_SCHEMA>.<table>    | main.scout_lakehouse.silver_transcripts  |

SCOUT_CATALOG is `main` by default on Databricks (Unity Catalog). The jobs never build a path themselves:
``sinks`` and ``sources`` take the ``TableRef`` this returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from include.errors import SettingsError
from include.settings import MARTS_SCHEMA, Settings
from scout_edge.contract import AnnotatedEvent, Heartbeat, InsightFeedback, Transcript, VisualDetection


class Layer(StrEnum):
    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"
    REFERENCE = "reference"  # RetailAdvisorDB's reference data, mirrored in by the sync (not the medallion)


@dataclass(frozen=True)
class Table:
    name: str
    layer: Layer
    # What identifies a row: the dedupe key of a silver table, the MERGE key of a derived or gold one.
    # Bronze has none: it keeps every line it read, duplicates included (it is the replay log).
    keys: tuple[str, ...] = ()
    # A silver table fed by a hub's events has a quarantine table for the rows its expectations drop.
    quarantined: bool = False

    @property
    def quarantine(self) -> str:
        if not self.quarantined:
            raise KeyError(f"{self.name} has no quarantine table")
        return f"{self.name}_quarantine"


BRONZE_TABLES: dict[str, str] = {  # hub -> the bronze table that replays it
    Transcript.hub: "bronze_stt_raw",
    VisualDetection.hub: "bronze_visual_stream",
    AnnotatedEvent.hub: "bronze_annotated_events",
    InsightFeedback.hub: "bronze_insight_feedback",
    Heartbeat.hub: "bronze_device_heartbeat",
}

SILVER_TRANSCRIPTS = "silver_transcripts"
SILVER_DEVICE_HEARTBEAT = "silver_device_heartbeat"
SILVER_INSIGHT_FEEDBACK = "silver_insight_feedback"
SILVER_VISUAL_DETECTIONS = "silver_visual_detections"
SILVER_ANNOTATED_EVENTS = "silver_annotated_events"
SILVER_MULTIMODAL_ALIGNED = "silver_multimodal_aligned"
GOLD_STORE_INTERACTION_METRICS = "gold_store_interaction_metrics"
GOLD_DEVICE_HEALTH_SUMMARY = "gold_device_health_summary"
GOLD_TRANSCRIPT_SENTIMENT = "gold_transcript_sentiment_analysis"
GOLD_INSIGHT_FEEDBACK = "gold_insight_feedback"
GOLD_DQ_METRICS = "gold_dq_metrics"
REF_STORES = "ref_stores"
REF_PRODUCTS = "ref_products"
REF_CUSTOMERS = "ref_customers"
REF_EDGE_DEVICES = "ref_edge_devices"

_EVENTS = ("event_id",)
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        *(Table(name, Layer.BRONZE) for name in BRONZE_TABLES.values()),
        Table(SILVER_TRANSCRIPTS, Layer.SILVER, _EVENTS, quarantined=True),
        Table(SILVER_DEVICE_HEARTBEAT, Layer.SILVER, _EVENTS, quarantined=True),
        Table(SILVER_INSIGHT_FEEDBACK, Layer.SILVER, _EVENTS, quarantined=True),
        Table(SILVER_VISUAL_DETECTIONS, Layer.SILVER, _EVENTS, quarantined=True),
        Table(SILVER_ANNOTATED_EVENTS, Layer.SILVER, _EVENTS, quarantined=True),
        Table(SILVER_MULTIMODAL_ALIGNED, Layer.SILVER, ("transcript_event_id", "visual_event_id")),
        Table(GOLD_STORE_INTERACTION_METRICS, Layer.GOLD, ("store_id", "hour_start")),
        Table(GOLD_DEVICE_HEALTH_SUMMARY, Layer.GOLD, ("device_id",)),
        Table(GOLD_TRANSCRIPT_SENTIMENT, Layer.GOLD, ("store_id", "brand", "day")),
        Table(GOLD_INSIGHT_FEEDBACK, Layer.GOLD, ("store_id", "insight_type")),
        Table(GOLD_DQ_METRICS, Layer.GOLD, ("table", "batch_id", "expectation")),
        Table(REF_STORES, Layer.REFERENCE, ("store_id",)),
        Table(REF_PRODUCTS, Layer.REFERENCE, ("sku",)),
        Table(REF_CUSTOMERS, Layer.REFERENCE, ("customer_id",)),
        Table(REF_EDGE_DEVICES, Layer.REFERENCE, ("device_id",)),
    )
}


def keys(name: str) -> list[str]:
    return list(TABLES[name].keys)


# Every table the medallion writes, quarantines beside their silver table.
ALL_TABLES: tuple[str, ...] = tuple(
    name
    for t in TABLES.values()
    if t.layer is not Layer.REFERENCE
    for name in ((t.name, t.quarantine) if t.quarantined else (t.name,))
)
# The reference tables the RetailAdvisorDB sync mirrors into the lakehouse (include/retail_db/sync.py).
REFERENCE_TABLES: tuple[str, ...] = tuple(t.name for t in TABLES.values() if t.layer is Layer.REFERENCE)


@dataclass(frozen=True)
class TableRef:
    """Where one table lives: a Delta folder (``path``) or a catalog table (``qualified_name``)."""

    table: str
    path: Path | None = None
    qualified_name: str | None = None

    @property
    def schema(self) -> str | None:
        """The catalog table's ``catalog.schema`` (None for a folder)."""
        return self.qualified_name.rsplit(".", 1)[0] if self.qualified_name else None

    @property
    def sql(self) -> str:
        """The table in Spark SQL: its name, or ``delta.`<path>```."""
        return self.qualified_name or f"delta.`{self.path}`"

    def __str__(self) -> str:
        return self.qualified_name or str(self.path)


def locate(settings: Settings, name: str) -> TableRef:
    """Where the lakehouse table ``name`` lives under ``settings`` (see the module's table)."""
    if name not in ALL_TABLES and name not in REFERENCE_TABLES:
        raise KeyError(f"{name!r} is not a lakehouse table (see include/spark_jobs/tables.py)")
    if settings.catalog:
        return TableRef(name, qualified_name=f"{settings.catalog}.{settings.lakehouse_schema}.{name}")
    return TableRef(name, path=settings.lake_dir / name)


def locate_mart(settings: Settings, name: str) -> TableRef:
    """Where dbt keeps the mart ``name``: the dbt-spark metastore's warehouse folder on the embedded default,
    ``<catalog>.scout_marts.<name>`` where SCOUT_CATALOG is set."""
    if settings.catalog:
        return TableRef(name, qualified_name=f"{settings.catalog}.{MARTS_SCHEMA}.{name}")
    return TableRef(name, path=settings.warehouse_dir / f"{MARTS_SCHEMA}.db" / name)


def mart_folder(settings: Settings, name: str) -> Path:
    """The mart's Delta folder on the embedded default (read there without Spark, with delta-rs); SettingsError
    where the marts live in Unity Catalog."""
    ref = locate_mart(settings, name)
    if ref.path is None:
        raise SettingsError(
            f"SCOUT_CATALOG={settings.catalog}: the marts are read from the embedded default's warehouse;"
            " reading them from Unity Catalog (a SQL warehouse) is not built yet, run this with SCOUT_ENGINE=local"
        )
    return ref.path
