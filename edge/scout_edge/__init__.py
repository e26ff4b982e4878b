"""Scout's in-store device client. Public API: the event contract."""

from scout_edge.contract import (
    EVENT_TYPES,
    HUBS,
    SCHEMA_VERSION,
    AnnotatedEvent,
    Event,
    Heartbeat,
    InsightFeedback,
    Transcript,
    UtcTimestamp,
    VisualDetection,
    to_iso,
    utc_now_iso,
)

__all__ = [
    "EVENT_TYPES",
    "HUBS",
    "SCHEMA_VERSION",
    "AnnotatedEvent",
    "Event",
    "Heartbeat",
    "InsightFeedback",
    "Transcript",
    "UtcTimestamp",
    "VisualDetection",
    "to_iso",
    "utc_now_iso",
]
__version__ = "0.1.0"
