"""The fleet's configuration channel on the device: a newer document is laid over the device file, the
running client's watcher picks it up, the heartbeat carries its version; anything else changes nothing."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from scout_edge import fleet
from scout_edge.config import ConfigWatcher, load
from scout_edge.heartbeat import collect
from scout_edge.spool import Spool


def publish(folder: Path, **doc: object) -> str:
    """The platform's side on one machine: the device's document in a shared folder, as a file:// URL."""
    path = folder / "pi-test-1.json"
    path.write_text(json.dumps({"device_id": "pi-test-1", "hotwords": ["Alaska"], **doc}))
    return path.as_uri()


def test_a_newer_document_switches_audio_off_and_sets_hotwords(device_file, tmp_path):
    path = device_file('audio_url_enabled = true\n[stt]\nhotwords = ["Lucky Me"]\n')
    watcher = ConfigWatcher(path)
    assert (watcher.config.audio_url_enabled, watcher.config.config_version) == (True, 0)

    url = publish(tmp_path, config_version=2, audio_url_enabled=False)
    assert fleet.sync(url, "pi-test-1", path) == 2
    assert watcher.poll()  # the running client's watcher sees the overlay
    config = watcher.config
    assert (config.audio_url_enabled, config.stt.hotwords, config.config_version) == (False, ["Alaska"], 2)
    assert load(path).config_version == 2  # and a restart keeps it

    spool = Spool(tmp_path / "spool.db", 10)
    assert collect(config, spool.stats(), tmp_path).config_version == 2  # the acknowledgement
    spool.close()


def test_the_same_or_an_older_version_changes_nothing(device_file, tmp_path):
    path = device_file()
    fleet.sync(publish(tmp_path, config_version=3, audio_url_enabled=False), "pi-test-1", path)
    before = fleet.overlay_path(path).read_text()
    assert fleet.sync(publish(tmp_path, config_version=3, audio_url_enabled=True), "pi-test-1", path) is None
    assert fleet.sync(publish(tmp_path, config_version=1, audio_url_enabled=True), "pi-test-1", path) is None
    assert fleet.overlay_path(path).read_text() == before


def test_a_bad_or_missing_document_is_logged_and_the_device_runs_on(device_file, tmp_path, caplog):
    path = device_file()
    caplog.set_level(logging.WARNING)
    cases = {
        publish(tmp_path, config_version=1, audio_url_enabled=False, device_id="pi-other"): "is not this device",
        publish(tmp_path, config_version=0, audio_url_enabled=False): "config_version must be a positive",
        publish(tmp_path, config_version=1, audio_url_enabled="no"): "audio_url_enabled must be true or false",
        (tmp_path / "missing.json").as_uri(): "fleet config unreachable",
        "ftp://example/x.json": "must be file:// or https://",
    }
    for url, message in cases.items():
        assert fleet.sync(url, "pi-test-1", path) is None
        assert message in caplog.text, url
    assert not fleet.overlay_path(path).exists()
    assert load(path).config_version == 0
