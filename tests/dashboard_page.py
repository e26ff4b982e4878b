"""Shared by the dashboard tests: the page's server on a free loopback port over a given SCOUT_HOME."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from include.dashboard.server import make_server, vendor_dir
from include.settings import PROJECT_ROOT, Settings
from tests.ports import free_port


def home_with_vendor(home: Path) -> Settings:
    """A SCOUT_HOME whose vendored Chart.js is the one `make dashboard-vendor` fetched."""
    home.mkdir(exist_ok=True)
    settings = Settings(home=home)
    vendor_dir(settings).symlink_to(vendor_dir(Settings(home=PROJECT_ROOT / ".scout")), target_is_directory=True)
    return settings


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    server = make_server(settings, free_port())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
