"""Row counts every lakehouse table must have after one available-now run over the synthetic day."""

from __future__ import annotations

from include.spark_jobs import silver
from scout_edge.contract import AnnotatedEvent, Heartbeat, InsightFeedback, Transcript, VisualDetection


def table_counts(summary: dict) -> dict[str, int]:
    lines = summary["bronze_lines"]
    return {
        "bronze_stt_raw": lines[Transcript.hub],
        "bronze_visual_stream": lines[VisualDetection.hub],
        "bronze_device_heartbeat": lines[Heartbeat.hub],
        "bronze_annotated_events": lines[AnnotatedEvent.hub],
        "bronze_insight_feedback": lines[InsightFeedback.hub],
        "silver_transcripts": summary["silver_transcripts"],
        "silver_transcripts_quarantine": summary["quarantined"],
        "silver_device_heartbeat": lines[Heartbeat.hub],
        "silver_device_heartbeat_quarantine": 0,
        "silver_insight_feedback": lines[InsightFeedback.hub],
        "silver_insight_feedback_quarantine": 0,
        "silver_visual_detections": lines[VisualDetection.hub],
        "silver_visual_detections_quarantine": 0,
        # the devices' own annotations plus the sessions fused here from speech + vision
        "silver_annotated_events": lines[AnnotatedEvent.hub] + summary["fused_sessions"],
        "silver_annotated_events_quarantine": 0,
        "silver_multimodal_aligned": summary["aligned_pairs"],
        "gold_store_interaction_metrics": summary["store_hours"],
        "gold_device_health_summary": summary["devices"],
        "gold_transcript_sentiment_analysis": summary["store_brand_days"],
        "gold_insight_feedback": summary["store_insight_types"],
        # One micro-batch per silver table: a row per declared rule, plus the dedupe count.
        "gold_dq_metrics": sum(len(t.expectations) + 1 for t in silver.SILVER_TABLES),
    }
