"""Task bodies of the scout_audio_url_rollback DAG (the steps are described in include/rollback). Each
takes the run's params, does its step (or, with dry_run, only works out what it would do) and returns a
small report for XCom; ``report`` gathers them.

Spark runs in the tasks on the embedded default only (SCOUT_ENGINE=local), like the slice's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from include.errors import SettingsError
from include.orchestration.spark import local_spark
from include.rollback.request import Request
from include.settings import Settings, load_settings

log = logging.getLogger(__name__)

STEPS = ("database", "pipeline", "dashboard", "devices", "validate")


def _request(params: Mapping[str, Any]) -> Request:
    return Request.from_params(params)


def database(params: Mapping[str, Any]) -> dict[str, Any]:
    """The scope checked (before anything changes), then RetailAdvisorDB's AudioURL column to 0009
    (deprecate) or head (restore)."""
    from airflow.sdk.exceptions import AirflowFailException

    from include.fleet.rollout import check_scope
    from include.retail_db.config import database_url
    from include.rollback import database as step

    request = _request(params)
    url = database_url()
    try:
        check_scope(url, request.stores, request.devices)
    except SettingsError as error:  # a param to fix, not a step to retry
        raise AirflowFailException(str(error)) from error
    report = step.run(url, request)
    verb = "would run" if request.dry_run else "ran"
    log.info("RetailAdvisorDB %s -> %s; %s: %s", report["before"], report["after"], verb, report["steps"] or "none")
    return report


def _take_switch(settings: Settings, version: int, since: datetime) -> str:
    """Make sure no micro-batch applying older flags than ``version`` (written at ``since``) can still
    write to silver: the running stream is waited for (a committed batch that applied it, or an idle
    trigger since, up to SCOUT_ROLLBACK_WAIT); without one, an available-now medallion run here takes in
    what waits in the landing zone (e.g. heartbeats acknowledging a configuration)."""
    from include.orchestration.runners import runner_for
    from include.orchestration.slice import run_medallion
    from include.rollback.pipeline import wait_until_applied

    runner = runner_for(settings)
    if runner.status().running:
        return wait_until_applied(lambda: runner.status().progress, version, since, settings.rollback_wait_s)
    run_medallion()
    return "medallion run here (available-now)"


def pipeline(params: Mapping[str, Any]) -> dict[str, Any]:
    """The stream's audio_url flag; once the stream applies it, silver's stored values."""
    from include.rollback import pipeline as step
    from include.spark_jobs import flags

    request = _request(params)
    settings = load_settings()
    spark = local_spark(settings, "AudioURL rollback")
    report: dict[str, Any] = {"flag_before": flags.read(settings)["audio_url"], "flag_after": request.restore}
    if request.dry_run:
        report["silver_rows_to_change"] = step.silver_changes(spark, settings, request.restore)
        return report
    since = datetime.now(UTC)
    version = flags.write(settings, audio_url=request.restore)  # new micro-batches see it from their start
    # Before silver is touched: a batch that read the old flag and commits after would undo the step.
    report["stream"] = _take_switch(settings, version, since)
    report["silver_rows_changed"] = step.apply_to_silver(spark, settings, request.restore)
    log.info("pipeline: %s", report)
    return report


def marts_needed(params: Mapping[str, Any], pipeline_report: Mapping[str, Any]) -> bool:
    """Whether the mart needs rebuilding: the pipeline step changed silver or the flag (a rerun of a
    finished rollback rebuilds nothing)."""
    if _request(params).dry_run:
        return False
    flag_changed = pipeline_report["flag_before"] != pipeline_report["flag_after"]
    return bool(flag_changed or pipeline_report["silver_rows_changed"])


def dashboard(params: Mapping[str, Any]) -> dict[str, Any]:
    """The exports published again (with or without the clip links), RetailAdvisorDB's interactions
    written again (AudioURL filled where the column is back)."""
    from include.orchestration.marts import export_dashboard
    from include.orchestration.retail_sync import sync_interactions

    if _request(params).dry_run:
        return {"exports": "would be published again", "retail_db": "interactions would be written again"}
    return {"exports": export_dashboard(), "retail_db": sync_interactions(full=True)}


def _channel(settings: Settings):
    from include.fleet.channels import BlobChannel, FolderChannel

    if not settings.device_config_conn_id:
        return FolderChannel(settings.device_config_dir)
    from airflow.providers.microsoft.azure.hooks.wasb import WasbHook

    service = WasbHook(wasb_conn_id=settings.device_config_conn_id).get_conn()
    return BlobChannel(service.get_container_client(settings.device_config_container))


def _acks(settings: Settings) -> dict:
    """Each device's newest heartbeat in silver: the configuration version it reports, its client version."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from include.fleet.rollout import Ack
    from include.spark_jobs import sinks
    from include.spark_jobs.tables import SILVER_DEVICE_HEARTBEAT, locate

    beats = sinks.read_table(local_spark(settings, "AudioURL rollback"), locate(settings, SILVER_DEVICE_HEARTBEAT))
    if "config_version" not in beats.columns:  # a lake from before devices reported it, not yet upgraded
        beats = beats.withColumn("config_version", F.lit(None).cast("long"))
    newest = beats.withColumn("n", F.row_number().over(Window.partitionBy("device_id").orderBy(F.desc("ts"))))
    rows = newest.where("n = 1").select("device_id", "config_version", "client_version", "ts").collect()
    return {r.device_id: Ack(r.config_version, r.client_version, r.ts) for r in rows}


def devices(params: Mapping[str, Any]) -> dict[str, Any]:
    """The devices in scope get a configuration with audio_url_enabled; acknowledgements recorded."""
    from include.fleet import rollout
    from include.retail_db.config import database_url

    request = _request(params)
    settings = load_settings()
    url = database_url()
    scope = rollout.devices_in_scope(url, request.stores, request.devices)
    report = rollout.roll_out(url, _channel(settings), scope, request.restore, dry_run=request.dry_run)
    acks = _acks(settings)
    rollout.record_acks(url, acks, dry_run=request.dry_run)
    rollout.acknowledgements(report, acks)
    log.info("devices: %s", report.as_dict())
    return report.as_dict()


def validate(params: Mapping[str, Any]) -> dict[str, Any]:
    """The sample through a scratch copy of the lake and RetailAdvisorDB (include/rollback/scratch.py), its
    AudioURL values checked at every layer there (RollbackValidationFailed names the layer and row)."""
    from include.retail_db.config import database_url
    from include.rollback import scratch
    from include.rollback import validate as step

    request = _request(params)
    if request.dry_run or not request.validate_with_sample:
        return {"validation": "not run" + (" (dry run)" if request.dry_run else " (validate_with_sample off)")}
    settings = load_settings()
    spark = local_spark(settings, "AudioURL rollback")
    with scratch.scratch_ground(settings) as ground:
        scratch.take_sample_through(spark, settings, database_url(), ground, request.restore)
        result = step.check(spark, ground.settings, ground.url, request.restore)
    result["where"] = "a scratch lake and database, removed afterwards"
    log.info("validation: %s", result)
    return result


def report(params: Mapping[str, Any], steps: Mapping[str, Any]) -> dict[str, Any]:
    """The run's report: what was asked and what each step did (or would do)."""
    request = _request(params)
    summary = {
        "direction": request.direction.value,
        "dry_run": request.dry_run,
        "scope": {"stores": list(request.stores) or "all", "devices": list(request.devices) or "all"},
        **{step: steps.get(step) for step in STEPS},
    }
    log.info("AudioURL rollback report: %s", summary)
    return summary
