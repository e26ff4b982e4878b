"""The live device client: audio, vision and heartbeat producers feeding the spool, a forwarder draining it.

Producers never talk to the network: they only append to the spool, so an outage or a crash loses
nothing. Each producer is a thread; the main thread polls the config file and waits for a stop signal
(SIGTERM from systemd, Ctrl-C, or ``duration_s``). On stop the producers finish what they hold, then the
forwarder drains the spool (what it cannot send in time stays spooled for the next start).

A producer that stops on an error (a broken camera, a missing model) or crashes stops the client: it
exits non-zero with the reason, so its supervisor (systemd ``Restart=on-failure``) restarts it and the
failure is visible, instead of a device that heartbeats as healthy with a dead microphone.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from scout_edge import fleet, heartbeat
from scout_edge.config import ConfigWatcher, DeviceConfig
from scout_edge.contract import Event
from scout_edge.errors import EdgeError
from scout_edge.forwarder import Forwarder
from scout_edge.fusion import GreetedAndAsked
from scout_edge.spool import Spool
from scout_edge.transports import from_config

log = logging.getLogger(__name__)

OFF = ("", "off", "none")


class EdgeClient:
    def __init__(self, config_path: str | Path) -> None:
        self.watcher = ConfigWatcher(config_path)
        config = self.config
        self.spool = Spool(config.path(config.spool.path), config.spool.max_events)
        self.forwarder = Forwarder(self.spool, from_config(config), config.transport.batch_size)
        self.fusion = GreetedAndAsked(config.vision.counter_zone, config.stt.hotwords)
        self.stopping = threading.Event()
        self.errors: list[str] = []
        self._vision = None
        self._producers: list[threading.Thread] = []

    @property
    def config(self) -> DeviceConfig:
        return self.watcher.config

    def publish(self, event: Event) -> None:
        self.spool.put(event)

    # -- producers ---------------------------------------------------------------------------------
    def _heartbeats(self) -> None:
        disk = self.spool.path.parent
        while not self.stopping.is_set():
            self.publish(heartbeat.collect(self.config, self.spool.stats(), disk))
            self.stopping.wait(self.config.heartbeat_interval_s)

    def _fleet(self) -> None:
        """Fetch this device's fleet config document (scout_edge.fleet) every ``[fleet] poll_s``; the
        config watcher picks a new one up (an unreachable channel only delays it)."""
        url = self.config.secret(self.config.fleet.url_env)
        if not url:
            log.warning("fleet config: %s is not set; the device runs on its file alone", self.config.fleet.url_env)
            return
        while not self.stopping.is_set():
            fleet.sync(url, self.config.device_id, self.watcher.path)
            self.stopping.wait(self.config.fleet.poll_s)

    def _audio_chunks(self) -> Iterator[tuple[np.ndarray, str | None]]:
        from scout_edge.audio import load_audio, microphone_chunks

        source = self.config.audio.source
        if source == "microphone":
            for chunk in microphone_chunks():
                yield chunk, None
            return
        path = Path(source)
        files = sorted(path.glob("*.wav")) if path.is_dir() else [path]
        for file in files:
            yield load_audio(file), file.name

    def _speech(self) -> None:
        from scout_edge.audio import clip_store
        from scout_edge.stt import Segmenter, Transcriber, engine_for

        engine = engine_for(self.config.stt)
        transcriber = Transcriber(self.config, engine, clip_store(self.config))
        segmenter = Segmenter(self.config.stt.min_silence_ms, self.config.stt.max_utterance_s)
        started = datetime.now(UTC)
        for chunk, source_file in self._audio_chunks():
            if self.stopping.is_set():
                return
            transcriber.config = self.config  # hotwords, redaction and audio_url_enabled reload live
            utterances = segmenter.feed(chunk) + (segmenter.flush() if source_file else [])
            session = self._vision.session_in(self.config.vision.counter_zone) if self._vision else None
            for event in transcriber.events(utterances, started, source_file, session):
                self.publish(event)
                if annotated := self.fusion.hear(event):
                    self.publish(annotated)

    def _sight(self) -> None:
        from scout_edge.vision import VisionPipeline, frames

        vision = VisionPipeline(self.config)
        self._vision = vision
        v = self.config.vision
        for frame in frames(v.source, v.width, v.height):
            if self.stopping.is_set():
                return
            vision.config = self.config
            for event in vision.process(frame):
                self.fusion.see(event)
                self.publish(event)

    def _guard(self, name: str, target) -> threading.Thread:
        def body() -> None:
            try:
                target()
            except EdgeError as exc:
                self.errors.append(f"{name} stopped: {exc}")
                log.error("%s stopped: %s; stopping the client", name, exc)
                self.stopping.set()
            except Exception as exc:  # a producer bug: the spool and the forwarder still drain on the way out
                self.errors.append(f"{name} crashed: {type(exc).__name__}: {exc}")
                log.exception("%s crashed; stopping the client", name)
                self.stopping.set()

        thread = threading.Thread(target=body, name=f"scout-{name}", daemon=True)
        thread.start()
        self._producers.append(thread)
        return thread

    # -- lifecycle ---------------------------------------------------------------------------------
    def run(self, duration_s: float | None = None) -> bool:
        """Run until SIGTERM / SIGINT / ``duration_s``; True when the spool was emptied on the way out."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stopping.set())
        config = self.config
        log.info(
            "scout-edge %s in %s: transport %s, spool %s",
            config.device_id,
            config.store_id,
            config.transport.kind,
            self.spool.path,
        )
        self.forwarder.start()
        self._guard("heartbeat", self._heartbeats)
        if config.fleet.url_env:
            self._guard("fleet", self._fleet)
        if config.vision.source.lower() not in OFF:
            self._guard("vision", self._sight)
        if config.audio.source.lower() not in OFF:
            self._guard("speech", self._speech)
        deadline = None if duration_s is None else time.monotonic() + duration_s
        while not self.stopping.wait(1.0):
            self.watcher.poll()
            if deadline is not None and time.monotonic() >= deadline:
                self.stopping.set()
        for producer in self._producers:  # what they hold goes into the spool before the last drain
            producer.join(timeout=5.0)
        empty = self.forwarder.stop(drain_timeout_s=5.0)
        stats = self.spool.stats()
        log.info("stopped: %d sent, %d still spooled, %d dropped", stats.sent, stats.depth, stats.dropped)
        self.spool.close()
        return empty
