"""The AudioURL rollback DAG (dag.test) on the slice's lake, after tests/e2e/test_slice.py's two runs (this
module's name sorts after it; its fixture asks for the second run, so the lake is the slice's whatever
runs first): a dry run changes nothing anywhere; deprecate, restore for one store's devices, then for
all: at the end every AudioURL is what the devices sent, row for row at every layer, nothing lost in
between, and the validation's sample nowhere (it ran in a scratch copy); devices outside the scope keep
their configuration; a device that did not acknowledge is pending; bad params are refused at trigger
time."""

from __future__ import annotations

import json
import sqlite3
from functools import reduce

import pytest
import sqlalchemy as sa
from airflow.sdk.exceptions import ParamValidationError
from pyspark.sql import functions as F

from include.atomic import write_atomic
from include.errors import PipelineStepFailed
from include.local.airflow import run_dag
from include.retail_db.config import default_url
from include.rollback.pipeline import land_sample
from include.rollback.pipeline import sample as rollback_sample
from include.settings import DAGS_DIR
from include.spark_jobs import flags, sinks
from include.spark_jobs.tables import (
    ALL_TABLES,
    BRONZE_TABLES,
    REFERENCE_TABLES,
    SILVER_TRANSCRIPTS,
    locate,
    locate_mart,
)
from scout_edge import fleet
from scout_edge.config import load
from scout_edge.contract import Transcript
from scout_edge.heartbeat import collect
from scout_edge.spool import Spool
from tests.sql import rows

pytestmark = pytest.mark.e2e

DAG_ID = "scout_audio_url_rollback"
STORE_1 = ["store-001-pi-01", "store-001-pi-02"]
STORE_2 = ["store-002-pi-01", "store-002-pi-02"]
MARTS = (
    "sales_interactions_enriched",
    "customer_session_metrics",
    "store_daily_metrics",
    "brand_performance_metrics",
    "device_performance_metrics",
)


def rollback(**conf) -> dict:
    """A run of the DAG with ``conf``: its report, and each task's state under "tasks"."""
    run = run_dag(DAG_ID, conf={"dry_run": False, "validate_with_sample": True, **conf})
    tasks = {ti.task_id: ti for ti in run.get_task_instances()}
    return tasks["report"].xcom_pull(task_ids="report") | {"tasks": {t: ti.state for t, ti in tasks.items()}}


@pytest.fixture(scope="module")
def lake(second_run, settings):
    """The slice's lake, and every AudioURL its devices sent (the day and the late line)."""
    day, late, _, _ = second_run
    sent = {e.event_id: e.audio_url for e in [*day.events, late] if isinstance(e, Transcript)}
    return settings, sent


def database_dump(url: str) -> str:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return "\n".join(conn.iterdump())


def delta_versions(settings) -> dict[str, int]:
    paths = [locate(settings, t).path for t in (*ALL_TABLES, *REFERENCE_TABLES)]
    paths += [locate_mart(settings, "sales_interactions_enriched").path]
    return {p.name: max(int(f.stem) for f in (p / "_delta_log").glob("*.json")) for p in paths}


def state(settings) -> dict:
    """Everything a rollback may change: the database, the lake's table versions, the devices'
    documents, the exports, the stream's flags."""
    files = lambda folder: {f.name: f.read_text() for f in sorted(folder.glob("*"))} if folder.exists() else {}  # noqa: E731
    return {
        "database": database_dump(default_url(settings)),
        "lake": delta_versions(settings),
        "devices": files(settings.device_config_dir),
        "exports": files(settings.export_dir),
        "flags": flags.read(settings),
    }


def silver_urls(spark, settings) -> dict[str, str | None]:
    rows = sinks.read_table(spark, locate(settings, SILVER_TRANSCRIPTS)).select("event_id", "audio_url").collect()
    return {r.event_id: r.audio_url for r in rows}


def exported_urls(settings) -> dict[str, str | None]:
    rows = json.loads((settings.export_dir / "sales_interactions_enriched.json").read_text())["rows"]
    return {line["transcript_id"]: line["audio_url"] for row in rows for line in row["transcript_lines"]}


