"""Rolling a configuration out to the fleet: the devices in scope (EdgeDeviceRegistry), the document each
should run, published through a channel, and the acknowledgements the devices send back in their
heartbeats.

Publishing is idempotent: a device whose published document already says what is wanted keeps its
version (a rerun of the rollback publishes nothing twice); one that needs a change gets the next version,
and EdgeDeviceRegistry records it (AudioUrlEnabled, ConfigVersion). A device is acknowledged once its
heartbeat reports that version or a later one (ConfigAckVersion); until then it is pending.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from include.errors import SettingsError
from include.fleet.channels import Channel
from include.retail_db import migrate


@dataclass(frozen=True)
class Device:
    device_id: str
    store_id: str  # the store's code
    audio_url_enabled: bool
    config_version: int | None  # the version last published to it
    ack_version: int | None  # the version its heartbeat last reported


@dataclass(frozen=True)
class Ack:
    """What a device's newest heartbeat says (from silver_device_heartbeat)."""

    config_version: int | None
    client_version: str | None
    seen_at: datetime


@dataclass
class RolloutReport:
    updated: list[str] = field(default_factory=list)  # got a new document (or would, in a dry run)
    unchanged: list[str] = field(default_factory=list)  # already had what is wanted
    acknowledged: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # published, not yet reported back by the device
    versions: dict[str, int] = field(default_factory=dict)  # device -> the version it should run

    def as_dict(self) -> dict[str, Any]:
        return {
            "updated": self.updated,
            "unchanged": self.unchanged,
            "acknowledged": self.acknowledged,
            "pending": self.pending,
            "versions": self.versions,
        }


def _tables(engine: sa.Engine) -> dict[str, sa.Table]:
    meta = sa.MetaData()
    return {n: sa.Table(n, meta, autoload_with=engine) for n in ("EdgeDeviceRegistry", "Stores", "Products")}


def _fleet(url: str, *columns: str) -> list[tuple]:
    """(DeviceID, StoreCode, *columns) of every active device."""
    engine = migrate.engine_for(url)
    try:
        t = _tables(engine)
        d, s = t["EdgeDeviceRegistry"], t["Stores"]
        query = sa.select(d.c.DeviceID, s.c.StoreCode, *(d.c[c] for c in columns))
        query = query.join_from(d, s, d.c.StoreID == s.c.StoreID).where(d.c.IsActive).order_by(d.c.DeviceID)
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(query)]
    finally:
        engine.dispose()


def check_scope(url: str, stores: Sequence[str] = (), devices: Sequence[str] = ()) -> None:
    """SettingsError naming any store or device EdgeDeviceRegistry has no active device for (checked
    before a rollback changes anything; reads only what every revision since 0005 has)."""
    fleet = _fleet(url)
    for kind, asked, known in (("store", stores, {s for _, s in fleet}), ("device", devices, {d for d, _ in fleet})):
        if unknown := sorted(set(asked) - known):
            raise SettingsError(
                f"{kind}s: {', '.join(unknown)} not among EdgeDeviceRegistry's active devices"
                f" (known: {', '.join(sorted(known))})"
            )


def devices_in_scope(url: str, stores: Sequence[str] = (), devices: Sequence[str] = ()) -> list[Device]:
    """The active devices of ``stores`` and ``devices`` (both empty: the whole fleet)."""
    check_scope(url, stores, devices)
    fleet = [Device(*row) for row in _fleet(url, "AudioUrlEnabled", "ConfigVersion", "ConfigAckVersion")]
    return [x for x in fleet if (not stores or x.store_id in stores) and (not devices or x.device_id in devices)]


def hotwords(url: str) -> list[str]:
    """The catalog's brands (active products), which every store's devices listen for."""
    engine = migrate.engine_for(url)
    try:
        products = _tables(engine)["Products"]
        with engine.connect() as conn:
            brands = conn.scalars(sa.select(products.c.Brand).where(products.c.IsActive).distinct())
            return sorted(brands)
    finally:
        engine.dispose()


def roll_out(
    url: str, channel: Channel, scope: Sequence[Device], audio_url_enabled: bool, *, dry_run: bool = False
) -> RolloutReport:
    """Publish to each device in scope the document it should run (see the module); a dry run decides and
    reports, publishing and recording nothing."""
    words = hotwords(url)
    report = RolloutReport()
    changes = []
    for device in scope:
        published = channel.read(device.device_id) or {}
        want = {"audio_url_enabled": audio_url_enabled, "hotwords": words}
        current = {k: published.get(k) for k in want}
        version = max(published.get("config_version", 0), device.config_version or 0)
        if current == want and device.audio_url_enabled == audio_url_enabled and version:
            report.unchanged.append(device.device_id)
            report.versions[device.device_id] = version
            continue
        report.updated.append(device.device_id)
        report.versions[device.device_id] = version + 1
        changes.append((device.device_id, {"device_id": device.device_id, "config_version": version + 1, **want}))
    if dry_run or not changes:
        return report
    engine = migrate.engine_for(url)
    try:
        registry = _tables(engine)["EdgeDeviceRegistry"]
        for device_id, document in changes:
            channel.publish(device_id, document)
            with engine.begin() as conn:  # recorded once published: a failed publish is retried by a rerun
                conn.execute(
                    sa.update(registry)
                    .where(registry.c.DeviceID == device_id)
                    .values(AudioUrlEnabled=audio_url_enabled, ConfigVersion=document["config_version"])
                )
    finally:
        engine.dispose()
    return report


def record_acks(url: str, acks: Mapping[str, Ack], *, dry_run: bool = False) -> None:
    """Store what the devices' newest heartbeats report: the configuration version they run, their client
    version and when they were last seen."""
    if dry_run or not acks:
        return
    engine = migrate.engine_for(url)
    try:
        registry = _tables(engine)["EdgeDeviceRegistry"]
        with engine.begin() as conn:
            for device_id, ack in acks.items():
                values: dict[str, Any] = {"LastSeenAtUtc": ack.seen_at}
                if ack.client_version:
                    values["ClientVersion"] = ack.client_version
                if ack.config_version is not None:
                    values |= {"ConfigAckVersion": ack.config_version, "ConfigAckAtUtc": ack.seen_at}
                conn.execute(sa.update(registry).where(registry.c.DeviceID == device_id).values(values))
    finally:
        engine.dispose()


def acknowledgements(report: RolloutReport, acks: Mapping[str, Ack]) -> RolloutReport:
    """Sort the report's devices into acknowledged (their heartbeat reports the version they should run,
    or a later one) and pending."""
    for device_id, version in report.versions.items():
        ack = acks.get(device_id)
        done = ack is not None and ack.config_version is not None and ack.config_version >= version
        (report.acknowledged if done else report.pending).append(device_id)
    return report
