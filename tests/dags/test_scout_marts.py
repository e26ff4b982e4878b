"""scout_marts: scheduled on the gold tables' Assets the stream health DAG emits, one dbt group, then the
exports, then the check naming unregistered stores and devices (e-mailed once, to a real SMTP server on
loopback). (The same dbt group and export task run end to end in the slice: tests/e2e/test_slice.py.)"""

from __future__ import annotations

import json
from dataclasses import replace

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from include.local.airflow import prepare_airflow
from include.orchestration.health import GOLD_TABLES
from include.settings import DAGS_DIR
from include.spark_jobs.tables import REF_STORES, locate
from tests.alerting import body, smtp_connection, smtp_server


@pytest.fixture(scope="module")
def dags(settings):
    prepare_airflow(settings)
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=DAGS_DIR)
    assert bag.import_errors == {}
    return bag


def test_any_gold_table_that_advanced_starts_the_marts(dags):
    from airflow.sdk import AssetAny

    condition = dags.get_dag("scout_marts").timetable.asset_condition
    assert isinstance(condition, AssetAny)  # any one of them, not all of them
    assert sorted(a.name for a in condition.objects) == sorted(GOLD_TABLES)
    health = dags.get_dag("scout_stream_health")
    emitted = {o.name for t in health.tasks for o in t.outlets}
    assert emitted == set(GOLD_TABLES)


def test_the_exports_follow_one_dbt_build_of_every_mart(dags):
    dag = dags.get_dag("scout_marts")
    (producer,) = [t for t in dag.tasks if t.task_id.endswith("dbt_producer_watcher")]
    marts = {
        t.task_id.split(".")[1] for t in dag.tasks if t.task_id.startswith("dbt_marts.") and t.task_id.endswith(".run")
    }
    assert {"store_daily_metrics", "brand_performance_metrics", "device_performance_metrics",
            "customer_session_metrics"} <= marts  # fmt: skip
    export = dag.get_task("export_dashboard")
    dbt_tasks = {t.task_id for t in dag.tasks if t.task_id.startswith("dbt_marts.")}
    assert export.get_flat_relative_ids(upstream=True) >= dbt_tasks
    assert producer.task_id in export.get_flat_relative_ids(upstream=True)
    assert dag.max_active_runs == 1
    # whether there is anything to build is decided after the reference data is in, before dbt starts
    assert "sync_reference" in dag.get_task("lake_changed").upstream_task_ids
    assert dag.get_task("lake_changed").get_flat_relative_ids(upstream=False) >= dbt_tasks
    # and what the build read is recorded once its exports are published
    assert "export_dashboard" in dag.get_task("record_build").upstream_task_ids


def test_an_asset_run_with_nothing_new_skips_the_build_and_a_manual_run_builds(lake, monkeypatch):
    from include.orchestration import marts

    monkeypatch.setenv("SCOUT_HOME", str(lake.home))
    gold = str(locate(lake, GOLD_TABLES[0]).path)
    write_deltalake(gold, pa.table({"rows": [1]}))

    first = marts.lake_changed("asset_triggered")  # nothing built yet: build
    assert (first[GOLD_TABLES[0]], first[GOLD_TABLES[1]]) == (0, -1)  # -1: not created yet
    marts.record_build(first)
    assert marts.lake_changed("asset_triggered") is False  # an event after the build: nothing new
    assert marts.lake_changed("manual") == first  # by hand: always

    write_deltalake(gold, pa.table({"rows": [2]}), mode="append")  # the stream's next batch
    second = marts.lake_changed("asset_triggered")
    assert second == {**first, GOLD_TABLES[0]: 1}
    marts.record_build(second)
    write_deltalake(str(locate(lake, REF_STORES).path), pa.table({"store_id": ["s-9"]}))  # reference data in
    assert marts.lake_changed("asset_triggered") == {**second, REF_STORES: 0}

    marts.record_build(False)  # a skipped run records nothing
    assert json.loads((lake.ops_dir / marts.BUILT_FROM).read_text()) == second


def test_catalog_tables_are_always_built(settings, monkeypatch):
    from include.orchestration import marts

    monkeypatch.setenv("SCOUT_CATALOG", "main")
    assert marts.lake_versions(replace(settings, catalog="main")) is None
    assert marts.lake_changed("asset_triggered") is True


