"""The lakehouse's tables, declared once: name, layer, the key a row is identified by, and (silver) the
quarantine table beside it. Every job, test and export names tables through this registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from scout_edge.contract import AnnotatedEvent, Heartbeat, InsightFeedback, Transcript, VisualDetection


class Layer(StrEnum):
    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"


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
    )
}


def keys(name: str) -> list[str]:
    return list(TABLES[name].keys)


# Every table the medallion writes, quarantines beside their silver table.
ALL_TABLES: tuple[str, ...] = tuple(
    name for t in TABLES.values() for name in ((t.name, t.quarantine) if t.quarantined else (t.name,))
)
