"""The fleet's configuration channel for real: the platform publishes each device's document to Azure Blob
Storage (Azurite, through the Airflow provider's WasbHook and the Azure SDK), the device fetches its own
blob through a read-only SAS URL and applies it (scout_edge.fleet), EdgeDeviceRegistry records what was
published and what came back; a second rollout publishes nothing."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from azure.storage.blob import BlobSasPermissions, generate_blob_sas

from include.fleet import rollout
from include.fleet.channels import BlobChannel
from include.retail_db import migrate
from include.retail_db.seed import seed
from include.settings import Settings
from scout_edge import fleet
from scout_edge.config import load

STORE_1 = ["store-001-pi-01", "store-001-pi-02"]


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'retail_advisor.db'}"
    migrate.upgrade(url)
    seed(url)
    return url


@pytest.fixture
def channel(azurite, monkeypatch, tmp_path):
    """BlobChannel as the rollback DAG builds it: from the Airflow connection SCOUT_DEVICE_CONFIG_CONN_ID."""
    from include.orchestration.rollback import _channel

    connection_string = (
        f"DefaultEndpointsProtocol=http;AccountName={azurite.account};AccountKey={azurite.key};"
        f"BlobEndpoint={azurite.url};"
    )
    extra = {"connection_string": connection_string}
    monkeypatch.setenv("AIRFLOW_CONN_DEVICE_CONFIG", json.dumps({"conn_type": "wasb", "extra": extra}))
    container = f"fleet-{datetime.now(UTC):%H%M%S%f}"
    settings = replace(
        Settings(home=tmp_path), device_config_conn_id="device_config", device_config_container=container
    )
    built = _channel(settings)
    assert isinstance(built, BlobChannel)
    return built


def sas_url(channel: BlobChannel, azurite, device_id: str) -> str:
    """What a device is given: read access to its own blob only."""
    blob = channel.container.get_blob_client(f"{device_id}.json")
    token = generate_blob_sas(
        azurite.account,
        channel.container.container_name,
        blob.blob_name,
        account_key=azurite.key,
        permission=BlobSasPermissions(read=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    return f"{blob.url}?{token}"


def test_published_over_blob_fetched_by_the_device_and_recorded(db, channel, azurite, tmp_path):
    scope = rollout.devices_in_scope(db, stores=["store-001"])
    report = rollout.roll_out(db, channel, scope, audio_url_enabled=False)
    assert (report.updated, report.versions) == (STORE_1, dict.fromkeys(STORE_1, 1))
    assert channel.read("store-002-pi-01") is None  # outside the scope: nothing published

    device_file = tmp_path / "device.toml"
    device_file.write_text('device_id = "store-001-pi-01"\nstore_id = "store-001"\n')
    assert fleet.sync(sas_url(channel, azurite, "store-001-pi-01"), "store-001-pi-01", device_file) == 1
    config = load(device_file)
    assert (config.audio_url_enabled, config.config_version) == (False, 1)
    assert config.stt.hotwords == ["Alaska", "Bear Brand", "Lucky Me", "Nescafe", "Safeguard"]

    again = rollout.roll_out(db, channel, rollout.devices_in_scope(db, stores=["store-001"]), audio_url_enabled=False)
    assert (again.updated, again.unchanged) == ([], STORE_1)  # a rerun publishes nothing
    registry = {d.device_id: (d.audio_url_enabled, d.config_version) for d in rollout.devices_in_scope(db)}
    assert registry == {
        **dict.fromkeys(STORE_1, (False, 1)),
        "store-002-pi-01": (True, None),
        "store-002-pi-02": (True, None),
    }


def test_only_a_device_that_reports_the_version_counts_as_acknowledged(db, channel):
    report = rollout.roll_out(db, channel, rollout.devices_in_scope(db, stores=["store-001"]), audio_url_enabled=True)
    seen = datetime(2026, 12, 6, 8, 0)
    acks = {
        "store-001-pi-01": rollout.Ack(1, "0.2.0", seen),  # runs the published version
        "store-001-pi-02": rollout.Ack(None, "0.1.0", seen),  # alive, on an older client without the field
    }
    rollout.record_acks(db, acks)
    rollout.acknowledgements(report, acks)
    assert (report.acknowledged, report.pending) == (["store-001-pi-01"], ["store-001-pi-02"])
    devices = {d.device_id: d.ack_version for d in rollout.devices_in_scope(db, stores=["store-001"])}
    assert devices == {"store-001-pi-01": 1, "store-001-pi-02": None}


def test_an_unknown_store_or_device_is_named(db):
    from include.errors import SettingsError

    with pytest.raises(SettingsError, match=r"stores: store-404 not among .* \(known: store-001, store-002\)"):
        rollout.check_scope(db, stores=["store-404"])
    with pytest.raises(SettingsError, match="devices: pi-x not among"):
        rollout.check_scope(db, devices=["pi-x"])
