from __future__ import annotations

import os
import time

import pytest

from scout_edge.config import ConfigWatcher, load
from scout_edge.errors import ConfigError


def test_the_example_file_is_valid_and_paths_resolve_next_to_it(example_file):
    config = load(example_file)
    assert config.device_id == "pi-001-1"
    assert [z.id for z in config.vision.zones] == ["counter", "aisle-1"]
    assert config.vision.counter_zone == "counter"
    assert config.path(config.spool.path) == example_file.parent / "spool.db"
    assert config.transport.kind == "file"


@pytest.mark.parametrize(
    ("extra", "top", "message"),
    [
        ("[transport]\nkind = 'kafak'\n", {}, "transport.kind: expected one of eventhub, file, kafka, got 'kafak'"),
        ("[vision]\nzone = []\n", {}, "vision.zone: unknown setting"),
        ("[[vision.zones]]\nid = 'a'\npolygon = [[0, 0], [1, 1]]\n", {}, "vision.zones[0].polygon: at least 3"),
        ("[vision]\ncounter_zone = 'till'\n", {}, "vision.counter_zone: 'till' is not one of the zones []"),
        ("[spool]\nmax_events = 0\n", {}, "spool.max_events: must be greater than 0"),
        ("[redaction]\nkinds = ['ssn']\n", {}, "redaction.kinds: unknown kind 'ssn'"),
        ("", {"audio_url_enabled": "yes"}, "audio_url_enabled: expected bool, got 'yes'"),
        ("", {"device_id": ""}, "device_id: must not be empty"),
        ("[stt\n", {}, "not valid TOML"),
    ],
)
def test_each_mistake_gives_one_message_naming_the_key(device_file, extra, top, message):
    path = device_file(extra, **top)
    with pytest.raises(ConfigError) as error:
        load(path)
    assert message in str(error.value)
    assert str(error.value).startswith("device.toml") or str(error.value).startswith(str(path))


def test_a_missing_identity_and_a_missing_file_are_named(tmp_path):
    (tmp_path / "d.toml").write_text('store_id = "s"\n')
    with pytest.raises(ConfigError, match=r"d\.toml: device_id: required"):
        load(tmp_path / "d.toml")
    with pytest.raises(ConfigError, match="no such file"):
        load(tmp_path / "nope.toml")


def _touch_later(path):
    stamp = path.stat().st_mtime + 2
    os.utime(path, (stamp, stamp))


def test_the_watcher_reloads_live_settings_and_keeps_the_last_good_config(device_file, caplog):
    path = device_file("[stt]\nhotwords = ['Milo']\n")
    watcher = ConfigWatcher(path)
    assert watcher.poll() is False

    path.write_text(path.read_text().replace("'Milo'", "'Milo', 'Bear Brand'") + "audio_url_enabled = false\n")
    # a top-level key after a table belongs to the table: this edit is invalid and must be ignored
    _touch_later(path)
    assert watcher.poll() is False
    assert watcher.config.stt.hotwords == ["Milo"]
    assert "config change ignored" in caplog.text

    path.write_text("audio_url_enabled = false\n" + path.read_text().replace("audio_url_enabled = false\n", ""))
    _touch_later(path)
    assert watcher.poll() is True
    assert watcher.config.stt.hotwords == ["Milo", "Bear Brand"]
    assert watcher.config.audio_url_enabled is False


def test_settings_that_need_a_restart_are_not_applied_live(device_file, caplog):
    path = device_file()
    watcher = ConfigWatcher(path)
    time.sleep(0.01)
    path.write_text(path.read_text().replace("pi-test-1", "pi-test-2") + "\n[transport]\nkind = 'kafka'\n")
    _touch_later(path)
    assert watcher.poll() is True
    assert watcher.config.device_id == "pi-test-1"
    assert watcher.config.transport.kind == "file"
    assert "device_id, transport changed; restart the client" in caplog.text
