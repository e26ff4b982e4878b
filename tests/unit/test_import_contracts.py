"""The import direction (STYLE.md): dags -> include.orchestration -> {retail_db, dashboard} -> spark_jobs ->
leaves, include.local and tools imported by no production code. import-linter checks include/ and tools/
(contracts in pyproject.toml); dags/ is a folder of DAG files, not a package, so it is checked here."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from include.settings import DAGS_DIR, PROJECT_ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# What a DAG file may import of ours: the orchestration glue and the settings, nothing heavier.
DAG_IMPORTS = ("include.orchestration", "include.settings")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_project_keeps_every_contract():
    result = lint_imports(PROJECT_ROOT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


@pytest.fixture
def copy_of_the_project(tmp_path) -> Path:
    """include/ and tools/ (their Python files) with the project's contracts."""
    for package in ("include", "tools"):
        for source in (PROJECT_ROOT / package).rglob("*.py"):
            if "dbt_project" not in source.parts:
                target = tmp_path / source.relative_to(PROJECT_ROOT)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
    shutil.copy2(PROJECT_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "bad_import", "contract", "reported"),
    [
        (
            "include/spark_jobs/sinks.py",
            "from include.orchestration import slice",
            "include: one way",
            "include.spark_jobs.sinks -> include.orchestration.slice",
        ),
        (
            "include/dashboard/export.py",
            "from tools import kafka_broker",
            "tools: imported by nothing",
            "include.dashboard.export -> tools.kafka_broker",
        ),
        (
            "include/spark_jobs/gold.py",
            "from include.spark_jobs import medallion",
            "spark_jobs: one way",
            "include.spark_jobs.gold -> include.spark_jobs.medallion",
        ),
        (
            "include/retail_db/seed.py",
            "from include.local import synthetic",
            "include: one way",
            "include.retail_db.seed -> include.local.synthetic",
        ),
    ],
)
def test_a_violating_import_is_caught(copy_of_the_project, module, bad_import, contract, reported):
    assert lint_imports(copy_of_the_project).returncode == 0  # the copy is as good as the project
    path = copy_of_the_project / module
    path.write_text(path.read_text() + f"\n{bad_import}  # noqa\n")
    result = lint_imports(copy_of_the_project)
    assert result.returncode == 1
    broken = [line for line in result.stdout.splitlines() if " BROKEN" in line]
    assert any(line.startswith(contract) for line in broken), result.stdout
    assert reported in result.stdout


def first_party_imports(source: str) -> list[str]:
    """Every module of ours a Python source imports, at any depth (function-level imports included)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        found += [n for n in names if n.split(".")[0] in ("include", "tools")]
    return found


def wrong_dag_imports(source: str) -> list[str]:
    return [m for m in first_party_imports(source) if not m.startswith(DAG_IMPORTS)]


def test_dag_files_import_only_the_orchestration_glue():
    files = sorted(DAGS_DIR.glob("*.py"))
    assert files
    assert {f.name: wrong_dag_imports(f.read_text()) for f in files} == {f.name: [] for f in files}


def test_the_dag_check_catches_a_dag_reaching_past_orchestration():
    source = (
        "from include.orchestration import defaults\n"
        "def body():\n"
        "    from include.spark_jobs import gold\n"
        "    import tools.kafka_broker\n"
    )
    assert wrong_dag_imports(source) == ["include.spark_jobs", "tools.kafka_broker"]
