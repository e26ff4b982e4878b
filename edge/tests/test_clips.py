"""Audio clips in Azure Blob Storage (against Azurite, the Azure Storage emulator, through the real SDK)."""

from __future__ import annotations

import io
import wave
from datetime import UTC, datetime, timedelta

import pytest
from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas

from scout_edge.audio import BlobClipStore, clip_store, load_audio
from scout_edge.config import load
from scout_edge.errors import ConfigError
from scout_edge.stt import FasterWhisperEngine, Transcriber, segment


@pytest.fixture
def container_sas_url(azurite):
    service = BlobServiceClient(azurite.url, credential={"account_name": azurite.account, "account_key": azurite.key})
    container = service.create_container(f"clips-{datetime.now(UTC):%H%M%S%f}")
    sas = generate_container_sas(
        azurite.account,
        container.container_name,
        account_key=azurite.key,
        permission=ContainerSasPermissions(create=True, write=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    return container, f"{container.url}?{sas}"


def test_transcripts_point_at_their_clip_in_blob_storage(speech, device_file, container_sas_url, monkeypatch):
    container, url = container_sas_url
    monkeypatch.setenv("SCOUT_EDGE_BLOB_URL", url)
    config = load(device_file('[audio]\nblob_url_env = "SCOUT_EDGE_BLOB_URL"\n'))
    store = clip_store(config)
    assert isinstance(store, BlobClipStore)

    audio = load_audio(speech["greeting"])
    (event,) = Transcriber(config, FasterWhisperEngine(config.stt), store).events(
        segment(audio, config.stt), datetime(2026, 11, 2, 10, tzinfo=UTC)
    )
    assert event.audio_url == f"{container.url}/pi-test-1/20261102/{event.event_id}.wav"
    assert "sig=" not in event.audio_url  # the SAS token never leaves in an event

    blob = container.get_blob_client(f"pi-test-1/20261102/{event.event_id}.wav")
    assert blob.get_blob_properties().content_settings.content_type == "audio/wav"
    with wave.open(io.BytesIO(blob.download_blob().readall())) as clip:
        assert (clip.getframerate(), clip.getnchannels()) == (16000, 1)
        assert 1.0 < clip.getnframes() / 16000 < len(audio) / 16000 + 0.1


def test_a_blob_setting_without_its_variable_is_a_config_error(device_file, monkeypatch):
    monkeypatch.delenv("SCOUT_EDGE_BLOB_URL", raising=False)
    config = load(device_file('[audio]\nblob_url_env = "SCOUT_EDGE_BLOB_URL"\n'))
    with pytest.raises(ConfigError, match=r"names \$SCOUT_EDGE_BLOB_URL, which is not set"):
        clip_store(config)
