"""The Retail Advisor page, served locally: `make dashboard` (or `python -m include.dashboard`).

One small read-only HTTP server on 127.0.0.1 serves three folders under fixed prefixes, nothing else:
  /            the page (include/dashboard/page: index.html, app.js, style.css)
  /exports/    the published exports (SCOUT_HOME/exports: index.json and one document per mart)
  /vendor/     the charting library, vendored from npm by `make dashboard-vendor` (Chart.js UMD build)
Everything works offline: the page loads nothing from outside.
"""

from __future__ import annotations

import logging
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from include.errors import EnvironmentNotReady, SettingsError
from include.settings import Settings

log = logging.getLogger(__name__)

PAGE_DIR = Path(__file__).parent / "page"
VENDOR_FILE = "chart.umd.js"


def vendor_dir(settings: Settings) -> Path:
    return settings.home / "dashboard-vendor"


class DashboardHandler(SimpleHTTPRequestHandler):
    """Maps the URL prefixes to their folders; a path outside them, or escaping one, is a 404."""

    def __init__(self, *args, roots: dict[str, Path], **kwargs) -> None:
        self.roots = roots
        super().__init__(*args, directory=str(PAGE_DIR), **kwargs)

    def translate_path(self, path: str) -> str:
        url_path = unquote(urlsplit(path).path)
        for prefix, root in self.roots.items():
            if url_path == prefix.rstrip("/") or url_path.startswith(prefix):
                relative = url_path[len(prefix) :].lstrip("/") or "index.html"
                target = (root / relative).resolve()
                if target.is_relative_to(root.resolve()):
                    return str(target)
        return str(PAGE_DIR / "__not_found__")

    def list_directory(self, path):  # no listings: only the files the page asks for
        self.send_error(HTTPStatus.NOT_FOUND)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # a re-published export shows on reload
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        log.info("%s %s", self.address_string(), format % args)


def make_server(settings: Settings, port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    vendored = vendor_dir(settings) / VENDOR_FILE
    if not vendored.exists():
        raise EnvironmentNotReady(f"{vendored} is missing; fetch the charting library with `make dashboard-vendor`")
    roots = {"/exports/": settings.export_dir, "/vendor/": vendor_dir(settings), "/": PAGE_DIR}
    try:
        return ThreadingHTTPServer((host, port), partial(DashboardHandler, roots=roots))
    except OSError as error:
        raise SettingsError(f"cannot listen on {host}:{port} ({error.strerror}); pick another --port") from None
