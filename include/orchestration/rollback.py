"""Task bodies of the scout_audio_url_rollback DAG (the steps are described in include/rollback). Each
takes the run's params, does its step (or, with dry_run, only works out what it would do) and returns a
small report for XCom; ``report`` gathers them.

Spark runs in the tasks on the embedded default only (SCOUT_ENGINE=local), like the slice's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from include.errors import PipelineStepFailed, SettingsError
from include.orchestration.spark import local_spark
from include.rollback.request import Request
from include.settings import Settings, Source, load_settings

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


def _drain(settings: Settings, spark, wait_for: set[str]) -> str:
    """Take what waits in the landing zone into the lake: the running stream does (wait up to
    SCOUT_ROLLBACK_WAIT for ``wait_for`` event ids in silver), else an available-now medallion run here."""
    from pyspark.sql import functions as F

    from include.orchestration.runners import runner_for
    from include.orchestration.slice import run_medallion
    from include.spark_jobs import sinks
    from include.spark_jobs.tables import SILVER_TRANSCRIPTS, locate

    if not runner_for(settings).status().running:
        run_medallion()
        return "medallion run here (available-now)"
    silver = locate(settings, SILVER_TRANSCRIPTS)
    deadline = time.monotonic() + settings.rollback_wait_s
    while wait_for:
        have = sinks.read_table(spark, silver).where(F.col("event_id").isin(sorted(wait_for))).count()
        if have == len(wait_for):
            break
        if time.monotonic() > deadline:
            raise PipelineStepFailed(
                f"the running stream did not take the sample into silver within {settings.rollback_wait}"
                f" ({have} of {len(wait_for)}); check `make stream-status`, or raise SCOUT_ROLLBACK_WAIT"
            )
        time.sleep(5)
    return "taken by the running stream"


def pipeline(params: Mapping[str, Any]) -> dict[str, Any]:
    """The stream's audio_url flag, silver's stored values; the sample landed and taken in first."""
    from include.rollback import pipeline as step
    from include.spark_jobs import flags

    request = _request(params)
    settings = load_settings()
    spark = local_spark(settings, "AudioURL rollback")
    report: dict[str, Any] = {"flag_before": flags.read(settings)["audio_url"], "flag_after": request.restore}
    if request.validate_with_sample and settings.source is not Source.FILES:
        raise SettingsError("validate_with_sample lands the sample in the landing zone: it needs SCOUT_SOURCE=files")
    if request.dry_run:
        report["silver_rows_to_change"] = step.silver_changes(spark, settings, request.restore)
        report["sample"] = "would be landed and taken in" if request.validate_with_sample else "not used"
        return report
    flags.write(settings, audio_url=request.restore)  # new micro-batches see it from their start
    wait_for: set[str] = set()
    if request.validate_with_sample:
        report["sample"] = "landed" if step.land_sample(settings) else "already landed"
        wait_for = {row["event_id"] for row in step.sample()}
    # Also takes in what waits since the last run (e.g. heartbeats acknowledging a configuration).
    report["drained"] = _drain(settings, spark, wait_for)
    report["silver_rows_changed"] = step.apply_to_silver(spark, settings, request.restore)
    log.info("pipeline: %s", report)
    return report


def marts_needed(params: Mapping[str, Any], pipeline_report: Mapping[str, Any]) -> bool:
    """Whether the mart needs rebuilding: the pipeline step changed silver, the flag or landed the sample
    (a rerun of a finished rollback rebuilds nothing)."""
    if _request(params).dry_run:
        return False
    flag_changed = pipeline_report["flag_before"] != pipeline_report["flag_after"]
    return bool(flag_changed or pipeline_report["silver_rows_changed"] or pipeline_report.get("sample") == "landed")


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
    """The sample's AudioURL values at every layer (RollbackValidationFailed names the layer and row)."""
    from include.retail_db.config import database_url
    from include.rollback import validate as step

    request = _request(params)
    if request.dry_run or not request.validate_with_sample:
        return {"validation": "not run" + (" (dry run)" if request.dry_run else " (validate_with_sample off)")}
    settings = load_settings()
    result = step.check(local_spark(settings, "AudioURL rollback"), settings, database_url(), request.restore)
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
