"""Device configuration: one TOML file per device, validated into typed dataclasses, reloaded on change.
What the fleet's configuration channel sets (scout_edge.fleet: AudioURL on or off, the speech hotwords)
is laid over the file's values from ``<device file>.fleet.json``.

Every problem is reported as one :class:`ConfigError` naming the file and the key, e.g.
``device.toml: transport.kind: expected one of eventhub, file, kafka, got 'kafak'``. Relative paths are
resolved against the file's folder. Secrets are never in the file: the Event Hubs / Kafka / Blob
credentials are read from the environment variable the file names.

See ``install/device.example.toml`` for a complete file.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from scout_edge import fleet
from scout_edge.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Zone:
    id: str
    polygon: list[list[float]]  # [[x, y], ...] normalized to the frame (0..1)


@dataclass(frozen=True)
class SttConfig:
    engine: str = "faster-whisper"  # or "openai-whisper"
    model: str = "tiny.en"  # "tiny.en", "base", or a local model directory / .pt file
    language: str | None = "en"
    hotwords: list[str] = field(default_factory=list)
    initial_prompt: str | None = None
    beam_size: int = 1
    min_silence_ms: int = 600  # a pause this long ends an utterance
    max_utterance_s: float = 20.0


@dataclass(frozen=True)
class AudioConfig:
    source: str = "microphone"  # "microphone", a WAV file or a folder of WAV files
    clip_dir: str = "clips"
    blob_url_env: str | None = None  # env var holding an Azure Blob container SAS URL; clips go there


@dataclass(frozen=True)
class VisionConfig:
    source: str = "0"  # a camera index or a video file
    width: int = 640
    height: int = 480
    motion_threshold: float = 0.005  # share of changed pixels that wakes the face / people detectors
    emit_interval_s: float = 5.0  # an occupied, unchanged zone is re-reported this often
    detect_hz: float = 5.0  # the face / people detectors run at most this often while there is motion
    idle_detect_s: float = 2.0  # ... and this often when the scene is still
    detect_scale: float = 0.75  # detectors see the frame downscaled by this factor (faces need ~40 px)
    counter_zone: str | None = None  # the zone where greetings happen (fused "Greeted + Asked")
    zones: list[Zone] = field(default_factory=list)


@dataclass(frozen=True)
class RedactionConfig:
    enabled: bool = True
    kinds: list[str] = field(default_factory=lambda: ["phone", "email", "card"])


@dataclass(frozen=True)
class TransportConfig:
    kind: str = "file"  # file | kafka | eventhub
    landing_dir: str = "landing"
    rotate_bytes: int = 4 * 1024 * 1024
    rotate_seconds: float = 60.0
    bootstrap_servers: str = "127.0.0.1:9092"
    connection_string_env: str = "SCOUT_EVENTHUBS_CONNECTION_STRING"  # eventhub, or kafka over SASL_SSL
    websocket: bool = False  # AMQP over WebSocket (port 443) for firewalled stores
    topic_prefix: str = ""  # kafka: topic = prefix + hub (e.g. "staging."); the readers must use the same
    batch_size: int = 500
    timeout_s: float = 10.0


@dataclass(frozen=True)
class SpoolConfig:
    path: str = "spool.db"
    max_events: int = 200_000


@dataclass(frozen=True)
class FleetConfig:
    url_env: str | None = None  # env var holding this device's fleet config URL (a blob SAS URL, or file://)
    poll_s: float = 60.0  # how often the client fetches it


@dataclass(frozen=True)
class DeviceConfig:
    device_id: str
    store_id: str
    location: str = ""
    camera_angle: str = "front"
    audio_url_enabled: bool = True
    heartbeat_interval_s: float = 30.0
    stt: SttConfig = field(default_factory=SttConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    vision: VisionConfig = field(default_factory=VisionConfig)
    redaction: RedactionConfig = field(default_factory=RedactionConfig)
    transport: TransportConfig = field(default_factory=TransportConfig)
    spool: SpoolConfig = field(default_factory=SpoolConfig)
    fleet: FleetConfig = field(default_factory=FleetConfig)
    base_dir: Path = field(default=Path("."), compare=False)
    # Not in the file: the version of the fleet document laid over it (scout_edge.fleet), 0 for none.
    config_version: int = 0

    def path(self, value: str) -> Path:
        """A path from the file, resolved against the file's folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    def secret(self, env_name: str | None) -> str | None:
        return os.environ.get(env_name) if env_name else None


_CHOICES = {
    "stt.engine": ("faster-whisper", "openai-whisper"),
    "transport.kind": ("eventhub", "file", "kafka"),
    "camera_angle": ("front", "side", "overhead", "rear"),
}
_POSITIVE = {
    "heartbeat_interval_s",
    "stt.beam_size",
    "stt.max_utterance_s",
    "vision.width",
    "vision.height",
    "transport.rotate_bytes",
    "transport.rotate_seconds",
    "transport.batch_size",
    "transport.timeout_s",
    "spool.max_events",
    "vision.emit_interval_s",
    "vision.detect_hz",
    "vision.idle_detect_s",
    "vision.detect_scale",
    "fleet.poll_s",
}
_REDACTION_KINDS = ("card", "email", "phone")


