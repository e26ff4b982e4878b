"""Device health for the heartbeat, read from /proc and /sys (Linux; the Pi's SoC sensor is thermal_zone0)."""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from scout_edge.config import DeviceConfig
from scout_edge.contract import Heartbeat, UtcTimestamp, to_iso, utc_now_iso
from scout_edge.spool import SpoolStats


def _uptime_s() -> float:
    try:
        return float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return time.monotonic()


def _mem_used_pct() -> float:
    try:
        info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line)
        total = int(info["MemTotal"].split()[0])
        available = int(info["MemAvailable"].split()[0])
        return round(100 * (total - available) / total, 1)
    except (OSError, KeyError, ValueError, ZeroDivisionError):
        return 0.0


def cpu_temp_c(root: Path = Path("/sys/class/thermal")) -> float | None:
    """The SoC temperature where the board exposes one (Raspberry Pi: thermal_zone0), else None."""
    for zone in sorted(root.glob("thermal_zone*")):
        try:
            return round(int((zone / "temp").read_text().strip()) / 1000, 1)
        except (OSError, ValueError):
            continue
    return None


def collect(config: DeviceConfig, spool: SpoolStats, disk_path: Path) -> Heartbeat:
    disk = shutil.disk_usage(disk_path)
    last = spool.last_publish_ts
    return Heartbeat(
        device_id=config.device_id,
        store_id=config.store_id,
        ts=utc_now_iso(),
        uptime_s=round(_uptime_s(), 1),
        cpu_load=round(os.getloadavg()[0], 2),
        mem_used_pct=_mem_used_pct(),
        disk_used_pct=round(100 * disk.used / disk.total, 1),
        client_version=version("scout-edge"),
        location=config.location,
        spool_depth=spool.depth,
        cpu_temp_c=cpu_temp_c(),
        last_publish_ts=None if last is None else UtcTimestamp(to_iso(datetime.fromtimestamp(last, UTC))),
        config_version=config.config_version or None,
    )
