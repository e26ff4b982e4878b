"""`make demo`: run the slice DAG once with dag.test() on the embedded default, then print a summary of
the lakehouse and the dashboard export."""

from __future__ import annotations

import json
import time

from include.errors import PipelineStepFailed
from include.local.airflow import prepare_airflow, run_dag
from include.local.progress import output_to, quiet_run
from include.settings import Settings, load_settings

SLICE_DAG_ID = "scout_slice"
DASHBOARD_URL = "http://127.0.0.1:8050/"  # `make dashboard` (DASHBOARD_PORT picks another port)


def _say(message: str) -> None:
    print(f"  {message}", flush=True)


def summary(settings: Settings) -> str:
    from include.dashboard import export
    from include.spark_jobs.session import get_spark
    from include.spark_jobs.sinks import table_counts

    spark = get_spark(settings, "scout-summary")
    counts = table_counts(spark, settings)
    path = settings.export_dir / f"{export.MART}.json"
    document = json.loads(path.read_text())
    lines = ["rows per table:"]
    width = max(map(len, counts)) + 2
    lines += [f"  {table:<{width}}{n:>6}" for table, n in counts.items()]
    lines += _interaction_lines(settings, spark)
    lines.append(f"dashboard export: {path}")
    for store in document["stores"]:
        for day in store["days"]:
            lines.append(
                f"  {store['store_id']} {day['date']}: {day['interactions']} interactions,"
                f" {day['transcripts']} transcripts, avg confidence {day['avg_confidence']}"
            )
    lines += _retail_db_lines()
    lines += _mart_lines(settings)  # last: it ends with where to see the dashboard
    return "\n".join(lines)


def _retail_db_lines() -> list[str]:
    """What the sync wrote to RetailAdvisorDB."""
    import sqlalchemy as sa

    from include.retail_db import migrate
    from include.retail_db.config import database_url

    url = database_url()
    engine = migrate.engine_for(url)
    with engine.connect() as conn:
        count = lambda sql: conn.exec_driver_sql(sql).scalar_one()  # noqa: E731
        interactions = count('SELECT count(*) FROM "SalesInteractions"')
        lines = count('SELECT count(*) FROM "SalesInteractionTranscripts"')
        columns = {c["name"] for c in sa.inspect(conn).get_columns("SalesInteractionTranscripts")}
        # The column is gone while AudioURL is deprecated (the rollback, docs/rollback.md).
        clips = "AudioURL deprecated"
        if "AudioURL" in columns:
            with_url = count('SELECT count("AudioURL") FROM "SalesInteractionTranscripts"')
            clips = f"{with_url} with AudioURL"
        brands = count('SELECT count(*) FROM "SalesInteractionBrands"')
    engine.dispose()
    where = sa.engine.make_url(url).render_as_string(hide_password=True)
    return [
        f"RetailAdvisorDB ({where}): {interactions} interactions, {lines} transcripts ({clips}),"
        f" {brands} brand mentions"
    ]


def _mart_lines(settings: Settings) -> list[str]:
    """The marts as the index of exports lists them, with the brands customers asked about most."""
    from include.dashboard import export

    index_path = settings.export_dir / export.INDEX
    index = json.loads(index_path.read_text())
    lines = [f"marts and their exports (index: {index_path}):"]
    lines += [f"  {e['source']:<42}{e['rows']:>4} rows  -> {e['file']} (v{e['version']})" for e in index["exports"]]
    brands = json.loads((settings.export_dir / "brand_performance_metrics.json").read_text())["rows"]
    top = sorted(brands, key=lambda r: (-r["mentions"], r["store_id"], r["brand"]))[:3]
    lines += [f"  most named: {r['brand']} at {r['store_id']} ({r['mentions']} mentions, {r['questions']} questions)"
              for r in top]  # fmt: skip
    lines.append(f"dashboard: `make dashboard`, then {DASHBOARD_URL} (the page over these exports)")
    return lines


def _interaction_lines(settings: Settings, spark) -> list[str]:
    from include.spark_jobs import gold, sinks
    from include.spark_jobs.tables import GOLD_STORE_INTERACTION_METRICS, locate

    metrics = sinks.read_table(spark, locate(settings, GOLD_STORE_INTERACTION_METRICS))
    lines = ["gold_store_interaction_metrics per store:"]
    for r in gold.store_totals(metrics).orderBy("store_id").collect():
        lines.append(
            f"  {r.store_id}: {r.greetings} greetings, {r.questions} questions, {r.brand_mentions} brand mentions,"
            f" {r.greeted_and_asked} greeted + asked, {r.visits} visits (avg dwell {r.avg_dwell_s} s)"
        )
    return lines


def demo() -> None:
    """The slice through Airflow with a line per step; Airflow's, Spark's and dbt's output in a log file."""
    settings = load_settings()
    started = time.monotonic()
    log = settings.home / "logs" / f"demo-{time.strftime('%Y%m%dT%H%M%S')}.log"
    _say(f"logs of Airflow, Spark and dbt: {log}")
    with output_to(log) as terminal:
        terminal.write("  preparing Airflow (SQLite under SCOUT_HOME/airflow)\n")
        prepare_airflow(settings)
        terminal.write(f"  running DAG {SLICE_DAG_ID} with dag.test():\n")
        try:
            quiet_run(lambda: run_dag(SLICE_DAG_ID), terminal)
        except PipelineStepFailed as error:
            raise PipelineStepFailed(f"{error} (see {log})") from None
        text = summary(settings)
    print(text)
    print(f"slice finished in {time.monotonic() - started:.0f} s")
