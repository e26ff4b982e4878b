"""The scout-edge command line, as a user runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from scout_edge.cli import main, parser
from scout_edge.contract import parse_event


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_transcribe_prints_contract_events_as_json_lines(speech, capsys):
    assert main(["transcribe", str(speech["question"]), "--hotword", "Lucky Me", "--hotword", "pancit canton"]) == 0
    (event,) = lines(capsys.readouterr().out)
    text = parse_event(event).text.lower()
    assert "lucky me" in text and "pancit canton" in text
    assert event["source_file"] == "question.wav" and event["audio_url"] is None  # no device file: no clips


def test_detect_prints_the_face_in_an_image(astronaut_bgr, tmp_path, capsys, device_file):
    image = tmp_path / "astronaut.jpg"
    cv2.imwrite(str(image), astronaut_bgr)
    config = device_file(
        "[vision]\ncounter_zone = 'till'\n[[vision.zones]]\nid = 'till'\npolygon = [[0,0],[1,0],[1,1],[0,1]]\n"
    )
    assert main(["detect", str(image), "--config", str(config)]) == 0
    (event,) = lines(capsys.readouterr().out)
    assert (event["faces"], event["zone_id"], event["device_id"]) == (1, "till", "pi-test-1")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["transcribe", "missing.wav"], "missing.wav: no such audio file"),
        (["detect", "missing.png"], "missing.png: no such image or video file"),
        (["spool", "status", "--config", "nope.toml"], "nope.toml: no such file"),
        (["simulate", "--rate", "0", "--out", "x"], "--rate must be greater than 0"),
        (["simulate", "--faults", "gremlins", "--out", "x"], "unknown fault 'gremlins'"),
        (["simulate", "--start", "yesterday", "--out", "x"], "--start: not an ISO 8601 timestamp"),
        (["simulate", "--fault-share", "7", "--faults", "malformed", "--out", "x"], "--fault-share is the share"),
        (["simulate", "--fault-share", "0", "--out", "x"], "above 0 and at most 1, got 0.0"),
        (["simulate", "--transport", "pigeon"], "argument --transport: invalid choice: 'pigeon'"),
    ],
)
def test_a_user_mistake_is_one_line_and_exit_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        code = main(argv)
    except SystemExit as exit:  # argparse's own checks
        code = exit.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[-1].startswith(("scout-edge: error: ", f"scout-edge {argv[0]}: error: "))
    assert message in err[-1]
    assert "Traceback" not in "\n".join(err)


def test_every_option_of_every_command_says_what_it_is():
    """`scout-edge <command> --help` explains each option (positional arguments name themselves)."""
    import argparse

    root = parser()
    commands = next(a for a in root._actions if isinstance(a, argparse._SubParsersAction)).choices
    silent = [
        f"{name} {action.option_strings[-1]}"
        for name, command in {"scout-edge": root, **commands}.items()
        for action in command._actions
        if action.option_strings and not action.help and not isinstance(action, argparse._HelpAction)
    ]
    assert silent == []


def test_a_bad_config_from_the_installed_command_is_one_line(tmp_path):
    (tmp_path / "device.toml").write_text('device_id = "a"\nstore_id = "b"\n[transport]\nkind = "carrier-pigeon"\n')
    exe = shutil.which("scout-edge", path=str(Path(sys.executable).parent))
    result = subprocess.run([exe, "run", "--config", str(tmp_path / "device.toml")], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "scout-edge: error: device.toml: transport.kind: expected one of eventhub, file, kafka, got 'carrier-pigeon'"
    )


def test_simulate_into_the_file_transport_with_a_fault_summary(tmp_path, capsys):
    summary = tmp_path / "summary.json"
    argv = [
        "simulate",
        "--duration",
        "600",
        "--rate",
        "20",
        "--faults",
        "malformed,duplicates",
        "--fault-share",
        "0.05",
        "--out",
        str(tmp_path / "landing"),
        "--summary",
        str(summary),
    ]
    assert main(argv) == 0
    reported = json.loads(capsys.readouterr().out)
    assert reported == {
        **json.loads(summary.read_text()),
        "seconds": reported["seconds"],
        "records_per_s": reported["records_per_s"],
    }
    landed = [line for f in (tmp_path / "landing").glob("*/*.jsonl") for line in f.read_text().splitlines()]
    assert (
        len(landed) == reported["records_sent"] == reported["events"] + reported["duplicates"] + reported["malformed"]
    )
    assert sum(not line.endswith("}") for line in landed) == reported["malformed"]
    assert sorted(p.name for p in (tmp_path / "landing").iterdir()) == [
        "eh-device-heartbeat",
        "eh-insight-feedback",
        "eh-pi-annotated-events",
        "eh-pi-stt-raw",
        "eh-pi-visual-stream",
    ]


def write_video(path: Path, image: np.ndarray, seconds: float = 4, fps: int = 15) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (640, 480))
    background = np.full((480, 640, 3), 96, np.uint8)
    for i in range(int(seconds * fps)):
        frame = background.copy()
        if i >= fps:  # a customer steps up to the counter after one second
            frame[30:450, 0:420] = cv2.resize(image, (420, 420))
        writer.write(frame)
    writer.release()


def test_run_hears_and_sees_a_customer_and_publishes_everything(speech, astronaut_bgr, tmp_path):
    """The live client on recorded inputs: transcripts, detections, the fused annotation and heartbeats
    all reach the landing zone through the spool, and the spool ends empty."""
    audio = tmp_path / "audio"
    audio.mkdir()
    shutil.copy(speech["greeting"], audio / "01-greeting.wav")
    shutil.copy(speech["question"], audio / "02-question.wav")
    write_video(tmp_path / "counter.avi", astronaut_bgr)
    config = tmp_path / "device.toml"
    config.write_text(f"""
