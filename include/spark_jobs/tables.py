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

SILVER = (
    SILVER_TRANSCRIPTS,
    SILVER_DEVICE_HEARTBEAT,
    SILVER_INSIGHT_FEEDBACK,
    SILVER_VISUAL_DETECTIONS,
    SILVER_ANNOTATED_EVENTS,
)
ALL_TABLES: tuple[str, ...] = (
    *BRONZE_TABLES.values(),
    *(name for table in SILVER for name in (table, f"{table}_quarantine")),
    SILVER_MULTIMODAL_ALIGNED,
    GOLD_STORE_INTERACTION_METRICS,
    GOLD_DEVICE_HEALTH_SUMMARY,
    GOLD_TRANSCRIPT_SENTIMENT,
    GOLD_INSIGHT_FEEDBACK,
    GOLD_DQ_METRICS,
)
