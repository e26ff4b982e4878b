"""Names of the lakehouse tables and the hub each bronze table replays."""

from __future__ import annotations

from scout_edge.contract import AnnotatedEvent, Heartbeat, InsightFeedback, Transcript, VisualDetection

BRONZE_TABLES: dict[str, str] = {
    Transcript.hub: "bronze_stt_raw",
    VisualDetection.hub: "bronze_visual_stream",
    AnnotatedEvent.hub: "bronze_annotated_events",
    InsightFeedback.hub: "bronze_insight_feedback",
    Heartbeat.hub: "bronze_device_heartbeat",
}

SILVER_TRANSCRIPTS = "silver_transcripts"
SILVER_QUARANTINE = "silver_quarantine"
GOLD_STORE_INTERACTION_METRICS = "gold_store_interaction_metrics"
GOLD_DQ_METRICS = "gold_dq_metrics"

ALL_TABLES: tuple[str, ...] = (
    *BRONZE_TABLES.values(),
    SILVER_TRANSCRIPTS,
    SILVER_QUARANTINE,
    GOLD_STORE_INTERACTION_METRICS,
    GOLD_DQ_METRICS,
)
