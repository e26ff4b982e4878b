"""Vision signals with OpenCV alone: motion, faces, people, zones, dwell and a wave gesture.

Per frame, background subtraction (MOG2 on a 160x120 copy) measures motion. Only when there is motion,
and at most ``detect_hz`` times a second, the expensive detectors run on a downscaled frame: faces with
the Haar cascade that ships with OpenCV, people with the HOG people detector. When the scene is still,
they run once every ``idle_detect_s`` so a customer standing still is not forgotten.

Each detection is placed in the first configured zone (normalized polygon) that contains its centre.
A zone's dwell is how long it has been occupied (on the event reporting it empty: the whole visit); its
session id lives while it is occupied (and ``session_gap_s`` after). The wave gesture is a horizontal
oscillation of the moving pixels' centroid: at least 3 direction changes, each swing wider than 3% of
the frame, within 2 s.

Events are emitted per zone when what the zone holds changes (faces, people, gesture, or becoming
empty) and, while occupied, every ``emit_interval_s``; never per frame.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from scout_edge.config import DeviceConfig, VisionConfig, Zone
from scout_edge.contract import VisualDetection, to_iso
from scout_edge.errors import InputError, missing_extra

try:
    import cv2
except ImportError:  # pragma: no cover - the vision extra is missing
    cv2 = None

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
WHOLE_FRAME = Zone(id="frame", polygon=[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])


def _cv2():
    if cv2 is None:
        raise missing_extra("opencv-python-headless", "vision")
    return cv2


@dataclass(frozen=True)
class Frame:
    image: np.ndarray  # BGR
    t: float  # seconds since the source started


def frames(source: str, width: int = 640, height: int = 480) -> Iterator[Frame]:
    """Frames from a camera index ("0"), a video file or one image file, resized to width x height."""
    cv = _cv2()
    if not source.isdigit() and not Path(source).is_file():
        raise InputError(f"{source}: no such image or video file")
    if Path(source).suffix.lower() in IMAGE_SUFFIXES:
        image = cv.imread(source)
        if image is None:
            raise InputError(f"{source}: not a readable image")
        yield Frame(cv.resize(image, (width, height)), 0.0)
        return
    capture = cv.VideoCapture(int(source) if source.isdigit() else source)
    if not capture.isOpened():
        raise InputError(f"{source}: cannot open this camera or video")
    fps = capture.get(cv.CAP_PROP_FPS) or 15.0
    index = 0
    try:
        while True:
            ok, image = capture.read()
            if not ok:
                if index == 0:
                    raise InputError(f"{source}: no frame could be decoded")
                return
            yield Frame(cv.resize(image, (width, height)), index / fps)
            index += 1
    finally:
        capture.release()


@dataclass
class _ZoneState:
    faces: int = 0
    people: int = 0
    gesture: str | None = None
    occupied_since: float | None = None
    last_seen: float | None = None
    session_id: str | None = None
    last_emit: float | None = None
    last_sent: tuple | None = None  # (faces, people, gesture) of the last event
    visit_s: float | None = None  # length of the visit that just ended
    boxes: list[list[float]] = field(default_factory=list)


@dataclass
class Detections:
    faces: list[list[float]]  # normalized [x, y, w, h]
    people: list[list[float]]


class Detector:
    """Faces (Haar) and people (HOG) on a frame, boxes normalized to the frame."""

    def __init__(self, scale: float = 0.75) -> None:
        cv = _cv2()
        self.scale = scale
        self._faces = cv.CascadeClassifier(str(Path(cv.data.haarcascades) / "haarcascade_frontalface_default.xml"))
        self._hog = cv.HOGDescriptor()
        self._hog.setSVMDetector(cv.HOGDescriptor_getDefaultPeopleDetector())

    def detect(self, image: np.ndarray) -> Detections:
        cv = cv2
        small = cv.resize(image, None, fx=self.scale, fy=self.scale) if self.scale != 1 else image
        h, w = small.shape[:2]
        gray = cv.equalizeHist(cv.cvtColor(small, cv.COLOR_BGR2GRAY))
        faces = self._faces.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(24, 24))
        rects, weights = self._hog.detectMultiScale(small, winStride=(8, 8), padding=(8, 8), scale=1.05)
        people = [r for r, score in zip(rects, np.ravel(weights), strict=True) if score > 0.5]
        if people:
            keep = cv.dnn.NMSBoxes([list(map(int, r)) for r in people], [1.0] * len(people), 0.5, 0.3)
            people = [people[i] for i in np.ravel(keep)]

        def norm(boxes) -> list[list[float]]:
            return [[round(float(v) / s, 4) for v, s in zip(box, (w, h, w, h), strict=True)] for box in boxes]

        return Detections(norm(faces), norm(people))


class WaveDetector:
    """A wave: the moving pixels' centroid swings left and right repeatedly within a short window."""

    def __init__(self, window_s: float = 2.0, min_swing: float = 0.03, reversals: int = 3) -> None:
        self.window_s = window_s
        self.min_swing = min_swing
        self.reversals = reversals
        self._track: deque[tuple[float, float]] = deque()

    def update(self, t: float, centroid_x: float | None) -> bool:
        if centroid_x is None:
            self._track.clear()
            return False
        self._track.append((t, centroid_x))
        while self._track and t - self._track[0][0] > self.window_s:
            self._track.popleft()
        return self._count_reversals() >= self.reversals

    def _count_reversals(self) -> int:
        reversals, direction, anchor = 0, 0, self._track[0][1] if self._track else 0.0
        for _, x in self._track:
            delta = x - anchor
            if abs(delta) < self.min_swing:
                continue
            step = 1 if delta > 0 else -1
            if direction and step != direction:
                reversals += 1
            direction, anchor = step, x
        return reversals


