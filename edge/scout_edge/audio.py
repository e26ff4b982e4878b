"""Audio in (WAV files, the microphone) and audio clips out (a local folder or Azure Blob Storage).

Everything inside the client is 16 kHz mono float32, what Whisper and the Silero VAD expect.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np

from scout_edge.errors import ConfigError, InputError, missing_extra

SAMPLE_RATE = 16_000


def load_audio(path: str | Path) -> np.ndarray:
    """Any audio file PyAV can decode (WAV, FLAC, MP3...), as 16 kHz mono float32."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such audio file")
    try:
        from faster_whisper.audio import decode_audio
    except ImportError:
        raise missing_extra("faster-whisper", "stt") from None
    try:
        audio = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # PyAV raises its own error family for every kind of bad file
        raise InputError(f"{path}: not a readable audio file ({type(exc).__name__}: {exc})") from None
    if audio.size == 0:
        raise InputError(f"{path}: the file holds no audio")
    return audio


def wav_bytes(audio: np.ndarray) -> bytes:
    """16-bit PCM WAV of a float32 clip."""
    pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def microphone_chunks(chunk_s: float = 0.5) -> Iterator[np.ndarray]:
    """Live audio from the default input device, in chunks of ``chunk_s`` seconds."""
    try:
        import sounddevice
    except (ImportError, OSError):  # OSError: PortAudio missing on the board
        raise missing_extra("sounddevice (and the libportaudio2 apt package)", "microphone") from None
    frames = int(SAMPLE_RATE * chunk_s)
    with sounddevice.InputStream(samplerate=SAMPLE_RATE, channels=1, dtype="float32", blocksize=frames) as stream:
        while True:
            data, _overflowed = stream.read(frames)
            yield data[:, 0].copy()


class ClipStore(Protocol):
    def save(self, name: str, audio: np.ndarray) -> str:
        """Store the clip; returns its URL (the transcript's audio_url)."""
        ...


class LocalClipStore:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def save(self, name: str, audio: np.ndarray) -> str:
        path = self.folder / f"{name}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(wav_bytes(audio))
        tmp.replace(path)
        return path.resolve().as_uri()


class BlobClipStore:
    """Clips in an Azure Blob container, addressed by a container SAS URL read from the environment."""

    def __init__(self, container_sas_url: str) -> None:
        try:
            from azure.storage.blob import ContainerClient
        except ImportError:
            raise missing_extra("azure-storage-blob", "blob") from None
        self._container = ContainerClient.from_container_url(container_sas_url)

    def save(self, name: str, audio: np.ndarray) -> str:
        from azure.storage.blob import ContentSettings

        blob = self._container.upload_blob(
            f"{name}.wav", wav_bytes(audio), overwrite=True, content_settings=ContentSettings("audio/wav")
        )
        return blob.url.split("?", 1)[0]  # never publish the SAS token


def clip_store(config) -> ClipStore | None:  # config: DeviceConfig (kept untyped to avoid an import cycle)
    """Where this device keeps clips, or None when ``audio_url_enabled`` is false (then no clip is kept)."""
    if not config.audio_url_enabled:
        return None
    if config.audio.blob_url_env:
        url = config.secret(config.audio.blob_url_env)
        if not url:
            raise ConfigError(f"audio.blob_url_env names ${config.audio.blob_url_env}, which is not set")
        return BlobClipStore(url)
    return LocalClipStore(config.path(config.audio.clip_dir))