def database_urls(settings) -> dict[str, str | None] | None:
    """EventID -> AudioURL in RetailAdvisorDB; None while the column is gone."""
    engine = sa.create_engine(default_url(settings), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("SalesInteractionTranscripts")}
        found = None
        if "AudioURL" in columns:
            found = dict(conn.exec_driver_sql('SELECT "EventID", "AudioURL" FROM "SalesInteractionTranscripts"').all())
    engine.dispose()
    return found


def archived_urls(settings) -> dict[str, str]:
    return dict(
        rows(
            default_url(settings),
            'SELECT t."EventID", a."AudioURL" FROM "SalesInteractionTranscripts_AudioURLArchive" a'
            ' JOIN "SalesInteractionTranscripts" t ON t."TranscriptID" = a."TranscriptID"',
        )
    )


def device_documents(settings) -> dict[str, tuple[int, bool]]:
    docs = {f.stem: json.loads(f.read_text()) for f in settings.device_config_dir.glob("*.json")}
    return {d: (doc["config_version"], doc["audio_url_enabled"]) for d, doc in docs.items()}


def registry(settings) -> dict[str, tuple]:
    sql = 'SELECT "DeviceID", "AudioUrlEnabled", "ConfigVersion", "ConfigAckVersion" FROM "EdgeDeviceRegistry"'
    return {r[0]: (bool(r[1]), r[2], r[3]) for r in rows(default_url(settings), sql)}


@pytest.mark.parametrize(
    ("conf", "param"),
    [
        ({"direction": "sideways"}, "direction"),
        ({"dry_run": "no"}, "dry_run"),
        ({"stores": "store-001"}, "stores"),
        ({"devices": ["bad device id"]}, "devices"),
        ({"validate_with_sample": 3}, "validate_with_sample"),
    ],
)
def test_a_bad_param_is_refused_before_the_run(lake, conf, param):
    from airflow.dag_processing.dagbag import DagBag

    settings, _ = lake
    before = state(settings)
    dag = DagBag(dag_folder=DAGS_DIR / f"{DAG_ID}.py").get_dag(DAG_ID)
    with pytest.raises(ParamValidationError, match=param):
        dag.test(run_conf=conf)
    assert state(settings) == before


def test_an_unknown_store_fails_the_first_step_naming_it(lake):
    settings, _ = lake
    before = state(settings)
    with pytest.raises(PipelineStepFailed, match="failed: database; not run: "):
        rollback(stores=["store-404"], direction="deprecate")
    assert state(settings) == before


def test_a_dry_run_changes_nothing_and_says_what_it_would(lake):
    settings, sent = lake
    before = state(settings)
    report = rollback(direction="deprecate", dry_run=True)
    assert state(settings) == before
    assert report["database"]["steps"] == ["downgrade 0012", "downgrade 0010"]
    assert report["pipeline"]["silver_rows_to_change"] == sum(url is not None for url in sent.values())
    assert report["devices"]["updated"] == STORE_1 + STORE_2


def test_the_repair_takes_out_the_sample_an_older_validation_left(lake, spark):
    """Before the validation had a scratch copy, it landed the sample in production's landing zone and the
    next run took it everywhere. The repair's dry run counts it per table and changes nothing; the repair
    leaves every table, mart, gold value and database row as it was before the sample came. (Before the
    rollback runs below: the marts are current here, so the slice run adds nothing but the sample.)"""
    from include.local.demo import SLICE_DAG_ID
    from include.rollback import repair

    settings, _ = lake
    url = default_url(settings)
    rows_before, sessions_before = table_rows(spark, settings), database_sessions(settings)
    gold_before = gold_values(spark, settings)
    land_sample(settings)  # what a validated rollback did until now
    run_dag(SLICE_DAG_ID)
    assert table_rows(spark, settings) != rows_before  # the sample went in ...
    spread = sample_sessions(spark, settings)
    assert {"sales_interactions_enriched.json", "RetailAdvisorDB", "silver_transcripts"} <= set(spread)

    before = state(settings)
    found = repair.find(spark, settings, url)
    assert state(settings) == before  # the dry run changes nothing
    exports = {place: n for place, n in found.items() if place.endswith(".json")}
    assert exports and all(exports.values())
    # Six transcripts in three sessions, each naming one catalog brand; no fused row (no counter-zone
    # sighting) and no speech x vision pair (no camera event that day).
    assert {place: n for place, n in found.items() if place not in exports} == {
        "landing zone: eh-pi-stt-raw/rollback-sample.jsonl": 6,
        BRONZE_TABLES[Transcript.hub]: 6,
        SILVER_TRANSCRIPTS: 6,
        "sales_interactions_enriched": 3,
        "customer_session_metrics": 3,
        "SalesInteractionBrands": 3,
        "SalesInteractionTranscripts": 6,
        "SalesInteractions": 3,
    }

    assert repair.repair(spark, settings, url) == found
    assert sample_sessions(spark, settings) == {}
    assert table_rows(spark, settings) == rows_before
    assert gold_values(spark, settings) == gold_before
    assert database_sessions(settings) == sessions_before
    assert repair.find(spark, settings, url) == {}  # run again, it finds nothing


