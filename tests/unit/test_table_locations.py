"""Where the lakehouse's tables live: Delta folders on the embedded default, catalog tables on Databricks
(or wherever SCOUT_CATALOG is set), resolved by the table registry alone."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from include.errors import SettingsError
from include.settings import PROJECT_ROOT, load_settings
from include.spark_jobs.tables import locate, locate_mart, mart_folder

SPARK_JOBS = PROJECT_ROOT / "include" / "spark_jobs"


def test_the_embedded_default_is_a_folder_under_the_lake(tmp_path):
    ref = locate(load_settings({"SCOUT_HOME": str(tmp_path)}), "silver_transcripts")
    assert (ref.path, ref.qualified_name) == (tmp_path / "lake" / "silver_transcripts", None)
    assert ref.sql == f"delta.`{tmp_path}/lake/silver_transcripts`"


def test_databricks_tables_are_in_the_lakehouse_schema_of_main_unless_told_otherwise():
    on_databricks = load_settings({"SCOUT_ENGINE": "databricks"})
    assert locate(on_databricks, "gold_dq_metrics").qualified_name == "main.scout_lakehouse.gold_dq_metrics"
    elsewhere = load_settings({"SCOUT_ENGINE": "databricks", "SCOUT_CATALOG": "retail", "SCOUT_LAKEHOUSE_SCHEMA": "lh"})
    ref = locate(elsewhere, "silver_transcripts_quarantine")
    assert (ref.path, ref.sql, ref.schema) == (None, "retail.lh.silver_transcripts_quarantine", "retail.lh")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SCOUT_CATALOG": "main; drop"}, "SCOUT_CATALOG='main; drop' is not allowed; expected a name of letters"),
        ({"SCOUT_LAKEHOUSE_SCHEMA": " "}, "SCOUT_LAKEHOUSE_SCHEMA is set but empty"),
        ({"SCOUT_LAKEHOUSE_SCHEMA": "scout-lake"}, "SCOUT_LAKEHOUSE_SCHEMA='scout-lake' is not allowed"),
    ],
)
def test_a_bad_catalog_or_schema_name_is_refused_naming_the_setting(env, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        load_settings(env)


def test_an_unknown_table_is_an_error_not_a_new_folder():
    with pytest.raises(KeyError, match="'silver_transcript' is not a lakehouse table"):
        locate(load_settings({}), "silver_transcript")


# The only modules that may touch storage, and how they may name it.
INCLUDE = PROJECT_ROOT / "include"
STORAGE_CALLS = {"load", "save", "saveAsTable", "table", "forPath", "forName", "location", "tableName"}
STORAGE_MODULES = {SPARK_JOBS / "sinks.py", SPARK_JOBS / "sources.py"}  # they take a TableRef (and the landing zone)
RESOLVERS = {INCLUDE / "settings.py", SPARK_JOBS / "tables.py"}
FOLDERS = {"lake_dir", "warehouse_dir"}
CONFIGURES_SPARK = SPARK_JOBS / "session.py"  # the warehouse folder is the session's setting


def _offences(path: Path) -> list[str]:
    source = path.read_text()
    spark_code = "pyspark" in source or "delta" in source
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in FOLDERS and path != CONFIGURES_SPARK:
            found.append(f"{path.name}:{node.lineno} uses {node.attr}")
        if (
            spark_code
            and isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in STORAGE_CALLS
            and path not in STORAGE_MODULES
        ):
            found.append(f"{path.name}:{node.lineno} calls .{node.func.attr}()")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "delta.`" in node.value:
            found.append(f"{path.name}:{node.lineno} names a table by path in SQL")
    return sorted(found)


def test_no_job_builds_a_table_path_itself():
    """Every module of include/ finds tables through the registry (jobs, exports, demo alike)."""
    modules = [p for p in INCLUDE.rglob("*.py") if p not in RESOLVERS]
    assert [o for p in modules for o in _offences(p)] == []


def test_the_check_sees_a_job_that_does(tmp_path):
    rogue = tmp_path / "rogue.py"
    rogue.write_text(
        "from pyspark.sql import SparkSession\n"
        "def f(spark, settings):\n"
        "    spark.read.format('delta').load(str(settings.lake_dir / 'x'))\n"
        "    spark.sql('select * from delta.`/tmp/x`')\n"
    )
    assert _offences(rogue) == [
        "rogue.py:3 calls .load()",
        "rogue.py:3 uses lake_dir",
        "rogue.py:4 names a table by path in SQL",
    ]


def test_the_marts_are_where_dbt_keeps_them(tmp_path):
    local = locate_mart(load_settings({"SCOUT_HOME": str(tmp_path)}), "store_daily_metrics")
    assert local.path == tmp_path / "warehouse" / "scout_marts.db" / "store_daily_metrics"
    on_databricks = locate_mart(load_settings({"SCOUT_ENGINE": "databricks"}), "store_daily_metrics")
    assert on_databricks.qualified_name == "main.scout_marts.store_daily_metrics"


def test_the_marts_are_read_from_their_folder_on_the_embedded_default_only(tmp_path):
    local = load_settings({"SCOUT_HOME": str(tmp_path)})
    assert (
        mart_folder(local, "store_daily_metrics") == tmp_path / "warehouse" / "scout_marts.db" / "store_daily_metrics"
    )
    with pytest.raises(SettingsError, match=r"^SCOUT_CATALOG=main: the marts are read from the embedded default's"):
        mart_folder(load_settings({"SCOUT_ENGINE": "databricks"}), "store_daily_metrics")
