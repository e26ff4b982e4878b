"""What can be checked of the Astronomer deploy without a Docker engine."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys

import pytest

from include.deploy.runtime import RUNTIMES, check_project_runtime, dockerfile_image, pinned_airflow, problems
from include.settings import PROJECT_ROOT

DOCKERFILE = (PROJECT_ROOT / "Dockerfile").read_text()
UV = PROJECT_ROOT / ".venv" / "bin" / "uv"
DBT = PROJECT_ROOT / ".venv-dbt" / "bin" / "dbt"


def test_the_runtime_tag_the_local_pin_the_installed_airflow_and_the_docs_agree():
    image = check_project_runtime()
    airflow = RUNTIMES[image.build].airflow
    assert pinned_airflow((PROJECT_ROOT / "requirements-airflow.txt").read_text()) == airflow
    assert importlib.metadata.version("apache-airflow") == airflow  # what `make venv` installed
    for doc in ("README.md", "docs/deploy.md"):
        text = " ".join((PROJECT_ROOT / doc).read_text().split())
        assert f"Airflow {airflow}" in text and f"Runtime {image.build}" in text, doc
    assert image.tag.rsplit("/", 1)[1] in (PROJECT_ROOT / "docs" / "deploy.md").read_text()  # runtime:3.3-8-python-3.12


GOOD_PIN = "apache-airflow==3.3.2\n"
GOOD_REQUIREMENTS = "apache-airflow-providers-smtp==3.2.0\nastronomer-cosmos==1.15.1\n"


@pytest.mark.parametrize(
    ("from_line", "requirements", "says"),
    [
        (
            "runtime:3.3-7-python-3.12",
            GOOD_REQUIREMENTS,
            "requirements-airflow.txt pins apache-airflow==3.3.2 but Astro Runtime 3.3-7 ships Airflow 3.3.1",
        ),
        (
            "runtime:3.3-8-python-3.11",
            GOOD_REQUIREMENTS,
            "Astro Runtime 3.3-8 is not published for Python 3.11 (it is for 3.12, 3.13, 3.14)",
        ),
        (
            "runtime:3.3-8-python-3.12",
            "apache-airflow==3.3.2\n" + GOOD_REQUIREMENTS,
            "requirements.txt names apache-airflow",
        ),
        (
            "runtime:3.3-8-python-3.12",
            "apache-airflow[postgres]>=3.3\n",
            "requirements.txt names apache-airflow",
        ),
        ("runtime:3.3-99-python-3.12", GOOD_REQUIREMENTS, "Astro Runtime 3.3-99 is not in"),
        (
            "runtime:3.3",
            GOOD_REQUIREMENTS,
            "expected astrocrpublic.azurecr.io/runtime:<build>-python-<version>",
        ),
    ],
)
def test_a_project_whose_runtime_and_pins_disagree_is_refused(from_line, requirements, says):
    dockerfile = DOCKERFILE.replace(dockerfile_image(DOCKERFILE).tag, f"astrocrpublic.azurecr.io/{from_line}")
    found = problems(dockerfile, GOOD_PIN, requirements)
    assert len(found) == 1 and says in found[0], found


def test_the_project_as_committed_has_no_runtime_problem():
    assert problems(DOCKERFILE, GOOD_PIN, GOOD_REQUIREMENTS) == []
    assert (
        problems(
            DOCKERFILE,
            (PROJECT_ROOT / "requirements-airflow.txt").read_text(),
            (PROJECT_ROOT / "requirements.txt").read_text(),
        )
        == []
    )


def test_every_project_path_the_dockerfile_uses_exists():
    paths = set(re.findall(r"(?<![\w/.])(\./edge|[\w-]+\.txt|include/[\w/.-]+)", DOCKERFILE))
    assert {"./edge", "dbt-requirements.txt", "include/jars/pom.xml", "include/dbt_project"} <= paths
    missing = [p for p in paths if not (PROJECT_ROOT / p).exists()]
    assert missing == []
    modules = re.findall(r"python -m (include\.[\w.]+)", DOCKERFILE)  # ours, not e.g. venv
    assert "include.spark_jobs.session" in modules
    assert [m for m in modules if not (PROJECT_ROOT / f"{m.replace('.', '/')}.py").exists()] == []


def test_the_build_context_leaves_local_state_out():
    ignored = {line.strip() for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()}
    assert {".venv", ".venv-dbt", ".scout", "include/dbt_project/target"} <= ignored
    assert {"tools", "tests"} <= ignored  # developer tools and tests stay out of the image
    assert "requirements-airflow.txt" in ignored  # the local Airflow pin: the image brings its own Airflow


@pytest.mark.parametrize("python", ["3.11", dockerfile_image(DOCKERFILE).python])  # the local venvs', the image's
@pytest.mark.parametrize(
    ("requirements", "pinned"),
    [
        (("requirements-airflow.txt", "requirements.txt"), "apache-airflow==3.3.2"),
        (("dbt-requirements.txt",), "dbt-spark==1.10.3"),
    ],
)
def test_requirements_resolve_for_the_local_and_the_image_python(requirements, pinned, python, tmp_path):
    result = subprocess.run(
        [
            str(UV),
            "pip",
            "compile",
            "--quiet",
            "--python-version",
            python,
            "-o",
            str(tmp_path / "lock.txt"),
            *(str(PROJECT_ROOT / name) for name in requirements),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert pinned in (tmp_path / "lock.txt").read_text().splitlines()


def test_dags_import_with_the_image_layout(tmp_path):
    """Copy the build context to an Astro-like AIRFLOW_HOME, run the Dockerfile's dbt parse, parse dags/."""
    home = tmp_path / "usr" / "local" / "airflow"
    tracked = subprocess.run(["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    ignored = [line.strip() for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()]
    ignored = [pattern for pattern in ignored if pattern and not pattern.startswith("#")]
    for name in tracked.stdout.splitlines():
        in_context = not any(name == pattern or name.startswith(f"{pattern}/") for pattern in ignored)
        if in_context and (PROJECT_ROOT / name).is_file():
            (home / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_ROOT / name, home / name)
    parse = re.search(r"dbt_venv/bin/dbt (parse[^\n]*\\\n[^\n]*)", DOCKERFILE)[1].replace("\\\n", " ").split()
    subprocess.run(
        [str(DBT), *parse],
        cwd=home,
        check=True,
        capture_output=True,
        env={**os.environ, "SCOUT_HOME": str(home / ".scout")},
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(home),
        "SCOUT_HOME": str(home / ".scout"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
    }
    assert not (home / "tools").exists() and not (home / "tests").exists()  # the DAGs parse without them
    probe = PROJECT_ROOT / "tests" / "dags" / "parse_probe.py"
    result = subprocess.run(
        [sys.executable, str(probe), str(home / "dags")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = result.stdout.strip().splitlines()[-1]
    assert '"import_errors": {}' in report
    assert '"scout_slice"' in report
    assert str(home / "dags" / "scout_slice.py") in report  # the copy was parsed, not the checkout


def test_the_astro_project_is_named_and_tracked():
    import yaml

    config = yaml.safe_load((PROJECT_ROOT / ".astro" / "config.yaml").read_text())
    assert config["project"]["name"] == "scout"
    tracked = subprocess.run(["git", "ls-files", ".astro"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert tracked.stdout.split() == [".astro/config.yaml"] or not (PROJECT_ROOT / ".git").exists()
