"""Real detection with OpenCV on real and synthetic images."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from scout_edge.config import DeviceConfig, VisionConfig, Zone
from scout_edge.contract import parse_event
from scout_edge.errors import InputError
from scout_edge.vision import Detector, Frame, VisionPipeline, WaveDetector, frames

LEFT = Zone("counter", [[0.0, 0.0], [0.5, 0.0], [0.5, 1.0], [0.0, 1.0]])
RIGHT = Zone("aisle-1", [[0.5, 0.0], [1.0, 0.0], [1.0, 1.0], [0.5, 1.0]])


def device(**vision) -> DeviceConfig:
    return DeviceConfig(
        device_id="pi-1", store_id="s1", camera_angle="side", vision=VisionConfig(zones=[LEFT, RIGHT], **vision)
    )


def test_one_face_in_the_astronaut_image(astronaut_bgr, tmp_path):
    found = Detector().detect(cv2.resize(astronaut_bgr, (640, 480)))
    assert len(found.faces) == 1
    x, y, w, h = found.faces[0]
    assert 0.3 < x + w / 2 < 0.6 and 0.1 < y + h / 2 < 0.4  # the face, upper middle of the picture
    assert all(0 <= v <= 1 for v in found.faces[0])

    image = tmp_path / "astronaut.png"
    cv2.imwrite(str(image), astronaut_bgr)
    (frame,) = frames(str(image))
    (event,) = VisionPipeline(device()).process(frame)
    assert (event.faces, event.zone_id, event.camera_angle) == (1, "counter", "side")
    assert parse_event(event.to_json()) == event


def scene(astronaut_bgr, x: int | None) -> np.ndarray:
    """640x480 grey frame; the astronaut (420 px, face ~80 px) pasted at column x, or absent."""
    frame = np.full((480, 640, 3), 96, np.uint8)
    if x is not None:
        frame[30:450, x : x + 420] = cv2.resize(astronaut_bgr, (420, 420))
    return frame


def run(pipeline: VisionPipeline, images: list[np.ndarray], fps: float = 15.0):
    return [(i, e) for i, image in enumerate(images) for e in pipeline.process(Frame(image, i / fps))]


def test_motion_gates_the_detectors_and_zones_follow_the_person(astronaut_bgr):
    pipeline = VisionPipeline(device(emit_interval_s=100))
    still = [scene(astronaut_bgr, None)] * 45  # 3 s of an empty, still scene
    walk_in = [scene(astronaut_bgr, 0)] * 30  # someone appears on the left and stays
    cross = [scene(astronaut_bgr, 22 * k) for k in range(1, 11)]  # walks to the right half
    stay = [scene(astronaut_bgr, 220)] * 30
    leave = [scene(astronaut_bgr, None)] * 45
    events = run(pipeline, still + walk_in + cross + stay + leave)

    assert pipeline.stats["detector_runs"] < pipeline.stats["frames"] / 3  # gated, not per frame
    assert pipeline.motion(scene(astronaut_bgr, None))[0] < 0.005  # still scene: no motion
    by_zone = {}
    for i, e in events:
        by_zone.setdefault(e.zone_id, []).append((i, e.faces, e.people, e.dwell_s))
    counter, aisle = by_zone["counter"], by_zone["aisle-1"]
    assert counter[0][0] >= 45 and counter[0][1] == 1  # the face enters the counter zone, and not before
    assert counter[-1][1:3] == (0, 0)  # the zone empties when the person crosses, with the visit's length
    assert 1.5 < counter[-1][3] < 3.5  # there from frame 45 (3 s) until it crossed at about frames 75-85
    assert aisle[0][0] >= 75 and any(faces == 1 for _, faces, _, _ in aisle)
    assert aisle[-1][1:3] == (0, 0)
    assert len(events) <= 8  # on change only: a handful of events for 160 frames
    sessions = {e.session_id for _, e in events if e.zone_id == "aisle-1"}
    assert len(sessions) == 1 and None not in sessions


def test_an_occupied_unchanged_zone_is_re_reported_at_the_rate_with_its_dwell(astronaut_bgr):
    pipeline = VisionPipeline(device(emit_interval_s=1.0))
    images = [scene(astronaut_bgr, None)] * 15 + [scene(astronaut_bgr, 0)] * 75  # 5 s in the counter zone
    events = [e for _, e in run(pipeline, images) if e.zone_id == "counter"]
    assert 4 <= len(events) <= 6
    dwell = [e.dwell_s for e in events]
    assert dwell[0] == pytest.approx(0.0, abs=0.01)
    assert dwell == sorted(dwell) and dwell[-1] >= 3.5
    assert len({e.session_id for e in events}) == 1


def hand(x: int) -> np.ndarray:
    frame = np.full((480, 640, 3), 96, np.uint8)
    cv2.rectangle(frame, (x, 120), (x + 60, 200), (220, 200, 180), -1)
    return frame


def test_a_wave_is_an_oscillation_and_a_walk_is_not():
    def gestures(positions: list[int]) -> list[bool]:
        detector, pipeline = WaveDetector(), VisionPipeline(device())
        for _ in range(45):  # the camera has learnt the empty scene
            pipeline.motion(np.full((480, 640, 3), 96, np.uint8))
        return [detector.update(i / 15, pipeline.motion(hand(x))[1]) for i, x in enumerate(positions)]

    # 2 s at 15 fps: a hand swinging 120 px with a 0.4 s period, then one moving steadily to the right
    assert any(gestures([260 + int(60 * np.sin(2 * np.pi * i / 6)) for i in range(30)]))
    assert not any(gestures([40 + 15 * i for i in range(30)]))


def test_bad_vision_input_is_one_clear_error(tmp_path):
    with pytest.raises(InputError, match="no such image or video file"):
        next(frames(str(tmp_path / "missing.mp4")))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(InputError, match="not a readable image"):
        next(frames(str(tmp_path / "broken.png")))
    (tmp_path / "broken.mp4").write_bytes(b"not a video")
    with pytest.raises(InputError, match=r"broken\.mp4"):
        next(frames(str(tmp_path / "broken.mp4")))
