"""The Scout event contract: the one source of truth for what devices publish.

Every event carries ``schema_version``, a unique ``event_id`` (the dedupe key downstream), ``device_id``,
``store_id`` and a UTC ``ts`` (ISO 8601 with a ``Z``). The Spark jobs derive their schemas from these
dataclasses (``include/spark_jobs/schemas.py``), so the two cannot drift apart.

Field types are limited to what maps cleanly onto JSON and Spark SQL: ``str``, ``int``, ``float``,
``bool``, ``list[...]`` of those, and ``X | None`` for optional fields.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, NewType, get_args, get_origin, get_type_hints

SCHEMA_VERSION = 1

# An ISO 8601 UTC timestamp string on the wire; a TIMESTAMP column in Spark.
UtcTimestamp = NewType("UtcTimestamp", str)


def utc_now_iso() -> UtcTimestamp:
    """The current time as the contract's timestamp format (ISO 8601, UTC, milliseconds, ``Z``)."""
    return to_iso(datetime.now(UTC))


def to_iso(moment: datetime) -> UtcTimestamp:
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware (UTC)")
    return UtcTimestamp(moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"))


def new_event_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, kw_only=True)
class Event:
    """Fields every event has. Subclasses set ``event_type`` and ``hub``."""

    event_type: ClassVar[str]
    hub: ClassVar[str]

    device_id: str
    store_id: str
    ts: UtcTimestamp
    event_id: str = field(default_factory=new_event_id)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {"event_type": self.event_type, **dataclasses.asdict(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True, kw_only=True)
class Transcript(Event):
    """One utterance transcribed on the device (Whisper)."""

    event_type: ClassVar[str] = "transcript"
    hub: ClassVar[str] = "eh-pi-stt-raw"

    session_id: str | None
    text: str
    word_count: int
    language: str
    confidence: float
    source_file: str | None = None
    audio_url: str | None = None
    redacted: bool = False


@dataclass(frozen=True, kw_only=True)
class VisualDetection(Event):
    """What one camera saw in one zone (OpenCV). Boxes are [x, y, w, h] normalized to the frame."""

    event_type: ClassVar[str] = "visual_detection"
    hub: ClassVar[str] = "eh-pi-visual-stream"

    session_id: str | None
    zone_id: str
    camera_angle: str
    faces: int
    people: int
    motion: float
    gesture: str | None = None
    boxes: list[list[float]] = field(default_factory=list)
    dwell_s: float | None = None  # how long the zone has been occupied, when it is


@dataclass(frozen=True, kw_only=True)
class AnnotatedEvent(Event):
    """A device-side fused signal, e.g. "Greeted + Asked"."""

    event_type: ClassVar[str] = "annotated_event"
    hub: ClassVar[str] = "eh-pi-annotated-events"

    session_id: str | None
    label: str
    zone_id: str | None = None
    brand: str | None = None


@dataclass(frozen=True, kw_only=True)
class InsightFeedback(Event):
    """An advisor's action on a generated insight."""

    event_type: ClassVar[str] = "insight_feedback"
    hub: ClassVar[str] = "eh-insight-feedback"

    insight_id: str
    insight_type: str  # e.g. "restock", "upsell", "staffing"
    action: str  # "taken" | "dismissed"
    advisor_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class Heartbeat(Event):
    """Device health, sent every N seconds."""

    event_type: ClassVar[str] = "heartbeat"
    hub: ClassVar[str] = "eh-device-heartbeat"

    uptime_s: float
    cpu_load: float
    mem_used_pct: float
    disk_used_pct: float
    client_version: str
    location: str
    spool_depth: int
    cpu_temp_c: float | None = None
    last_publish_ts: UtcTimestamp | None = None
    # The fleet configuration version the device runs (its acknowledgement of what the fleet's config
    # channel published to it); None before it received one.
    config_version: int | None = None


EVENT_TYPES: tuple[type[Event], ...] = (
    Transcript,
    VisualDetection,
    AnnotatedEvent,
    InsightFeedback,
    Heartbeat,
)
HUBS: dict[str, type[Event]] = {cls.hub: cls for cls in EVENT_TYPES}


class ContractError(ValueError):
    """A payload that is not a valid event of the contract; the message names the field."""


def parse_event(payload: str | bytes | dict[str, Any]) -> Event:
    """Validate one wire payload against the contract and return the event it describes.

    Unknown fields, missing required fields, wrong types and unknown schema versions are refused with a
    :class:`ContractError` naming the field, the same rules the silver expectations apply downstream.
    """
    if not isinstance(payload, dict):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            raise ContractError(f"not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ContractError("an event is a JSON object")
    data = dict(payload)
    types = {cls.event_type: cls for cls in EVENT_TYPES}
    cls = types.get(data.pop("event_type", None))
    if cls is None:
        raise ContractError(f"event_type: expected one of {sorted(types)}, got {payload.get('event_type')!r}")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ContractError(f"schema_version: expected {SCHEMA_VERSION}, got {data.get('schema_version')!r}")
    hints = get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    if unknown := sorted(set(data) - known):
        raise ContractError(f"{cls.event_type}: unknown fields {unknown}")
    for name, value in data.items():
        if not _conforms(value, hints[name]):
            raise ContractError(f"{cls.event_type}.{name}: {value!r} is not a {hints[name]}")
    try:
        return cls(**data)
    except TypeError as exc:  # a required field is missing
        raise ContractError(f"{cls.event_type}: {exc}") from None


def _conforms(value: Any, hint: Any) -> bool:
    if hint is UtcTimestamp:
        return isinstance(value, str) and _is_utc_iso(value)
    origin = get_origin(hint)
    if origin is list:
        (item,) = get_args(hint)
        return isinstance(value, list) and all(_conforms(v, item) for v in value)
    if origin is not None:  # X | None
        return any(_conforms(value, arg) for arg in get_args(hint))
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _is_utc_iso(value: str) -> bool:
    if not value.endswith("Z"):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
