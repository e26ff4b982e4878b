"""The dashboard's server serves the page, the exports and the vendored library, and nothing else."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import httpx
import pytest

from include.dashboard.export import write_json_atomic
from include.dashboard.server import make_server
from include.errors import EnvironmentNotReady, SettingsError
from include.settings import Settings
from tests.dashboard_page import home_with_vendor, serving


@pytest.fixture
def site(tmp_path):
    settings = home_with_vendor(tmp_path / "home")
    write_json_atomic(settings.export_dir / "index.json", {"exports": []})
    (tmp_path / "secret.txt").write_text("not for the web")
    with serving(settings) as base:
        yield base


def test_the_page_the_exports_and_the_library_are_served(site):
    page = httpx.get(f"{site}/")
    assert page.status_code == 200 and "<title>Retail Advisor" in page.text
    assert httpx.get(f"{site}/exports/index.json").json() == {"exports": []}
    library = httpx.get(f"{site}/vendor/chart.umd.js")
    assert library.status_code == 200 and "Chart" in library.text[:2000]
    assert page.headers["cache-control"] == "no-store"


def raw_get(base: str, path: str) -> tuple[int, bytes]:
    """GET ``path`` exactly as written: an HTTP client library would resolve the dot segments first
    (``/exports/../x`` becomes ``/x``), so the server would never see the traversal."""
    url = urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path", ["/exports/../../secret.txt", "/exports/%2e%2e/%2e%2e/secret.txt",
                                  "/exports/", "/nope.js", "/vendor/"])  # fmt: skip
def test_nothing_outside_the_three_folders_and_no_listings(site, path):
    status, body = raw_get(site, path)
    assert status == 404 and b"not for the web" not in body


def test_a_missing_library_names_the_make_target(tmp_path):
    with pytest.raises(EnvironmentNotReady, match="make dashboard-vendor"):
        make_server(Settings(home=tmp_path), 0)


def test_a_port_in_use_is_one_clear_error(tmp_path):
    settings = home_with_vendor(tmp_path / "home")
    first = make_server(settings, 0)
    try:
        with pytest.raises(SettingsError, match=r"cannot listen on 127.0.0.1:\d+ .*pick another --port"):
            make_server(settings, first.server_address[1])
    finally:
        first.server_close()