def test_deprecate_then_restore_loses_nothing(lake, spark):
    """Three runs: deprecate (validated with the sample), restore one store's devices, restore all (validated
    again); the restores must fill silver back from bronze, so what arrived while deprecated is not lost.
    Afterwards every table and the database hold what they held before plus the one heartbeat a device
    sent in between, and the sample is nowhere."""
    settings, sent = lake
    rows_before, sessions_before = table_rows(spark, settings), database_sessions(settings)

    deprecated = rollback(direction="deprecate")
    assert deprecated["validate"]["layers"] == dict.fromkeys(("bronze", "silver", "mart", "export", "retail_db"), "ok")
    assert deprecated["validate"]["where"] == "a scratch lake and database, removed afterwards"
    assert not any((settings.home / "rollback-validation").iterdir())
    assert deprecated["database"]["after"] == "0009+0011"
    assert database_urls(settings) is None  # the dashboard's field is gone from the database ...
    assert archived_urls(settings) == {k: v for k, v in sent.items() if v is not None}  # ... its values archived
    assert set(silver_urls(spark, settings).values()) == {None}
    assert set(exported_urls(settings).values()) == {None}  # and from the dashboard
    assert device_documents(settings) == dict.fromkeys(STORE_1 + STORE_2, (1, False))
    assert deprecated["devices"]["pending"] == STORE_1 + STORE_2  # published; no device has reported it yet

    scoped = rollback(direction="restore", stores=["store-001"], validate_with_sample=False)
    assert scoped["devices"]["updated"] == STORE_1
    assert scoped["pipeline"]["silver_rows_changed"] == sum(url is not None for url in sent.values())  # from bronze
    assert device_documents(settings) == {**dict.fromkeys(STORE_1, (2, True)), **dict.fromkeys(STORE_2, (1, False))}
    enabled = {device: row[0] for device, row in registry(settings).items()}
    assert enabled == {**dict.fromkeys(STORE_1, True), **dict.fromkeys(STORE_2, False)}

    # One device of store 1 takes its document (the edge client's own code) and says so in a heartbeat.
    acknowledge(settings, "store-001-pi-01", "store-001", version=2)
    final = rollback(direction="restore")
    assert final["validate"]["layers"] == dict.fromkeys(("bronze", "silver", "mart", "export", "retail_db"), "ok")
    assert (final["devices"]["updated"], final["devices"]["acknowledged"]) == (STORE_2, ["store-001-pi-01"])
    assert final["devices"]["pending"] == ["store-001-pi-02", *STORE_2]  # not counted as done
    assert registry(settings)["store-001-pi-01"] == (True, 2, 2)

    # Every layer holds every value the devices sent, row for row, and nothing else.
    assert silver_urls(spark, settings) == sent
    assert exported_urls(settings) == sent
    assert database_urls(settings) == sent

    # No table, mart, export or database row gained anything but the acknowledging heartbeat.
    heartbeat = {"bronze_device_heartbeat": 1, "silver_device_heartbeat": 1}
    assert table_rows(spark, settings) == {t: n + heartbeat.get(t, 0) for t, n in rows_before.items()}
    assert database_sessions(settings) == sessions_before
    assert sample_sessions(spark, settings) == {}

    # The marts agree: the same sessions in the interactions mart and the session metrics.
    def sessions(mart: str) -> set[tuple]:
        rows = sinks.read_table(spark, locate_mart(settings, mart)).select("device_id", "session_id")
        return {tuple(r) for r in rows.collect()}

    assert sessions("sales_interactions_enriched") == sessions("customer_session_metrics")

    # The scoped run already switched the pipeline (it is not per store) and filled silver back: the last
    # run is a rerun for every layer but the devices', and rebuilds nothing.
    assert final["pipeline"]["silver_rows_changed"] == 0
    assert final["tasks"]["rebuild_mart"] == "skipped"