@pytest.mark.parametrize("dag_id", ["scout_marts", "scout_slice"])
def test_the_registry_check_reads_the_exports_once_they_are_published(dags, dag_id):
    dag = dags.get_dag(dag_id)
    assert dag.get_task("export_dashboard").task_id in dag.get_task("check_registry").upstream_task_ids


def interaction(device: str, store: str, *, device_registered: bool, store_registered: bool = True) -> dict:
    return {"interaction_id": f"{device}|s", "device_id": device, "store_id": store,
            "device_registered": device_registered, "store_registered": store_registered}  # fmt: skip


def test_unregistered_stores_and_devices_are_named_every_run_and_emailed_once(settings, tmp_path, monkeypatch, caplog):
    from include.atomic import write_atomic
    from include.orchestration import registry
    from include.settings import load_settings

    prepare_airflow(settings)
    monkeypatch.setenv("SCOUT_HOME", str(tmp_path))
    monkeypatch.setenv("SCOUT_ALERT_EMAIL", "oncall@scout.test")
    home = load_settings()

    def marts_run(*rows: dict) -> dict:
        document = {"rows": [interaction("store-001-pi-01", "store-001", device_registered=True), *rows]}
        write_atomic(home.export_dir / registry.INTERACTIONS_EXPORT, json.dumps(document))
        caplog.clear()
        return registry.check(home)

    new_device = interaction("pi-new", "store-001", device_registered=False)
    new_store = interaction("pi-far", "store-009", device_registered=False, store_registered=False)
    with smtp_server() as (inbox, port):
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(port))
        first = marts_run(new_device, new_device | {"interaction_id": "pi-new|t"}, new_store)
        assert first == {
            "stores": {"store-009": 1},
            "devices": {"pi-far": {"store_id": "store-009", "interactions": 1},
                        "pi-new": {"store_id": "store-001", "interactions": 2}},
            "emailed": True,
        }  # fmt: skip
        (warning,) = [r for r in caplog.records if r.levelname == "WARNING"]
        assert "store store-009 (1 interactions); device pi-far in store store-009 (1 interactions);" \
               " device pi-new in store store-001 (2 interactions)" in warning.getMessage()  # fmt: skip
        (mail,) = inbox.messages
        assert mail["To"] == "oncall@scout.test"
        assert mail["Subject"] == "[scout] not registered in RetailAdvisorDB: pi-far, pi-new, store-009"
        assert "device pi-new in store store-001 (2 interactions)" in body(mail)

        again = marts_run(new_device, new_store)  # nothing new: named in the log again, no second e-mail
        assert again["emailed"] is False and "pi-new" in caplog.text
        assert len(inbox.messages) == 1

        registered = marts_run(new_device | {"device_registered": True}, new_store)  # pi-new registered since
        assert sorted(registered["devices"]) == ["pi-far"] and len(inbox.messages) == 1
        dropped = marts_run(new_device, new_store)  # and dropped from the registry again: news again
        assert dropped["emailed"] is True
        assert inbox.messages[-1]["Subject"] == "[scout] not registered in RetailAdvisorDB: pi-new"

        marts_run()  # every store and device known: no warning, no e-mail
        assert not [r for r in caplog.records if r.levelname == "WARNING"] and len(inbox.messages) == 2

    # The mail server is down: the run still succeeds, says why in its log, and the next run sends the e-mail.
    down = marts_run(new_device)
    assert down["emailed"] is False and "ConnectionRefusedError" in down["email_error"]
    assert "could not e-mail" in caplog.text
    with smtp_server() as (inbox, port):
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_connection(port))
        assert marts_run(new_device)["emailed"] is True
        assert [m["Subject"] for m in inbox.messages] == ["[scout] not registered in RetailAdvisorDB: pi-new"]


def test_the_gold_assets_watch_the_streams_flags_where_the_stream_runs_beside_airflow(settings):
    from dataclasses import replace

    from include.orchestration.assets import watchers
    from include.settings import Engine

    (watcher,) = watchers(settings, "gold_store_interaction_metrics")
    assert watcher.trigger.filepath == str(settings.ops_dir / "gold_advanced" / "gold_store_interaction_metrics")
    assert watchers(replace(settings, engine=Engine.DATABRICKS), "gold_store_interaction_metrics") == []