class VisionPipeline:
    """Frames in, VisualDetection events out (on change and at the configured rate, not per frame)."""

    def __init__(self, config: DeviceConfig, started_at: datetime | None = None, session_gap_s: float = 5.0) -> None:
        cv = _cv2()
        self.config = config
        self.started_at = started_at or datetime.now(UTC)
        self.session_gap_s = session_gap_s
        self._motion = cv.createBackgroundSubtractorMOG2(history=300, varThreshold=25, detectShadows=False)
        self._kernel = np.ones((3, 3), np.uint8)
        self._motion_frames = 0
        self._detector = Detector(config.vision.detect_scale)
        self._wave = WaveDetector()
        self._last_detect: float | None = None
        self._zones: dict[str, _ZoneState] = {}
        self.stats = {"frames": 0, "detector_runs": 0}

    @property
    def vision(self) -> VisionConfig:
        return self.config.vision

    def zones(self) -> list[Zone]:
        return self.vision.zones or [WHOLE_FRAME]

    def motion(self, image: np.ndarray) -> tuple[float, float | None]:
        """Share of moving pixels and the horizontal centroid of the motion (None when still)."""
        cv = cv2
        small = cv.resize(image, (160, 120))
        # Learn the scene quickly at first, then slowly: with the default (1/frames) MOG2 soon absorbs a
        # periodic movement such as a waving hand into its background model.
        self._motion_frames += 1
        mask = self._motion.apply(small, learningRate=-1 if self._motion_frames <= 30 else 0.005)
        mask = cv.morphologyEx(mask, cv.MORPH_OPEN, self._kernel)
        moving = cv.countNonZero(mask)
        share = moving / mask.size
        if share < self.vision.motion_threshold:
            return share, None
        moments = cv.moments(mask, binaryImage=True)
        return share, moments["m10"] / moments["m00"] / mask.shape[1]

    def process(self, frame: Frame) -> list[VisualDetection]:
        self.stats["frames"] += 1
        share, centroid = self.motion(frame.image)
        waving = self._wave.update(frame.t, centroid)
        interval = 1.0 / self.vision.detect_hz if centroid is not None else self.vision.idle_detect_s
        due = self._last_detect is None or frame.t - self._last_detect >= interval
        if not due:
            return self._emit(frame.t, share, refresh=False)
        self._last_detect = frame.t
        self.stats["detector_runs"] += 1
        found = self._detector.detect(frame.image)
        self._assign(frame.t, found, "wave" if waving else None)
        return self._emit(frame.t, share, refresh=True)

    def _zone_of(self, box: list[float]) -> str | None:
        cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
        for zone in self.zones():
            polygon = np.array(zone.polygon, dtype=np.float32)
            if cv2.pointPolygonTest(polygon, (cx, cy), False) >= 0:
                return zone.id
        return None

    def _assign(self, t: float, found: Detections, gesture: str | None) -> None:
        counts: dict[str, list[int]] = {z.id: [0, 0] for z in self.zones()}
        boxes: dict[str, list[list[float]]] = {z.id: [] for z in self.zones()}
        for kind, group in ((0, found.faces), (1, found.people)):
            for box in group:
                zone = self._zone_of(box)
                if zone is not None:
                    counts[zone][kind] += 1
                    boxes[zone].append(box)
        for zone_id, (faces, people) in counts.items():
            state = self._zones.setdefault(zone_id, _ZoneState())
            occupied = faces + people > 0
            if occupied:
                if state.occupied_since is None:
                    state.occupied_since = t
                    gap_over = state.last_seen is None or t - state.last_seen > self.session_gap_s
                    state.session_id = str(uuid.uuid4()) if gap_over or not state.session_id else state.session_id
                state.last_seen = t
            elif state.occupied_since is not None:  # the visit ends: keep its length for the "left" event
                state.visit_s = round((state.last_seen or t) - state.occupied_since, 2)
                state.occupied_since = None
            state.faces, state.people, state.boxes = faces, people, boxes[zone_id]
            state.gesture = gesture if occupied else None

    def _emit(self, t: float, share: float, refresh: bool) -> list[VisualDetection]:
        events = []
        for zone_id, state in self._zones.items():
            signature = (state.faces, state.people, state.gesture)
            changed = refresh and signature != state.last_sent
            due = state.occupied_since is not None and (
                state.last_emit is None or t - state.last_emit >= self.vision.emit_interval_s
            )
            if not (changed or due) or (state.last_emit is None and signature == (0, 0, None)):
                continue
            state.last_sent = signature
            state.last_emit = t
            events.append(self._event(zone_id, state, t, share))
        return events

    def _event(self, zone_id: str, state: _ZoneState, t: float, share: float) -> VisualDetection:
        return VisualDetection(
            device_id=self.config.device_id,
            store_id=self.config.store_id,
            ts=to_iso(self.started_at + timedelta(seconds=t)),
            session_id=state.session_id,
            zone_id=zone_id,
            camera_angle=self.config.camera_angle,
            faces=state.faces,
            people=state.people,
            motion=round(share, 4),
            gesture=state.gesture,
            boxes=state.boxes,
            # while occupied: time so far; on the event that reports the zone empty: the whole visit
            dwell_s=state.visit_s if state.occupied_since is None else round(t - state.occupied_since, 2),
        )

    def session_in(self, zone_id: str | None) -> str | None:
        """The current session of a zone (for transcripts heard while a customer is there)."""
        state = self._zones.get(zone_id or "")
        return state.session_id if state and state.occupied_since is not None else None
