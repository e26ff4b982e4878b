"""``scout-edge bench``: the figures the device is judged by, measured on this machine.

- speech-to-text real-time factor (processing seconds / audio seconds) per model on a ~15 s clip, through
  the device's own path (VAD segmentation, then Whisper int8), after one warm-up;
- vision frames per second at 640x480 through the whole pipeline, on a quiet scene (still, sensor
  noise only: motion gating skips the detectors) and a busy one (a person moving all the time);
- simulator events per second into the file transport.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from scout_edge.config import DeviceConfig, SttConfig
from scout_edge.errors import EdgeError, InputError

SPEECH = (
    "Good morning and welcome to the store. Do you have Lucky Me pancit canton today? "
    "I am also looking for Bear Brand milk and Nescafe three in one. How much is the Alaska evaporada? "
    "Thank you, I will take two packs."
)


def espeak_clip(folder: Path, text: str = SPEECH) -> Path:
    """A WAV of synthesized speech (espeak-ng), for tests and benchmarks without a microphone."""
    if shutil.which("espeak-ng") is None:
        raise InputError("espeak-ng is not installed (apt install espeak-ng), or pass --clip FILE.wav")
    path = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(path), text], check=True, capture_output=True)
    return path


def bench_stt(clip: Path, models: list[str], openai_model: str | None) -> list[dict]:
    from scout_edge.audio import load_audio
    from scout_edge.stt import FasterWhisperEngine, OpenAIWhisperEngine, segment

    audio = load_audio(clip)
    seconds = len(audio) / 16000
    config = SttConfig(hotwords=["Lucky Me", "pancit canton", "Bear Brand", "Nescafe", "Alaska"])
    engines = [(m, lambda m=m: FasterWhisperEngine(replace(config, model=m))) for m in models]
    if openai_model:
        engines.append(
            (
                f"openai-whisper {Path(openai_model).name}",
                lambda: OpenAIWhisperEngine(replace(config, engine="openai-whisper", model=openai_model)),
            )
        )
    rows = []
    for name, make in engines:
        try:
            engine = make()
        except EdgeError as exc:
            rows.append({"model": name, "error": str(exc)})
            continue
        engine.transcribe(audio[:16000])  # warm-up
        began = time.perf_counter()
        text = " ".join(engine.transcribe(u.audio).text for u in segment(audio, config))
        elapsed = time.perf_counter() - began
        rows.append(
            {
                "model": name,
                "audio_s": round(seconds, 1),
                "processing_s": round(elapsed, 2),
                "rtf": round(elapsed / seconds, 3),
                "text": text,
            }
        )
    return rows


def _scenes(frames: int) -> dict[str, list[np.ndarray]]:
    import cv2
    from skimage import data

    rng = np.random.default_rng(0)
    background = cv2.resize(cv2.cvtColor(data.camera(), cv2.COLOR_GRAY2BGR), (640, 480))
    person = cv2.resize(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR), (300, 300))

    def noisy(image: np.ndarray) -> np.ndarray:
        return cv2.add(image, rng.integers(0, 6, image.shape, dtype=np.uint8))

    quiet = [noisy(background) for _ in range(frames)]
    busy = []
    for i in range(frames):
        frame = background.copy()
        x = int((i * 12) % 340)
        frame[90:390, x : x + 300] = person
        busy.append(noisy(frame))
    return {"quiet": quiet, "busy": busy}


def bench_vision(frames: int) -> list[dict]:
    from scout_edge.vision import Frame, VisionPipeline

    rows = []
    for scene, images in _scenes(frames).items():
        pipeline = VisionPipeline(DeviceConfig(device_id="bench", store_id="bench"))
        began = time.perf_counter()
        events = sum(len(pipeline.process(Frame(image, i / 15))) for i, image in enumerate(images))
        elapsed = time.perf_counter() - began
        rows.append(
            {
                "scene": scene,
                "frames": frames,
                "fps": round(frames / elapsed, 1),
                "detector_runs": pipeline.stats["detector_runs"],
                "events": events,
            }
        )
    return rows


def bench_simulator(events: int) -> dict:
    from itertools import islice

    from scout_edge.simulator import Fleet, FleetSpec
    from scout_edge.transports import FileTransport

    with tempfile.TemporaryDirectory(prefix="scout-bench-") as out:
        fleet = Fleet(FleetSpec(stores=10, devices_per_store=4, duration_s=events / 100, rate=100))
        transport = FileTransport(Path(out), "bench", rotate_bytes=16 << 20)
        records = fleet.records()
        began, sent = time.perf_counter(), 0
        while chunk := list(islice(records, 2000)):
            sent += len(transport.send(chunk))
        transport.close()
        elapsed = time.perf_counter() - began
    return {"events": sent, "seconds": round(elapsed, 2), "events_per_s": round(sent / elapsed)}


def run_bench(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="scout-bench-") as tmp:
        clip = Path(args.clip) if args.clip else espeak_clip(Path(tmp))
        models = [m for m in args.models.split(",") if m]
        print("speech-to-text (goal: real-time factor <= 0.1)", flush=True)
        for row in bench_stt(clip, models, args.openai_model):
            print(
                "  "
                + (
                    f"{row['model']:<10} {row.get('error')}"
                    if "error" in row
                    else f"{row['model']:<10} {row['audio_s']:>5} s audio  {row['processing_s']:>6} s  "
                    f"RTF {row['rtf']:.3f}"
                ),
                flush=True,
            )
    print("vision at 640x480 (goal: >= 15 fps)", flush=True)
    for row in bench_vision(args.frames):
        print(
            f"  {row['scene']:<6} {row['fps']:>7} fps  ({row['detector_runs']} detector runs in "
            f"{row['frames']} frames, {row['events']} events)",
            flush=True,
        )
    sim = bench_simulator(args.events)
    print(f"simulator -> file transport: {sim['events_per_s']:,} events/s ({sim['events']:,} events)")
    print(json.dumps({"simulator": sim}), flush=True)
    return 0