def gold_values(spark, settings) -> dict[str, list[tuple]]:
    """Every gold aggregate's rows, without when they were written."""
    tables = [t for t in ALL_TABLES if t.startswith("gold_") and t != "gold_dq_metrics"]
    frames = {t: sinks.read_table(spark, locate(settings, t)).drop("updated_at") for t in tables}
    return {t: sorted(tuple(r) for r in frame.collect()) for t, frame in frames.items()}


def table_rows(spark, settings) -> dict[str, int]:
    """Rows in every lake table and mart (gold_dq_metrics left out: one row per rule per micro-batch, it grows
    with every batch the stream runs, data or not)."""
    marts = [locate_mart(settings, m) for m in MARTS]
    counts = {ref.table: sinks.read_table(spark, ref).count() for ref in marts}
    return counts | {t: n for t, n in sinks.table_counts(spark, settings).items() if t != "gold_dq_metrics"}


def database_sessions(settings) -> list[tuple]:
    sql = 'SELECT "SessionID", "DeviceID" FROM "SalesInteractions" ORDER BY 1, 2'
    return [tuple(r) for r in rows(default_url(settings), sql)]


def sample_sessions(spark, settings) -> dict[str, int]:
    """Where the sample's sessions or transcripts are found: table, mart, export or database -> rows."""
    sessions = sorted({row["session_id"] for row in rollback_sample()})
    ids = sorted({row["event_id"] for row in rollback_sample()})
    found = {}
    refs = [locate(settings, t) for t in ALL_TABLES] + [locate_mart(settings, m) for m in MARTS]
    for ref in refs:
        if not sinks.exists(spark, ref):
            continue
        table = sinks.read_table(spark, ref)
        text = F.to_json(F.struct(*table.columns))  # any column: session_id, event_id, payload, lines ...
        hits = table.where(reduce(lambda a, b: a | b, [text.contains(x) for x in sessions + ids])).count()
        if hits:
            found[ref.table] = hits
    for export in sorted(settings.export_dir.glob("*.json")):
        if hits := sum(export.read_text().count(x) for x in sessions + ids):
            found[export.name] = hits
    dump = database_dump(default_url(settings))
    if hits := sum(dump.count(x) for x in sessions + ids):
        found["RetailAdvisorDB"] = hits
    return found


def acknowledge(settings, device_id: str, store: str, version: int) -> None:
    """A device of the fleet on this machine: its device file, the fleet document it fetches through its
    file:// channel, and a heartbeat carrying the version it now runs, landed like its file transport
    lands events."""
    home = settings.home / "devices" / device_id
    home.mkdir(parents=True)
    device_file = home / "device.toml"
    device_file.write_text(
        f'device_id = "{device_id}"\nstore_id = "{store}"\nlocation = "{store}/entrance"\n'
        '[fleet]\nurl_env = "SCOUT_EDGE_FLEET_URL"\n'
    )
    url = (settings.device_config_dir / f"{device_id}.json").resolve().as_uri()
    assert fleet.sync(url, device_id, device_file) == version
    config = load(device_file)
    assert (config.audio_url_enabled, config.config_version) == (True, version)
    spool = Spool(home / "spool.db", 10)
    beat = collect(config, spool.stats(), home)
    spool.close()
    write_atomic(settings.landing_dir / beat.hub / f"{device_id}-ack.jsonl", beat.to_json() + "\n")
