"""The dbt models follow the house SQL style (STYLE.md 8), checked by sqlfluff in `make lint` and
`make test` with include/dbt_project/.sqlfluff; here: the models pass, and the check catches a model that
does not."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from include.settings import DBT_PROJECT_DIR

SQLFLUFF = str(Path(sys.executable).with_name("sqlfluff"))


def lint(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SQLFLUFF, "lint", "models", "--disable-progress-bar", "--nocolor"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_the_models_pass():
    result = lint(DBT_PROJECT_DIR)
    assert result.returncode == 0, result.stdout[-3000:]


def test_an_uppercase_keyword_and_a_long_line_are_caught(tmp_path):
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    model = project / "models" / "marts" / "store_daily_metrics.sql"
    long_line = f"        concat(store_id, '{'x' * 120}') as padded,\n"
    model.write_text(
        model.read_text().replace("    select\n        store_id,\n", f"    SELECT\n{long_line}        store_id,\n", 1)
    )
    result = lint(project)
    assert result.returncode == 1
    assert "CP01" in result.stdout and "LT05" in result.stdout and "store_daily_metrics.sql" in result.stdout
