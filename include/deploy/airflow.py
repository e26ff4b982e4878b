"""`make deploy-airflow`: the Airflow project to an Astronomer deployment with the Astro CLI.

    python -m include.deploy airflow             # checks here, then `astro deploy <SCOUT_ASTRO_DEPLOYMENT_ID>`
    python -m include.deploy airflow --dry-run   # print the checks and the command; needs no credentials

Checked here first, as `astro deploy` would find out only after building the image: the project files the
image is built from exist, the Dockerfile's Astro Runtime ships the Airflow the local environment pins
(include/deploy/runtime.py), and every DAG imports without errors, has tags and retries its tasks twice
(Astronomer's project checks). The API token is the Astro CLI's (ASTRO_API_TOKEN), never printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from include.deploy.runtime import check_project_runtime
from include.errors import PipelineStepFailed, SettingsError
from include.settings import DAGS_DIR, PROJECT_ROOT

PROJECT_FILES = (
    "Dockerfile",
    "requirements.txt",
    "requirements-airflow.txt",
    "packages.txt",
    ".astro/config.yaml",
    "dbt-requirements.txt",
)


def deployment_id() -> str:
    value = os.environ.get("SCOUT_ASTRO_DEPLOYMENT_ID", "").strip()
    return value or "<SCOUT_ASTRO_DEPLOYMENT_ID>"


def plan() -> list[str]:
    return [
        f"check the project files: {', '.join(PROJECT_FILES)}",
        "check the Dockerfile's Astro Runtime ships the Airflow requirements-airflow.txt pins",
        "check every DAG: no import errors, tags, task retries >= 2 (Astronomer's project checks)",
        f"astro deploy {deployment_id()} (builds the Dockerfile's image and deploys it)",
    ]


def check_project() -> None:
    missing = [f for f in PROJECT_FILES if not (PROJECT_ROOT / f).exists()]
    if missing:
        raise SettingsError(f"the Astro project lacks {', '.join(missing)}")
    check_project_runtime()
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=DAGS_DIR)
    wrong = [f"{path}: import error" for path in bag.import_errors]
    wrong += [f"{d}: no tags" for d, dag in bag.dags.items() if not dag.tags]
    wrong += [f"{d}: retries < 2" for d, dag in bag.dags.items() if (dag.default_args.get("retries") or 0) < 2]
    if wrong:
        raise SettingsError(f"the DAGs would fail Astronomer's checks: {'; '.join(wrong)}")


def check_credentials() -> None:
    if shutil.which("astro") is None:
        raise SettingsError("the Astro CLI is not installed (https://www.astronomer.io/docs/astro/cli/install-cli)")
    if not os.environ.get("ASTRO_API_TOKEN"):
        raise SettingsError("no ASTRO_API_TOKEN: create a deployment API token in Astro and export it")
    if not os.environ.get("SCOUT_ASTRO_DEPLOYMENT_ID"):
        raise SettingsError("no SCOUT_ASTRO_DEPLOYMENT_ID: the id of the Astro deployment to deploy to")


def run(say=print) -> None:
    check_credentials()
    check_project()
    say("project and DAGs checked")
    command = ["astro", "deploy", deployment_id(), "--force"]
    say(f"$ {' '.join(command)}")
    if subprocess.run(command, cwd=PROJECT_ROOT).returncode:
        raise PipelineStepFailed("`astro deploy` failed (its output is above)")