device_id = "pi-run-1"
store_id = "store-run"
heartbeat_interval_s = 0.5
[stt]
hotwords = ["Lucky Me", "pancit canton"]
[audio]
source = "{audio}"
[vision]
source = "{tmp_path / "counter.avi"}"
counter_zone = "counter"
[[vision.zones]]
id = "counter"
polygon = [[0, 0], [0.5, 0], [0.5, 1], [0, 1]]
[transport]
kind = "file"
rotate_seconds = 0.5
""")
    result = subprocess.run(
        [sys.executable, "-m", "scout_edge.cli", "run", "--config", str(config), "--duration", "6"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    events = [
        parse_event(line) for f in (tmp_path / "landing").glob("*/*.jsonl") for line in f.read_text().splitlines()
    ]
    kinds = Counter(e.event_type for e in events)
    assert kinds["transcript"] == 2 and kinds["annotated_event"] == 1 and kinds["heartbeat"] >= 5
    assert kinds["visual_detection"] >= 1
    (note,) = [e for e in events if e.event_type == "annotated_event"]
    face = next(e for e in events if e.event_type == "visual_detection" and e.faces == 1)
    assert (note.label, note.brand, note.session_id) == ("Greeted + Asked", "Lucky Me", face.session_id)
    transcripts = [e for e in events if e.event_type == "transcript"]
    assert all(e.audio_url and Path(e.audio_url.removeprefix("file://")).is_file() for e in transcripts)
    assert {e.session_id for e in transcripts} == {face.session_id}
    assert len({e.event_id for e in events}) == len(events)

    status = subprocess.run(
        [sys.executable, "-m", "scout_edge.cli", "spool", "status", "--config", str(config)],
        capture_output=True,
        text=True,
        check=True,
    )
    stats = json.loads(status.stdout)
    assert (stats["depth"], stats["dropped"], stats["sent"]) == (0, 0, len(events))


def heartbeat_only_device(folder: Path, vision_source: str = "off") -> Path:
    config = folder / "device.toml"
    config.write_text(f"""
device_id = "pi-life-1"
store_id = "store-life"
heartbeat_interval_s = 0.05
[audio]
source = "off"
[vision]
source = "{vision_source}"
[transport]
kind = "file"
rotate_seconds = 0.2
""")
    return config


def landed_and_spool(folder: Path, config: Path) -> tuple[list, dict]:
    events = [parse_event(line) for f in (folder / "landing").glob("*/*.jsonl") for line in f.read_text().splitlines()]
    status = subprocess.run(
        [sys.executable, "-m", "scout_edge.cli", "spool", "status", "--config", str(config)],
        capture_output=True,
        text=True,
        check=True,
    )
    return events, json.loads(status.stdout)


def test_sigterm_drains_the_spool_before_the_client_exits(tmp_path):
    """systemd's stop: every event the client spooled is delivered before it exits, none left behind."""
    import signal
    import time

    config = heartbeat_only_device(tmp_path)
    client = subprocess.Popen(
        [sys.executable, "-m", "scout_edge.cli", "run", "--config", str(config)],
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3)
    client.send_signal(signal.SIGTERM)
    _, err = client.communicate(timeout=60)
    assert client.returncode == 0, err

    events, stats = landed_and_spool(tmp_path, config)
    assert len(events) >= 20  # a heartbeat every 50 ms for 3 s (less the start-up)
    assert (stats["depth"], stats["dropped"], stats["sent"]) == (0, 0, len(events))
    assert len({e.event_id for e in events}) == len(events)


def test_a_producer_that_stops_stops_the_client_non_zero_with_the_reason(tmp_path):
    """A camera that cannot be read: the client does not carry on heartbeating as healthy; it drains what it
    has and exits 1 naming the producer and why, for its supervisor to restart it."""
    camera = tmp_path / "camera.avi"
    camera.write_bytes(b"not a video")
    config = heartbeat_only_device(tmp_path, str(camera))

    result = subprocess.run(
        [sys.executable, "-m", "scout_edge.cli", "run", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"scout-edge: error: vision stopped: {camera}: "), last
    events, stats = landed_and_spool(tmp_path, config)
    assert (stats["depth"], stats["dropped"], stats["sent"]) == (0, 0, len(events))
