"""The AudioURL rollback on the embedded default, from the command line (dag.test on SQLite, like
`make demo`; on a deployment, trigger scout_audio_url_rollback from the UI or `airflow dags trigger`):

    python -m include.local rollback --direction restore               # a dry run: what would change
    python -m include.local rollback --direction restore --apply --stores store-001
    python -m include.local rollback-demo    # deprecate, then restore, each layer's AudioURLs before/after
    python -m include.local rollback-repair [--apply]   # the sample an older validation left, removed

Bad arguments (and params the DAG refuses) are one line and exit 2.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from include.arguments import ArgumentParser
from include.errors import PipelineStepFailed, SettingsError
from include.local.airflow import prepare_airflow, run_dag
from include.local.progress import output_to, quiet_run
from include.settings import Settings, load_settings

DAG_ID = "scout_audio_url_rollback"


def _names(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def parse_args(argv: Sequence[str]) -> dict[str, Any]:
    """The DAG's params from the command line (its own JSON schema checks them again at trigger time)."""
    parser = ArgumentParser(prog="python -m include.local rollback", description=__doc__.split("\n\n")[0])
    parser.add_argument("--direction", required=True, choices=("restore", "deprecate"))
    parser.add_argument("--apply", action="store_true", help="change things (default: a dry run)")
    parser.add_argument("--stores", type=_names, default=[], help="store codes, comma-separated (default: all)")
    parser.add_argument("--devices", type=_names, default=[], help="device ids, comma-separated (default: all)")
    parser.add_argument("--no-sample", action="store_true", help="skip the sample dataset's validation")
    args = parser.parse_args(argv)
    return {
        "direction": args.direction,
        "dry_run": not args.apply,
        "stores": args.stores,
        "devices": args.devices,
        "validate_with_sample": not args.no_sample,
    }


def trigger(settings: Settings, conf: dict[str, Any], terminal) -> dict[str, Any]:
    """One run of the DAG with ``conf``, a line per step on ``terminal``; its report."""
    from airflow.sdk.exceptions import ParamValidationError

    try:
        run = quiet_run(lambda: run_dag(DAG_ID, conf=conf), terminal)
    except ParamValidationError as error:
        raise SettingsError(f"refused by the DAG's params: {error}") from None
    (report,) = [ti.xcom_pull(task_ids="report") for ti in run.get_task_instances() if ti.task_id == "report"]
    return report


def rollback(argv: Sequence[str]) -> None:
    conf = parse_args(argv)
    settings = load_settings()
    log = settings.home / "logs" / f"rollback-{time.strftime('%Y%m%dT%H%M%S')}.log"
    print(f"  logs of Airflow, Spark and dbt: {log}", flush=True)
    with output_to(log) as terminal:
        prepare_airflow(settings)
        try:
            report = trigger(settings, conf, terminal)
        except PipelineStepFailed as error:
            raise PipelineStepFailed(f"{error} (see {log})") from None
    print(json.dumps(report, indent=1, default=str))


# ---- make rollback-demo ---------------------------------------------------------------------------------


def layers(settings: Settings) -> dict[str, str]:
    """How many transcripts carry an AudioURL at each layer (and what the devices are told)."""
    import sqlalchemy as sa
    from pyspark.sql import functions as F

    from include.retail_db import migrate
    from include.retail_db.config import database_url
    from include.spark_jobs import sinks
    from include.spark_jobs.session import get_spark
    from include.spark_jobs.tables import BRONZE_TABLES, SILVER_TRANSCRIPTS, locate, locate_mart
    from scout_edge.contract import Transcript

    spark = get_spark(settings, "scout-rollback-demo")
    bronze = sinks.read_table(spark, locate(settings, BRONZE_TABLES[Transcript.hub]))
    url = F.get_json_object("payload", "$.audio_url")
    silver = sinks.read_table(spark, locate(settings, SILVER_TRANSCRIPTS))
    mart = sinks.read_table(spark, locate_mart(settings, "sales_interactions_enriched"))
    lines = mart.select(F.explode("transcript_lines").alias("l")).select("l.*")
    exported = json.loads((settings.export_dir / "sales_interactions_enriched.json").read_text())["rows"]
    links = [line["audio_url"] for row in exported for line in row["transcript_lines"]]
    engine = migrate.engine_for(database_url())
    with engine.connect() as conn:
        table = sa.Table("SalesInteractionTranscripts", sa.MetaData(), autoload_with=conn)
        total = conn.scalar(sa.select(sa.func.count()).select_from(table))
        if "AudioURL" in table.c:
            database = f"{conn.scalar(sa.select(sa.func.count(table.c.AudioURL)))}/{total}"
        else:
            archive = conn.exec_driver_sql('SELECT count(*) FROM "SalesInteractionTranscripts_AudioURLArchive"')
            database = f"no column ({archive.scalar()} archived)"
        devices = conn.exec_driver_sql('SELECT count(*), sum("AudioUrlEnabled") FROM "EdgeDeviceRegistry"').one()
    engine.dispose()
    count = lambda df, column: f"{df.where(column.isNotNull()).count()}/{df.count()}"  # noqa: E731
    return {
        "bronze payloads": count(bronze, url),
        "silver_transcripts": count(silver, F.col("audio_url")),
        "mart lines": count(lines, F.col("audio_url")),
        "dashboard clip links": f"{sum(link is not None for link in links)}/{len(links)}",
        "RetailAdvisorDB AudioURL": database,
        "devices recording audio": f"{devices[1] or 0}/{devices[0]}",
    }