def load(path: str | Path) -> DeviceConfig:
    """Read and validate one device file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (copy install/device.example.toml and edit it)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    overlay = fleet.read_overlay(path)
    for key, where in fleet.FLEET_KEYS.items() if overlay else ():
        *tables, name = where
        target = raw
        for table in tables:
            target = target.setdefault(table, {})
        target[name] = overlay[key]
    try:
        config = _build(DeviceConfig, raw, "")
        _check(config)
    except ConfigError as exc:
        raise ConfigError(f"{path.name}: {exc}") from None
    version = overlay["config_version"] if overlay else 0
    return dataclasses.replace(config, base_dir=path.resolve().parent, config_version=version)


def _build(cls: type, raw: Any, prefix: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{prefix.rstrip('.') or 'file'}: expected a table")
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in ("base_dir", "config_version")}
    if unknown := sorted(set(raw) - set(fields)):
        raise ConfigError(f"{prefix}{unknown[0]}: unknown setting (known: {', '.join(sorted(fields))})")
    values = {}
    for name, f in fields.items():
        key = prefix + name
        if name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{key}: required")
            continue
        values[name] = _value(hints[name], raw[name], key)
    return cls(**values)


def _value(hint: Any, value: Any, key: str) -> Any:
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, key + ".")
    origin = get_origin(hint)
    if origin is list:
        (item,) = get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        return [_value(item, v, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is not None:  # X | None
        inner = next(a for a in get_args(hint) if a is not type(None))
        return _value(inner, value, key)
    if hint is bool and isinstance(value, bool):
        return value
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint is str and isinstance(value, str | int) and not isinstance(value, bool):
        return str(value)
    raise ConfigError(f"{key}: expected {getattr(hint, '__name__', hint)}, got {value!r}")


def _check(config: DeviceConfig) -> None:  # noqa: C901 - a flat list of rules
    for key, allowed in _CHOICES.items():
        value = _get(config, key)
        if value not in allowed:
            raise ConfigError(f"{key}: expected one of {', '.join(allowed)}, got {value!r}")
    for key in _POSITIVE:
        if _get(config, key) <= 0:
            raise ConfigError(f"{key}: must be greater than 0, got {_get(config, key)!r}")
    for key in ("device_id", "store_id"):
        if not _get(config, key).strip():
            raise ConfigError(f"{key}: must not be empty")
    if not 0 <= config.vision.motion_threshold <= 1:
        raise ConfigError(
            f"vision.motion_threshold: a share of the frame in 0..1, got {config.vision.motion_threshold}"
        )
    for kind in config.redaction.kinds:
        if kind not in _REDACTION_KINDS:
            raise ConfigError(f"redaction.kinds: unknown kind {kind!r} (known: {', '.join(_REDACTION_KINDS)})")
    ids = [z.id for z in config.vision.zones]
    if len(ids) != len(set(ids)):
        raise ConfigError(f"vision.zones: zone ids must be unique, got {ids}")
    for i, zone in enumerate(config.vision.zones):
        if len(zone.polygon) < 3 or any(len(p) != 2 or not all(0 <= c <= 1 for c in p) for p in zone.polygon):
            raise ConfigError(f"vision.zones[{i}].polygon: at least 3 [x, y] points with 0 <= x, y <= 1")
    if config.vision.counter_zone is not None and config.vision.counter_zone not in ids:
        raise ConfigError(f"vision.counter_zone: {config.vision.counter_zone!r} is not one of the zones {ids}")


def _get(config: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        config = getattr(config, part)
    return config


# Settings a running client picks up without a restart; the rest (identity, transport, spool, sources)
# are read once at start and a change is logged as needing a restart.
RELOADABLE = (
    "location",
    "camera_angle",
    "audio_url_enabled",
    "heartbeat_interval_s",
    "stt",
    "vision",
    "redaction",
    "config_version",
)


class ConfigWatcher:
    """Holds the current config and reloads it when the file changes (checked by mtime, cheap to poll).

    A broken edit is logged and ignored: the device keeps running on the last good config.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.config = load(self.path)
        self._stamp = self._mtime()

    def _mtime(self) -> tuple[int | None, ...]:
        """The device file's and its fleet overlay's modification times."""
        stamps = []
        for file in (self.path, fleet.overlay_path(self.path)):
            try:
                stamps.append(file.stat().st_mtime_ns)
            except OSError:
                stamps.append(None)
        return tuple(stamps)

    def poll(self) -> bool:
        """Reload if the file changed; True when a new config took effect."""
        stamp = self._mtime()
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            new = load(self.path)
        except ConfigError as exc:
            log.error("config change ignored, still running on the last good one: %s", exc)
            return False
        fixed = [f.name for f in dataclasses.fields(DeviceConfig) if f.name not in (*RELOADABLE, "base_dir")]
        changed = [name for name in fixed if getattr(new, name) != getattr(self.config, name)]
        if changed:
            log.warning("config: %s changed; restart the client to apply", ", ".join(changed))
            new = dataclasses.replace(self.config, **{n: getattr(new, n) for n in RELOADABLE})
        self.config = new
        log.info("config reloaded from %s", self.path)
        return True
