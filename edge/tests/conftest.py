"""Shared fixtures of the edge tests: device files, synthesized speech, test images."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pytest

# The repository's Azurite fixture (Azure Blob Storage's emulator; tests/azurite.py), shared with the
# platform's tests: the edge tests run from the repository root (`make test`).
pytest_plugins = ["tests.azurite"]

EXAMPLE = Path(__file__).parents[1] / "install" / "device.example.toml"


def _write_device(folder: Path, extra: str = "", **top: object) -> Path:
    values = {"device_id": "pi-test-1", "store_id": "store-test", "location": "test bench", **top}
    head = "\n".join(
        f"{k} = {v!r}".replace("'", '"') if not isinstance(v, bool) else f"{k} = {str(v).lower()}"
        for k, v in values.items()
    )
    path = folder / "device.toml"
    path.write_text(head + "\n" + textwrap.dedent(extra))
    return path


@pytest.fixture
def example_file() -> Path:
    return EXAMPLE


@pytest.fixture
def device_file(tmp_path):
    """Write a valid device file (identity only) plus ``extra`` TOML; returns its path."""

    def write(extra: str = "", **top: object) -> Path:
        return _write_device(tmp_path, extra, **top)

    return write


@pytest.fixture(scope="session")
def speech(tmp_path_factory) -> dict[str, Path]:
    """WAVs synthesized with espeak-ng: a greeting and a brand question (separate clips)."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is required for the speech tests (.ci/run installs it: apt install espeak-ng)")
    folder = tmp_path_factory.mktemp("speech")
    lines = {
        "greeting": "Good morning, welcome to the store.",
        "question": "Do you have Lucky Me pancit canton?",
        "pii": "Please call me at 0917 555 1234. My email address is pedro at scout dot com.",
    }
    paths = {}
    for name, text in lines.items():
        paths[name] = folder / f"{name}.wav"
        subprocess.run(["espeak-ng", "-s", "150", "-w", str(paths[name]), text], check=True, capture_output=True)
    return paths


@pytest.fixture(scope="session")
def astronaut_bgr() -> np.ndarray:
    import cv2
    from skimage import data

    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
