"""Silver's tables, declared once: the event type each holds, its expectations and its columns.

Rows that fail a `drop` expectation go to the table's quarantine table (``tables.Table.quarantine``) with
the raw payload and the names of the rules they broke; every expectation's pass/fail counts go to
gold_dq_metrics, one row per expectation per micro-batch (like the DLT event log).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pyspark.sql import DataFrame

from include.spark_jobs.rules import interactions, sentiment
from include.spark_jobs.rules.expectations import Expectation
from include.spark_jobs.rules.schemas import known_versions
from include.spark_jobs.tables import (
    SILVER_ANNOTATED_EVENTS,
    SILVER_DEVICE_HEARTBEAT,
    SILVER_INSIGHT_FEEDBACK,
    SILVER_TRANSCRIPTS,
    SILVER_VISUAL_DETECTIONS,
    TABLES,
)
from scout_edge.contract import (
    AnnotatedEvent,
    Event,
    Heartbeat,
    InsightFeedback,
    Transcript,
    VisualDetection,
)

CORRUPT = "_corrupt_record"
# Per batch: the newest event time already in the table minus the watermark (null for the first batch).
WATERMARK_FLOOR = "_watermark_floor"
MAX_PAYLOAD_BYTES = 64 * 1024  # an event is a few hundred bytes; anything this big is not one

DQ_METRICS_SCHEMA = (
    "table string, batch_id long, expectation string, action string,"
    " passed long, failed long, dropped long, recorded_at timestamp"
)
QUARANTINE_SCHEMA = "batch_id long, payload string, reasons array<string>, source_file string, ingest_time timestamp"


def contract_expectations(event: type[Event]) -> list[Expectation]:
    """What every event must satisfy to enter silver, whatever its type."""
    return [
        Expectation("parses_against_contract", f"{CORRUPT} is null"),  # malformed JSON or a wrong type
        Expectation("payload_within_limit", f"octet_length(payload) <= {MAX_PAYLOAD_BYTES}"),
        Expectation(f"is_{event.event_type}", f"event_type = '{event.event_type}'"),
        Expectation("known_schema_version", f"schema_version in ({', '.join(map(str, known_versions(event)))})"),
        Expectation("has_event_id", "event_id is not null and event_id != ''"),
        Expectation("has_device_and_store", "device_id is not null and store_id is not null"),
        Expectation("has_timestamp", "ts is not null"),
        # Late data is kept (silver is complete) but counted, like a streaming watermark would see it.
        Expectation("within_watermark", f"{WATERMARK_FLOOR} is null or ts is null or ts >= {WATERMARK_FLOOR}", "warn"),
    ]


@dataclass(frozen=True)
class SilverTable:
    name: str
    event: type[Event]
    expectations: list[Expectation]
    columns: list[str]
    # Columns silver derives from a new row, once, as it takes the row in (e.g. a transcript's sentiment).
    enrich: Callable[[DataFrame], DataFrame] | None = None
    # column -> the pipeline flag (include/spark_jobs/flags.py) without which silver stores it as null.
    flagged: dict[str, str] = field(default_factory=dict)

    def stored(self, rows: DataFrame) -> DataFrame:
        """Valid rows, as the table stores them."""
        return rows if self.enrich is None else self.enrich(rows)

    @property
    def quarantine(self) -> str:
        return TABLES[self.name].quarantine


def scored_and_classified(transcripts: DataFrame) -> DataFrame:
    """A transcript's sentiment, is_greeting, is_question and brand, derived once as silver takes it in:
    gold and the dbt marts only aggregate what silver stored."""
    return interactions.classify(sentiment.with_sentiment(transcripts))


TRANSCRIPTS = SilverTable(
    SILVER_TRANSCRIPTS,
    Transcript,
    [
        *contract_expectations(Transcript),
        Expectation("non_negative_word_count", "word_count >= 0"),
        Expectation("confidence_in_range", "confidence between 0 and 1", "warn"),
    ],
    [
        "event_id",
        "device_id",
        "store_id",
        "session_id",
        "ts",
        "text",
        "word_count",
        "language",
        "confidence",
        "audio_url",
        "source_file",
        "redacted",
        "schema_version",
        "ingest_time",
    ],
    scored_and_classified,
    flagged={"audio_url": "audio_url"},  # off while AudioURL is deprecated (the rollback DAG's pipeline step)
)

HEARTBEATS = SilverTable(
    SILVER_DEVICE_HEARTBEAT,
    Heartbeat,
    [
        *contract_expectations(Heartbeat),
        Expectation("non_negative_uptime", "uptime_s >= 0"),
        Expectation("non_negative_spool_depth", "spool_depth >= 0"),
        Expectation("plausible_cpu_temperature", "cpu_temp_c is null or cpu_temp_c between -20 and 110", "warn"),
    ],
    [
        "event_id",
        "device_id",
        "store_id",
        "ts",
        "uptime_s",
        "cpu_load",
        "mem_used_pct",
        "disk_used_pct",
        "cpu_temp_c",
        "client_version",
        "location",
        "spool_depth",
        "last_publish_ts",
        "config_version",
        "schema_version",
        "ingest_time",
    ],
)

INSIGHT_FEEDBACK = SilverTable(
    SILVER_INSIGHT_FEEDBACK,
    InsightFeedback,
    [
        *contract_expectations(InsightFeedback),
        Expectation("has_insight", "insight_id is not null and insight_type is not null"),
        Expectation("known_action", "action in ('taken', 'dismissed')"),
    ],
    [
        "event_id",
        "device_id",
        "store_id",
        "ts",
        "insight_id",
        "insight_type",
        "action",
        "advisor_id",
        "schema_version",
        "ingest_time",
    ],
)

VISUAL_DETECTIONS = SilverTable(
    SILVER_VISUAL_DETECTIONS,
    VisualDetection,
    [
        *contract_expectations(VisualDetection),
        Expectation("has_zone", "zone_id is not null"),
        Expectation("non_negative_counts", "faces >= 0 and people >= 0"),
        Expectation("boxes_inside_frame", "forall(boxes, b -> forall(b, v -> v between 0 and 1))", "warn"),
    ],
    [
        "event_id",
        "device_id",
        "store_id",
        "session_id",
        "ts",
        "zone_id",
        "camera_angle",
        "faces",
        "people",
        "motion",
        "gesture",
        "boxes",
        "dwell_s",
        "schema_version",
        "ingest_time",
    ],
)

ANNOTATED_EVENTS = SilverTable(
    SILVER_ANNOTATED_EVENTS,
    AnnotatedEvent,
    [*contract_expectations(AnnotatedEvent), Expectation("has_label", "label is not null and label != ''")],
    [
        "event_id",
        "device_id",
        "store_id",
        "session_id",
        "ts",
        "label",
        "zone_id",
        "brand",
        "schema_version",
        "origin",  # "device" (sent on its hub) or "fused" (made here from speech + vision)
        "ingest_time",
    ],
)

SILVER_TABLES = (TRANSCRIPTS, HEARTBEATS, INSIGHT_FEEDBACK, VISUAL_DETECTIONS, ANNOTATED_EVENTS)
