"""The Retail Advisor page in a real headless Chromium (Debian's chromium + chromium-driver, through
selenium): over the exports of the synthetic day's marts (as tests/expected_marts.py computes them), it
loads without console errors, draws its charts, and every number it shows is the export's. A screenshot
is kept in .scout/test-artifacts/dashboard.png."""

from __future__ import annotations

import json
import math
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
    rows = mart_rows(day)
    # The synthetic day's devices never went offline, spooled or missed a figure: give two of them the
    # values whose conversions the page does (a half minute rounds up, as Math.round; hours to one place)
    # and the missing ones it shows as a dash.
    rows["device_performance_metrics"][0] |= {"offline_s": 5430, "max_spool_depth": 37, "max_uptime_s": 12345.0}
    rows["device_performance_metrics"][1] |= {
        "max_uptime_s": None,
        "offline_s": None,
        "avg_transcript_confidence": None,
    }
    export.publish_all(settings, rows.__getitem__, datetime(2026, 11, 3, 6, tzinfo=UTC))
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


def js_text(value) -> str:
    """What the page's cell() shows for an export's value: JavaScript's String(), an en dash for a missing one."""
    if value is None:
        return "\N{EN DASH}"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def js_round(value: float) -> int:
    return math.floor(value + 0.5)  # Math.round (Python's round() rounds half to even)


def chart(driver, chart_id: str) -> dict:
    return driver.execute_script(
        "const c = Chart.getChart(arguments[0]);"
        "return {labels: c.data.labels, datasets: c.data.datasets.map(d => [d.label, d.data])};",
        chart_id,
    )


def test_the_other_columns_every_table_row_and_every_chart_are_the_exports(page):
    """What test_every_number_shown_is_the_exports leaves: brand sentiment, each device's uptime, offline time,
    spool depth and confidence, the sessions' mean duration, each interaction's start, sentiment, brands and
    lines, one table row per export row, and the three charts' labels and datasets."""
    from selenium.webdriver.common.by import By

    driver, settings, _ = page

    def document(name: str) -> dict:
        return json.loads((settings.export_dir / f"{name}.json").read_text())

    def rows_in(section: str) -> int:
        return len(driver.find_elements(By.CSS_SELECTOR, f"#{section} tbody tr"))

    stores = document("store_daily_metrics")["stores"]
    assert rows_in("stores") == sum(len(s["days"]) for s in stores)
    dates = sorted({d["date"] for s in stores for d in s["days"]})
    assert chart(driver, "stores-chart") == {
        "labels": dates,
        "datasets": [
            [s["store_id"], [next((d["interactions"] for d in s["days"] if d["date"] == day), 0) for day in dates]]
            for s in stores
        ],
    }

    brands = document("brand_performance_metrics")["rows"]
    assert rows_in("brands") == len(brands)
    for r in brands:
        key = {"store": r["store_id"], "date": r["metric_date"], "brand": r["brand"]}
        assert shown(driver, "avg_sentiment", **key) == js_text(r["avg_sentiment"])
    names, store_ids = sorted({r["brand"] for r in brands}), sorted({r["store_id"] for r in brands})
    assert chart(driver, "brands-chart") == {
        "labels": names,
        "datasets": [
            [s, [sum(r["mentions"] for r in brands if r["store_id"] == s and r["brand"] == b) for b in names]]
            for s in store_ids
        ],
    }

    devices = document("device_performance_metrics")["rows"]
    assert rows_in("devices") == len(devices)
    first = {"device": devices[0]["device_id"], "date": devices[0]["metric_date"]}
    assert [shown(driver, m, **first) for m in ("offline_min", "max_spool_depth", "max_uptime_h")] == [
        "91",
        "37",
        "3.4",
    ]
    for r in devices:
        key = {"device": r["device_id"], "date": r["metric_date"]}
        uptime = None if r["max_uptime_s"] is None else f"{r['max_uptime_s'] / 3600:.1f}"
        assert shown(driver, "max_uptime_h", **key) == js_text(uptime)
        offline = None if r["offline_s"] is None else js_round(r["offline_s"] / 60)
        assert shown(driver, "offline_min", **key) == js_text(offline)
        assert shown(driver, "max_spool_depth", **key) == js_text(r["max_spool_depth"])
        assert shown(driver, "avg_transcript_confidence", **key) == js_text(r["avg_transcript_confidence"])

    sessions = document("customer_session_metrics")["rows"]
    by_store = sorted({r["store_id"] for r in sessions})
    assert rows_in("sessions") == len(by_store)
    for store in by_store:
        mine = [r for r in sessions if r["store_id"] == store]
        assert shown(driver, "avg_duration_s", store=store) == str(
            js_round(sum(r["duration_s"] for r in mine) / len(mine))
        )
    assert chart(driver, "sessions-chart") == {
        "labels": by_store,
        "datasets": [
            ["sessions", [sum(r["store_id"] == s for r in sessions) for s in by_store]],
            [
                "greeted + asked",
                [sum(r["store_id"] == s and r["greeted_and_asked"] for r in sessions) for s in by_store],
            ],
        ],
    }

    interactions = document("sales_interactions_enriched")["rows"]
    assert rows_in("interactions") == len(interactions)
    for number, r in enumerate(interactions):
        key = {"interaction": r["interaction_id"]}
        assert shown(driver, "avg_sentiment", **key) == js_text(r["avg_sentiment"])
        assert shown(driver, "brands", **key) == ", ".join(r["brands"])
        row = driver.find_elements(By.CSS_SELECTOR, "#interactions tbody tr")[number]
        started = r["started_at_utc"].replace("T", " ").removesuffix("Z")
        assert row.find_elements(By.TAG_NAME, "td")[0].text == started
        said = [(li.get_attribute("data-transcript"), li.text) for li in row.find_elements(By.CSS_SELECTOR, "li")]
        assert said == [
            (line["transcript_id"], f"{line['text']} {'clip' if line['audio_url'] else 'no clip'}")
            for line in r["transcript_lines"]
        ]


def test_without_exports_the_page_says_so(browser, tmp_path):
    settings = home_with_vendor(tmp_path / "empty")
    with serving(settings) as base:
        state = load(browser, base)
    assert state == {"ready": False, "error": "exports/index.json: HTTP 404"}
    assert "could not load its exports: exports/index.json: HTTP 404" in browser.find_element("id", "error").text
