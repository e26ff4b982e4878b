"""``scout-edge``: the device client's command line.

    scout-edge run --config device.toml [--duration S]      the live client (systemd runs this)
    scout-edge transcribe FILE [--config ...]                transcript events as JSON lines
    scout-edge detect IMAGE|VIDEO [--config ...]             visual detection events as JSON lines
    scout-edge simulate [--stores N --devices M ...]         a seeded fleet into a transport
    scout-edge spool status --config device.toml             the spool's depth, drops and last publish
    scout-edge bench                                         speech, vision and simulator figures

A user mistake (bad config, unreadable file, missing extra) prints one ``scout-edge: error: ...`` line
and exits with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from scout_edge import config as device_config
from scout_edge.errors import EdgeError, InputError


def _config(args: argparse.Namespace) -> device_config.DeviceConfig:
    if args.config:
        return device_config.load(args.config)
    # No device file: an anonymous local device that keeps no clips (nothing is stored or sent).
    return device_config.DeviceConfig(device_id="local", store_id="local", audio_url_enabled=False)


def cmd_run(args: argparse.Namespace) -> int:
    from scout_edge.client import EdgeClient

    client = EdgeClient(args.config)
    empty = client.run(args.duration)
    for error in client.errors:
        print(f"scout-edge: error: {error}", file=sys.stderr)
    if client.errors:
        return 1  # a producer stopped: the supervisor restarts the client
    return 0 if empty or args.duration is None else 1


def cmd_transcribe(args: argparse.Namespace) -> int:
    from scout_edge.audio import clip_store, load_audio
    from scout_edge.stt import Transcriber, engine_for, segment

    config = _config(args)
    stt = config.stt
    if args.model:
        stt = replace(stt, model=args.model)
    if args.hotword:
        stt = replace(stt, hotwords=[*stt.hotwords, *args.hotword])
    config = replace(config, stt=stt)
    audio = load_audio(args.file)
    transcriber = Transcriber(config, engine_for(stt), clip_store(config))
    started = datetime.fromtimestamp(Path(args.file).stat().st_mtime, UTC)
    for event in transcriber.events(segment(audio, stt), started, Path(args.file).name):
        print(event.to_json(), flush=True)
    return 0


def cmd_detect(args: argparse.Namespace) -> int:
    from scout_edge.vision import VisionPipeline, frames

    config = _config(args)
    vision = VisionPipeline(config)
    for frame in frames(args.source, config.vision.width, config.vision.height):
        for event in vision.process(frame):
            print(event.to_json(), flush=True)
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from scout_edge.simulate_cli import simulate

    return simulate(args)


def cmd_spool(args: argparse.Namespace) -> int:
    from scout_edge.spool import Spool

    config = device_config.load(args.config)
    path = config.path(config.spool.path)
    if not path.exists():
        raise InputError(f"{path}: no spool yet (the client has not run with this config)")
    spool = Spool(path, config.spool.max_events)
    print(json.dumps({"spool": str(path), **asdict(spool.stats())}))
    spool.close()
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from scout_edge.bench import run_bench

    return run_bench(args)


class _Parser(argparse.ArgumentParser):
    """A mistake is one line and exit 2 (argparse would print the whole usage first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="scout-edge", description="Scout's in-store device client.")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the live client (audio, vision, heartbeats, publishing)")
    run.add_argument("--config", required=True, help="the device's TOML file")
    run.add_argument("--duration", type=float, help="stop after this many seconds (default: until SIGTERM)")
    run.set_defaults(func=cmd_run)

    tr = sub.add_parser("transcribe", help="print the transcript events of an audio file as JSON lines")
    tr.add_argument("file")
    tr.add_argument("--config", help="device file (identity, hotwords, redaction, clips)")
    tr.add_argument("--model", help="tiny.en (default), base, or a local model path")
    tr.add_argument("--hotword", action="append", default=[], help="a brand or product to favour (repeatable)")
    tr.set_defaults(func=cmd_transcribe)

    de = sub.add_parser("detect", help="print the visual detection events of an image or video as JSON lines")
    de.add_argument("source", help="an image, a video file, or a camera index")
    de.add_argument("--config", help="device file (identity, zones, camera angle)")
    de.set_defaults(func=cmd_detect)

    from scout_edge.simulate_cli import add_arguments

    add_arguments(sub.add_parser("simulate", help="a seeded fleet of stores x devices into a transport"))
    sub.choices["simulate"].set_defaults(func=cmd_simulate)

    sp = sub.add_parser("spool", help="inspect the store-and-forward spool")
    sp.add_argument("action", choices=["status"])
    sp.add_argument("--config", required=True, help="the device's TOML file (where its spool lives)")
    sp.set_defaults(func=cmd_spool)

    be = sub.add_parser("bench", help="measure speech-to-text, vision and simulator throughput")
    be.add_argument("--clip", help="a WAV to transcribe (default: 15 s of espeak-ng speech)")
    be.add_argument("--models", default="tiny.en,base", help="comma-separated models to time")
    be.add_argument("--openai-model", help="a local openai-whisper .pt checkpoint to time alongside")
    be.add_argument("--frames", type=int, default=300, help="frames per vision scene")
    be.add_argument("--events", type=int, default=200_000, help="simulator events to write")
    be.set_defaults(func=cmd_bench)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # one INFO line per utterance otherwise
    try:
        return args.func(args)
    except EdgeError as exc:
        print(f"scout-edge: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # argument values the parser cannot check (e.g. an unknown fault name)
        print(f"scout-edge: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `scout-edge transcribe x.wav | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
