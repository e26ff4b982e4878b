"""The fleet's configuration channel, device side: what the platform wants this device to run.

The platform (Airflow's AudioURL rollback, include/fleet) publishes one JSON document per device:

    {"device_id": "store-001-pi-01", "config_version": 3, "audio_url_enabled": true,
     "hotwords": ["Lucky Me", "Bear Brand", ...]}

in Azure Blob Storage (the device reads its blob through a read-only SAS URL) or, on one machine, a
folder (a ``file://`` URL). The client fetches it every ``[fleet] poll_s``; a newer ``config_version`` is
written beside the device file as ``<device file>.fleet.json``, which ``config.load`` lays over the file's
own values (only the keys below) and the running client picks up like any edit. The heartbeat then
carries the version: that is the device's acknowledgement. A document for another device, an older
version, or one that does not parse changes nothing (the last is logged); the device runs on.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

from scout_edge.errors import ConfigError, TransportError, missing_extra

log = logging.getLogger(__name__)

# What the channel may set, as the keys of the device file they replace.
FLEET_KEYS = {"audio_url_enabled": ("audio_url_enabled",), "hotwords": ("stt", "hotwords")}


def overlay_path(device_file: Path) -> Path:
    return device_file.with_name(device_file.name + ".fleet.json")


def validate(doc: Any, device_id: str) -> dict[str, Any]:
    """The document, checked: ConfigError naming the key that is wrong."""
    if not isinstance(doc, dict):
        raise ConfigError("fleet config: expected a JSON object")
    if doc.get("device_id") != device_id:
        raise ConfigError(f"fleet config: device_id {doc.get('device_id')!r} is not this device ({device_id!r})")
    version = doc.get("config_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ConfigError(f"fleet config: config_version must be a positive integer, got {version!r}")
    if not isinstance(doc.get("audio_url_enabled"), bool):
        raise ConfigError(
            f"fleet config: audio_url_enabled must be true or false, got {doc.get('audio_url_enabled')!r}"
        )
    hotwords = doc.get("hotwords")
    if not isinstance(hotwords, list) or not all(isinstance(w, str) and w.strip() for w in hotwords):
        raise ConfigError(f"fleet config: hotwords must be a list of words, got {hotwords!r}")
    return {"device_id": device_id, "config_version": version, **{k: doc[k] for k in FLEET_KEYS}}


def read_overlay(device_file: Path) -> dict[str, Any] | None:
    """The fleet document last applied to this device file, or None."""
    try:
        return json.loads(overlay_path(device_file).read_text())
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{overlay_path(device_file).name}: unreadable ({exc}); delete it to start over") from None


def fetch(url: str) -> Any:
    """The document at ``url``: ``file://`` (a folder shared on one machine) or ``https://`` (a blob's SAS URL)."""
    scheme = urllib.parse.urlsplit(url).scheme
    try:
        if scheme == "file":
            text = Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path)).read_text()
        elif scheme in ("https", "http"):
            try:
                from azure.storage.blob import BlobClient
            except ImportError:
                raise missing_extra("azure-storage-blob", "blob") from None
            text = BlobClient.from_blob_url(url).download_blob().readall().decode()
        else:
            raise ConfigError(f"fleet config URL must be file:// or https://, got {scheme or 'no scheme'}://")
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"fleet config is not JSON: {exc}") from None
    except (OSError, ValueError) as exc:  # unreachable or missing: retried at the next poll
        raise TransportError(f"fleet config unreachable: {type(exc).__name__}: {exc}") from None
    except Exception as exc:
        if type(exc).__module__.startswith("azure."):
            raise TransportError(f"fleet config unreachable: {type(exc).__name__}") from None  # no SAS in logs
        raise


def apply(doc: Any, device_id: str, device_file: Path) -> int | None:
    """Write a newer document beside the device file (atomically); its version, or None if nothing changed."""
    wanted = validate(doc, device_id)
    current = read_overlay(device_file) or {}
    if wanted["config_version"] <= current.get("config_version", 0):
        return None
    target = overlay_path(device_file)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as out:
        json.dump(wanted, out, indent=1, sort_keys=True)
        out.write("\n")
    os.replace(tmp, target)
    log.info("fleet config %d applied: audio_url_enabled=%s", wanted["config_version"], wanted["audio_url_enabled"])
    return wanted["config_version"]


def sync(url: str, device_id: str, device_file: Path) -> int | None:
    """Fetch and apply; the new version, or None (no change, or the channel was unreachable: logged)."""
    try:
        return apply(fetch(url), device_id, device_file)
    except TransportError as exc:
        log.warning("%s; the device keeps its current configuration", exc)
    except ConfigError as exc:
        log.error("%s; ignored, the device keeps its current configuration", exc)
    return None