def _restored(settings: Settings) -> bool:
    """AudioURL on everywhere a rollback switches it: the stream's flag and RetailAdvisorDB's revision."""
    from include.retail_db import migrate
    from include.retail_db.config import database_url
    from include.spark_jobs import flags

    return (
        flags.read(settings)["audio_url"]
        and migrate.current(database_url()) == migrate.script_directory().get_current_head()
    )


def demo() -> None:
    """The deprecation breaking the dashboard's clip links, then the rollback restoring them, layer by layer."""
    from include.local.demo import SLICE_DAG_ID

    settings = load_settings()
    log = settings.home / "logs" / f"rollback-demo-{time.strftime('%Y%m%dT%H%M%S')}.log"
    print(f"  logs of Airflow, Spark and dbt: {log}", flush=True)
    columns: dict[str, dict[str, str]] = {}
    with output_to(log) as terminal:
        prepare_airflow(settings)
        if not (settings.export_dir / "sales_interactions_enriched.json").exists():
            terminal.write(f"  no lake yet: running {SLICE_DAG_ID} first (as `make demo` does)\n")
            quiet_run(lambda: run_dag(SLICE_DAG_ID), terminal)
        if not _restored(settings):  # a rollback left half-way or deprecated: the story starts from AudioURL on
            terminal.write("  AudioURL is deprecated here already: restoring it first\n")
            trigger(settings, {"direction": "restore", "dry_run": False, "validate_with_sample": False}, terminal)
        columns["before"] = layers(settings)
        for direction, label in (("deprecate", "deprecated"), ("restore", "restored")):
            terminal.write(f"  AudioURL rollback, direction {direction}:\n")
            conf = {"direction": direction, "dry_run": False, "validate_with_sample": True}
            report = trigger(settings, conf, terminal)
            terminal.write(f"  validation: {report['validate'].get('layers') or report['validate']}\n")
            columns[label] = layers(settings)
    width = max(map(len, columns["before"])) + 2
    print(f"  {'layer':<{width}}" + "".join(f"{c:>28}" for c in columns))
    for layer in columns["before"]:
        print(f"  {layer:<{width}}" + "".join(f"{columns[c][layer]:>28}" for c in columns))


# ---- make rollback-repair -------------------------------------------------------------------------------


def repair(argv: Sequence[str]) -> None:
    """Find (a dry run) or remove (--apply) the rollback sample an older validation left in production."""
    from include.orchestration.spark import local_spark
    from include.retail_db.config import database_url
    from include.rollback import repair as step

    parser = ArgumentParser(prog="python -m include.local rollback-repair", description=repair.__doc__)
    parser.add_argument("--apply", action="store_true", help="remove it (default: a dry run, only counts)")
    args = parser.parse_args(argv)
    settings = load_settings()
    log = settings.home / "logs" / f"rollback-repair-{time.strftime('%Y%m%dT%H%M%S')}.log"
    print(f"  logs of Spark and dbt: {log}", flush=True)
    with output_to(log) as terminal:
        spark = local_spark(settings, "rollback repair")
        url = database_url(settings, use_airflow=False)
        say = lambda line: terminal.write(f"  {line}\n")  # noqa: E731
        found = step.repair(spark, settings, url, say) if args.apply else step.find(spark, settings, url)
    verb = "removed" if args.apply else "would be removed (a dry run: --apply to remove)"
    if not found:
        print("  the rollback sample is nowhere: nothing to repair")
    for place, rows in found.items():
        print(f"  {place}: {rows} {verb}")
    if found and args.apply:
        print("  gold's store-hours and store-days recomputed, the marts rebuilt, the exports published again")
