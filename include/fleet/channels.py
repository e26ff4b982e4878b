"""Where the devices' configuration documents are published: one small interface, two backends.

| channel        | a device's document                       | the device reads it through     |
|----------------|-------------------------------------------|---------------------------------|
| FolderChannel  | SCOUT_HOME/device-config/<device>.json    | a file:// URL (one machine)     |
| BlobChannel    | <container>/<device>.json in Azure Blob   | a read-only SAS URL for its blob |

Both publish a document whole (a device never reads half of one).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from include.atomic import write_atomic

if TYPE_CHECKING:
    from azure.storage.blob import ContainerClient


class Channel(Protocol):
    def read(self, device_id: str) -> dict[str, Any] | None: ...

    def publish(self, device_id: str, document: dict[str, Any]) -> None: ...


def _blob_name(device_id: str) -> str:
    return f"{device_id}.json"


class FolderChannel:
    """The embedded default: a folder the devices (simulated on the same machine) read with file:// URLs."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, device_id: str) -> Path:
        return self.root / _blob_name(device_id)

    def url(self, device_id: str) -> str:
        return self.path(device_id).resolve().as_uri()

    def read(self, device_id: str) -> dict[str, Any] | None:
        try:
            return json.loads(self.path(device_id).read_text())
        except FileNotFoundError:
            return None

    def publish(self, device_id: str, document: dict[str, Any]) -> None:
        write_atomic(self.path(device_id), json.dumps(document, indent=1, sort_keys=True) + "\n")


class BlobChannel:
    """A container in Azure Blob Storage (the Airflow connection's account); one blob per device."""

    def __init__(self, container: ContainerClient) -> None:
        self.container = container

    def read(self, device_id: str) -> dict[str, Any] | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return json.loads(self.container.download_blob(_blob_name(device_id)).readall())
        except ResourceNotFoundError:
            return None

    def publish(self, device_id: str, document: dict[str, Any]) -> None:
        from azure.core.exceptions import ResourceExistsError
        from azure.storage.blob import ContentSettings

        with contextlib.suppress(ResourceExistsError):  # the first publish makes the container
            self.container.create_container()
        # One PUT: Blob Storage replaces a blob whole, so a device reads the old document or the new one.
        self.container.upload_blob(
            _blob_name(device_id),
            json.dumps(document, indent=1, sort_keys=True),
            overwrite=True,
            content_settings=ContentSettings(content_type="application/json"),
        )
