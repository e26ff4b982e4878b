"""The slice end to end through Airflow (dag.test on SQLite), twice: exact counts, exact export, no dupes."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime

import pytest
import sqlalchemy as sa
import yaml

from include.dashboard.export import INDEX, MART
from include.local import synthetic
from include.settings import DBT_PROJECT_DIR
from include.spark_jobs.silver import specs
from include.spark_jobs.tables import keys, locate
from tests.expected import table_counts
from tests.expected_marts import EXPECTED, LINES, exported

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def expected() -> dict:
    return synthetic.expected_summary(synthetic.generate())


def test_every_table_holds_exactly_what_the_input_implies(first_run, expected):
    counts, _ = first_run
    assert counts == table_counts(expected)


def test_an_independent_delta_reader_sees_the_same_rows(first_run, settings):
    from deltalake import DeltaTable

    counts, _ = first_run
    seen = {table: DeltaTable(str(locate(settings, table).path)).to_pyarrow_dataset().count_rows() for table in counts}
    assert seen == counts


def test_the_dashboard_export_matches_the_synthetic_input(first_run, expected):
    _, document = first_run
    assert document["source"] == "scout_marts.store_daily_metrics"
    got = {
        store["store_id"]: {k: v for k, v in store["days"][0].items() if k != "date"} for store in document["stores"]
    }
    assert got == expected["stores"]
    assert {day["date"] for store in document["stores"] for day in store["days"]} == {expected["date"]}


@pytest.mark.parametrize("mart", sorted(EXPECTED))
def test_each_mart_export_equals_an_independent_computation(first_run, settings, mart):
    assert exported(settings.export_dir, mart) == EXPECTED[mart](synthetic.generate())


def test_the_index_lists_every_export(first_run, settings):
    index = json.loads((settings.export_dir / INDEX).read_text())
    assert [e["name"] for e in index["exports"]] == [MART, *EXPECTED]
    assert {e["name"]: e["rows"] for e in index["exports"]} == {
        MART: 2,  # a store-day per store
        **{mart: len(compute(synthetic.generate())) for mart, compute in EXPECTED.items()},
    }


def test_the_demo_summary_lists_every_mart_with_its_rows(first_run, settings):
    from include.local.demo import _mart_lines

    lines = "\n".join(_mart_lines(settings))
    day = synthetic.generate()
    for mart, compute in EXPECTED.items():
        assert f"scout_marts.{mart}" in lines and f"{len(compute(day)):>4} rows  -> {mart}.json" in lines
    top = max(EXPECTED["brand_performance_metrics"](day), key=lambda r: r["mentions"])
    assert f"most named: {top['brand']} at {top['store_id']} ({top['mentions']} mentions" in lines
    assert lines.endswith("dashboard: `make dashboard`, then http://127.0.0.1:8050/ (the page over these exports)")


def utc_z(value: datetime | str) -> str:
    """A database's naive UTC time (SQLite returns it as text) as the exports write it."""
    value = datetime.fromisoformat(value) if isinstance(value, str) else value
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def interactions_in(url: str) -> dict[str, dict]:
    """RetailAdvisorDB's interactions as the sync wrote them: per device|session its store, span, lines and
    brand mentions."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    found: dict[str, dict] = {}
    with engine.connect() as conn:
        for device, session, store, start, end in conn.exec_driver_sql(
            'SELECT i."DeviceID", i."SessionID", s."StoreCode", i."SessionStart", i."SessionEnd"'
            ' FROM "SalesInteractions" i JOIN "Stores" s ON s."StoreID" = i."StoreID"'
        ):
            found[f"{device}|{session}"] = {"store": store, "span": (utc_z(start), utc_z(end))}
            found[f"{device}|{session}"] |= {"lines": {}, "brands": {}}
        for key, *line in conn.exec_driver_sql(
            'SELECT i."DeviceID" || \'|\' || i."SessionID", t."EventID", t."TranscriptText", t."Confidence",'
            ' t."WordCount", t."LangCode", t."AudioURL" FROM "SalesInteractionTranscripts" t'
            ' JOIN "SalesInteractions" i ON i."InteractionID" = t."InteractionID"'
        ):
            found[key]["lines"][line[0]] = tuple(line[1:])
        for key, brand, mentions in conn.exec_driver_sql(
            'SELECT i."DeviceID" || \'|\' || i."SessionID", b."Brand", b."MentionCount"'
            ' FROM "SalesInteractionBrands" b JOIN "SalesInteractions" i ON i."InteractionID" = b."InteractionID"'
        ):
            found[key]["brands"][brand] = mentions
    engine.dispose()
    return found


def interactions_expected(day: synthetic.SyntheticDay) -> dict[str, dict]:
    expected = {}
    for r in EXPECTED["sales_interactions_enriched"](day):
        lines = r["transcript_lines"]
        expected[r["interaction_id"]] = {
            "store": r["store_id"],
            "span": (r["started_at_utc"], r["ended_at_utc"]),
            "lines": {
                x["transcript_id"]: (x["text"], x["confidence"], x["word_count"], x["lang_code"], x["audio_url"])
                for x in lines
            },
            "brands": {b: sum(x["brand"] == b for x in lines) for b in r["brands"]},
        }
    return expected


def test_the_lakehouse_mirrors_retail_advisor_dbs_reference_data(first_run, settings, spark):
    from include.retail_db import sync
    from include.retail_db.config import default_url
    from include.spark_jobs.sinks import read_table

    for table, rows in sync.read_reference(default_url(settings)).items():
        key = keys(table)[0]
        mirrored = {r[key]: r.asDict() for r in read_table(spark, locate(settings, table)).drop("synced_at").collect()}
        assert mirrored == {r[key]: {**r, "deleted_in_source": False} for r in rows}, table
        assert rows or table == "ref_customers", f"the seed has no {table}"  # it loads no customers


def test_every_interaction_reached_retail_advisor_db(first_run, settings):
    from include.retail_db.config import default_url

    assert interactions_in(default_url(settings)) == interactions_expected(synthetic.generate())


def test_postgresql_gets_the_same_interactions_and_a_rerun_writes_nothing(first_run, settings, spark, postgres_url):
    from include.retail_db import lake, migrate, sync
    from include.retail_db.seed import seed

    migrate.upgrade(postgres_url)
    seed(postgres_url)
    expected = interactions_expected(synthetic.generate())
    first = sync.write_sessions(postgres_url, lake.sessions_since(settings, None))
    assert (first.interactions.inserted, first.skipped) == (len(expected), [])
    assert interactions_in(postgres_url) == expected
    again = sync.write_sessions(postgres_url, lake.sessions_since(settings, sync.watermark(postgres_url)))
    written = [again.interactions, again.transcripts, again.brands]
    assert [(w.inserted, w.updated) for w in written] == [(0, 0)] * 3
    assert again.interactions.unchanged == len(expected)  # re-read within the look-back, left alone


def test_the_dbt_unit_tests_pass(first_run, settings):
    """The marts' dbt unit tests, which the scheduled builds leave out (DBT_SCHEDULED_EXCLUDE), all run and pass
    here, on the warehouse the first run built (their models' parents must exist)."""
    declared = {
        f"PASS {test['model']}::{test['name']}"
        for spec in (DBT_PROJECT_DIR / "models").rglob("*.yml")
        for test in (yaml.safe_load(spec.read_text()) or {}).get("unit_tests", [])
    }
    result = subprocess.run(
        [
            str(settings.dbt_executable), "test", "--select", "test_type:unit",
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(settings.home / "dbt-unit-target"), "--log-path", str(settings.home / "dbt-logs"),
        ],
        env={**os.environ, "SCOUT_HOME": str(settings.home), "SPARK_LOCAL_IP": "127.0.0.1"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    assert len(declared) >= 5, declared
    assert {line for line in declared if line in result.stdout} == declared, result.stdout[-3000:]


def test_a_second_run_adds_exactly_the_late_transcript(first_run, second_run):
    counts, _ = first_run
    day, _, _, again = second_run
    expected = table_counts(synthetic.expected_summary(day))
    # gold_dq_metrics: the second micro-batch held transcripts only: a row per transcript rule, and the dedupe.
    expected["gold_dq_metrics"] = counts["gold_dq_metrics"] + len(specs.TRANSCRIPTS.expectations) + 1
    assert again == expected
    assert again["silver_transcripts"] == counts["silver_transcripts"] + 1


def test_the_second_runs_incremental_sync_brings_the_late_transcript_to_retail_advisor_db(second_run, settings):
    """The slice's sync_interactions is incremental (from the watermark the first run left): the late
    transcript's session is rewritten with it, and every interaction is still there once."""
    from include.retail_db import sync
    from include.retail_db.config import default_url

    day, late, session, _ = second_run
    url = default_url(settings)
    found = interactions_in(url)
    assert found == interactions_expected(day)
    (key,) = [k for k in found if k.endswith(f"|{session['session_id']}")]
    assert found[key]["lines"][late.event_id][0] == late.text
    assert sync.watermark(url) is not None  # the run was an incremental one, from a watermark


def test_after_the_second_run_every_mart_is_the_day_plus_the_late_transcript(second_run, settings):
    day, late, session, _ = second_run
    for mart, compute in EXPECTED.items():
        assert exported(settings.export_dir, mart) == compute(day), mart  # incremental: no duplicates, late row in
    sessions = exported(settings.export_dir, "customer_session_metrics")
    (row,) = [r for r in sessions if r["session_id"] == session["session_id"]]
    assert row["transcripts"] == session["transcripts"] + 1
    assert LINES[late.text][1] in row["brands_asked"]
    document = json.loads((settings.export_dir / f"{MART}.json").read_text())
    assert {s["store_id"]: s["days"][0]["transcripts"] for s in document["stores"]} == {
        store: m["transcripts"] for store, m in synthetic.expected_summary(day)["stores"].items()
    }
