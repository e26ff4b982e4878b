"""Real speech-to-text: espeak-ng speech through the Silero VAD and faster-whisper tiny.en (int8)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

from scout_edge.audio import LocalClipStore, clip_store, load_audio
from scout_edge.config import DeviceConfig, SttConfig, load
from scout_edge.contract import parse_event
from scout_edge.errors import ConfigError, InputError
from scout_edge.stt import FasterWhisperEngine, Transcriber, prompt_for, resolve_model, segment

BRANDS = ["Lucky Me", "pancit canton", "Bear Brand"]
START = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def engine():
    return FasterWhisperEngine(SttConfig(hotwords=BRANDS))


def with_pauses(*clips: np.ndarray, pause_s: float = 1.5) -> np.ndarray:
    silence = np.zeros(int(16000 * pause_s), dtype=np.float32)
    parts = [silence]
    for clip in clips:
        parts += [clip, silence]
    return np.concatenate(parts)


def test_the_default_model_is_a_local_directory_never_a_hub_name():
    path = resolve_model("tiny.en")
    assert (path / "model.bin").is_file() and path.is_absolute()
    with pytest.raises(ConfigError, match="nor an existing local model path"):
        resolve_model("openai/whisper-small")


def test_utterances_not_windows_become_transcripts(speech, engine, tmp_path):
    greeting, question = load_audio(speech["greeting"]), load_audio(speech["question"])
    audio = with_pauses(greeting, question)
    config = DeviceConfig(device_id="pi-1", store_id="s1", stt=SttConfig(hotwords=BRANDS), base_dir=tmp_path)
    utterances = segment(audio, config.stt)
    assert len(utterances) == 2
    assert utterances[0].offset_s == pytest.approx(1.5, abs=0.3)
    assert utterances[1].offset_s == pytest.approx(3.0 + len(greeting) / 16000, abs=0.3)

    transcriber = Transcriber(config, engine, LocalClipStore(tmp_path / "clips"))
    events = list(transcriber.events(utterances, START, source_file="counter.wav"))
    assert len(events) == 2
    first, second = events
    assert "welcome" in first.text.lower()
    assert "lucky me" in second.text.lower() and "pancit canton" in second.text.lower()
    assert second.word_count == len(second.text.split())
    assert (first.language, first.source_file, first.redacted) == ("en", "counter.wav", False)
    assert 0 < second.confidence <= 1
    assert first.ts == "2026-11-02T10:00:01.500Z" or first.ts.startswith("2026-11-02T10:00:01")
    for event in events:  # each clip is kept, and the URL points at it
        assert parse_event(event.to_json()) == event
        clip = Path(urlparse(event.audio_url).path)
        assert clip.is_file() and clip.name == f"{event.event_id}.wav"
        assert 0.5 < len(load_audio(clip)) / 16000 < 6


def test_the_hotwords_prompt_spells_the_brands():
    assert prompt_for(SttConfig(hotwords=BRANDS)) == "Lucky Me, pancit canton, Bear Brand."
    assert prompt_for(SttConfig(initial_prompt="Sari-sari store.", hotwords=["Milo"])) == "Sari-sari store. Milo."
    assert prompt_for(SttConfig()) is None


def test_phone_numbers_and_emails_are_masked_before_the_event_exists(speech, engine, tmp_path):
    config = DeviceConfig(device_id="pi-1", store_id="s1", base_dir=tmp_path)
    audio = load_audio(speech["pii"])
    events = list(
        Transcriber(config, engine, LocalClipStore(tmp_path / "clips")).events(segment(audio, config.stt), START)
    )
    text = " ".join(e.text for e in events)
    assert "[phone]" in text and "[email]" in text, text
    assert not any(ch.isdigit() for ch in text), text
    assert "scout" not in text.lower()
    assert all(e.redacted for e in events if "[" in e.text)
    assert all(e.audio_url is None for e in events if e.redacted)  # audio cannot be masked: not kept
    kept = sorted(p.stem for p in (tmp_path / "clips").rglob("*.wav"))
    assert kept == sorted(e.event_id for e in events if not e.redacted)  # clips only for clean utterances


def test_audio_url_disabled_keeps_no_clip(speech, engine, device_file):
    config = load(device_file(audio_url_enabled=False))
    assert clip_store(config) is None
    events = list(Transcriber(config, engine, None).events(segment(load_audio(speech["greeting"]), config.stt), START))
    assert events and all(e.audio_url is None for e in events)
    assert not (config.base_dir / "clips").exists()


def test_redaction_can_be_switched_off(speech, engine, tmp_path):
    config = DeviceConfig(device_id="pi-1", store_id="s1", base_dir=tmp_path)
    config = replace(config, redaction=replace(config.redaction, enabled=False))
    events = list(Transcriber(config, engine, None).events(segment(load_audio(speech["pii"]), config.stt), START))
    assert any(ch.isdigit() for e in events for ch in e.text)
    assert not any(e.redacted for e in events)


def test_bad_audio_input_is_one_clear_error(tmp_path):
    with pytest.raises(InputError, match="no such audio file"):
        load_audio(tmp_path / "missing.wav")
    (tmp_path / "noise.wav").write_bytes(b"RIFF but not really a wave file")
    with pytest.raises(InputError, match="not a readable audio file"):
        load_audio(tmp_path / "noise.wav")
