"""The Retail Advisor page in a real headless Chromium (Debian's chromium + chromium-driver, through
selenium): over the exports of the synthetic day's marts (as tests/expected_marts.py computes them), it
loads without console errors, draws its charts, and every number it shows is the export's. A screenshot
is kept in .scout/test-artifacts/dashboard.png."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import pytest

from include.dashboard import export
from include.local import synthetic
from include.settings import PROJECT_ROOT
from tests.dashboard_page import home_with_vendor, serving
from tests.expected_marts import EXPECTED

pytestmark = pytest.mark.e2e

ARTIFACTS = PROJECT_ROOT / ".scout" / "test-artifacts"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


def mart_rows(day: synthetic.SyntheticDay) -> dict[str, list[dict]]:
    """The marts' rows as dbt leaves them (brands asked about as one "a, b" string)."""
    summary = synthetic.expected_summary(day)
    rows = {"store_daily_metrics": [{"store_id": s, "metric_date": summary["date"], **m}
                                    for s, m in summary["stores"].items()]}  # fmt: skip
    rows |= {mart: compute(day) for mart, compute in EXPECTED.items()}
    for session in rows["customer_session_metrics"]:
        session["brands_asked"] = ", ".join(session["brands_asked"])
    for interaction in rows["sales_interactions_enriched"]:
        for listed in ("brands", "categories"):
            interaction[listed] = ", ".join(interaction[listed])
    return rows


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.fail("chromium and chromium-driver are not installed: make test installs them (as root)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1200,2400",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    yield driver
    driver.quit()


def load(driver, base: str) -> dict:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base}/")
    return WebDriverWait(driver, 30).until(lambda d: d.execute_script("return window.scoutDashboard || null"))


def shown(driver, metric: str, **key: str) -> str:
    from selenium.webdriver.common.by import By

    selector = f'td[data-metric="{metric}"]' + "".join(f'[data-{k}="{v}"]' for k, v in key.items())
    (element,) = driver.find_elements(By.CSS_SELECTOR, selector)
    return element.text


@pytest.fixture(scope="module")
def page(browser, tmp_path_factory):
    settings = home_with_vendor(tmp_path_factory.mktemp("dashboard") / "home")
    day = synthetic.generate()
    day.events += synthetic.unregistered_device()  # its interactions are shown, marked unregistered
    export.publish_all(settings, mart_rows(day).__getitem__, datetime(2026, 11, 3, 6, tzinfo=UTC))
    with serving(settings) as base:
        state = load(browser, base)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))
        yield browser, settings, state


def test_the_page_loads_without_console_errors_and_draws_its_charts(page):
    driver, _, state = page
    assert state == {"ready": True, "charts": 3}
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    for chart in ("stores-chart", "brands-chart", "sessions-chart"):
        painted = driver.execute_script(
            "const c = document.getElementById(arguments[0]);"
            "const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            "let n = 0; for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++; return n;",
            chart,
        )
        assert painted > 1000, f"{chart} drew {painted} pixels"
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000


def test_every_number_shown_is_the_exports(page):
    driver, settings, _ = page

    def document(name: str) -> dict:
        return json.loads((settings.export_dir / f"{name}.json").read_text())

    for store in document("store_daily_metrics")["stores"]:
        for day in store["days"]:
            for metric in ("interactions", "transcripts", "words", "avg_confidence", "active_hours"):
                assert shown(driver, metric, store=store["store_id"], date=day["date"]) == str(day[metric])
    for r in document("brand_performance_metrics")["rows"]:
        key = {"store": r["store_id"], "date": r["metric_date"], "brand": r["brand"]}
        assert shown(driver, "mentions", **key) == str(r["mentions"])
        assert shown(driver, "questions", **key) == str(r["questions"])
        assert shown(driver, "share_of_mentions", **key) == f"{r['share_of_mentions'] * 100:.1f}%"
    for r in document("device_performance_metrics")["rows"]:
        key = {"device": r["device_id"], "date": r["metric_date"]}
        assert shown(driver, "heartbeats", **key) == str(r["heartbeats"])
        assert shown(driver, "events", **key) == str(r["events"])
    sessions = document("customer_session_metrics")["rows"]
    for store in {r["store_id"] for r in sessions}:
        mine = [r for r in sessions if r["store_id"] == store]
        assert shown(driver, "sessions", store=store) == str(len(mine))
        assert shown(driver, "greeted_and_asked", store=store) == str(sum(r["greeted_and_asked"] for r in mine))
        assert shown(driver, "brands_asked", store=store) == ", ".join(
            sorted({b for r in mine for b in r["brands_asked"]})
        )
    interactions = document("sales_interactions_enriched")["rows"]
    assert {r["device_registered"] for r in interactions} == {True, False}
    for r in interactions:
        key = {"interaction": r["interaction_id"]}
        store = r["store_name"] if r["store_registered"] else f"{r['store_id']} (unregistered)"
        assert shown(driver, "store", **key) == store
        place = r["device_location"] if r["device_registered"] else f"{r['device_id']} (unregistered)"
        assert shown(driver, "device", **key) == place
        assert shown(driver, "zone", **key) == r["zone_id"]
        assert shown(driver, "duration_s", **key) == str(r["duration_s"])
    links = {
        a.get_attribute("data-audio"): a.get_attribute("href")
        for a in driver.find_elements("css selector", "a[data-audio]")
    }
    assert links == {line["transcript_id"]: line["audio_url"] for r in interactions for line in r["transcript_lines"]}
    brands_chart = driver.execute_script(
        "return Chart.getChart('brands-chart').data.datasets.map(d => [d.label, d.data.reduce((a, b) => a + b, 0)])"
    )
    mentions = {}
    for r in document("brand_performance_metrics")["rows"]:
        mentions[r["store_id"]] = mentions.get(r["store_id"], 0) + r["mentions"]
    assert dict(brands_chart) == mentions


def test_without_exports_the_page_says_so(browser, tmp_path):
    settings = home_with_vendor(tmp_path / "empty")
    with serving(settings) as base:
        state = load(browser, base)
    assert state == {"ready": False, "error": "exports/index.json: HTTP 404"}
    assert "could not load its exports: exports/index.json: HTTP 404" in browser.find_element("id", "error").text
