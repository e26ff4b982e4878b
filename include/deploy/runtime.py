"""The Astro Runtime the image builds on, and the Airflow it ships, kept in step with the local environment.

The Runtime image decides Airflow's version: its ONBUILD step installs requirements.txt under the image's own
pins, so a different `apache-airflow` pin there either fails the build or silently changes Airflow. So:

- the Dockerfile's FROM tag names the Runtime build and its Python flavour (`runtime:3.3-8-python-3.12`);
- requirements.txt leaves Airflow out (as Astronomer's project template does);
- requirements-airflow.txt pins, for the local environment only (`make venv`), the Airflow that build ships.

`check_project_runtime()` refuses a project where these disagree; `make deploy-airflow` runs it before
`astro deploy`, and tests/unit/test_deploy.py keeps the files in step.

Where RUNTIMES comes from: Astronomer's Runtime catalog, the JSON the Astro CLI reads
(updates.astronomer.io/astronomer-runtime, `runtimeVersionsV3`: `airflowVersion` and `pythonVersions` per build),
as the astro-cli repository's image-build tests reproduce it (read 2026-12-07), and matching what public Astro
projects report running (3.3-2 = Airflow 3.3.0, 3.3-6/3.3-7 = 3.3.1). Astronomer's release notes
(astronomer.io/docs/runtime/runtime-release-notes) are the authority; neither is reachable from this machine,
so check them before moving to a newer build and add it here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from include.errors import SettingsError
from include.settings import PROJECT_ROOT

IMAGE_REPOSITORY = "astrocrpublic.azurecr.io/runtime"
AIRFLOW_PIN_FILE = "requirements-airflow.txt"


@dataclass(frozen=True)
class Runtime:
    airflow: str
    pythons: tuple[str, ...]  # the Python flavours the build is published for (`-python-<version>` tags)


RUNTIMES = {
    "3.3-7": Runtime(airflow="3.3.1", pythons=("3.12", "3.13", "3.14")),
    "3.3-8": Runtime(airflow="3.3.2", pythons=("3.12", "3.13", "3.14")),
}


@dataclass(frozen=True)
class Image:
    build: str  # e.g. 3.3-8
    python: str  # e.g. 3.12

    @property
    def tag(self) -> str:
        return f"{IMAGE_REPOSITORY}:{self.build}-python-{self.python}"


def dockerfile_image(dockerfile: str) -> Image:
    """The Runtime build and Python flavour a Dockerfile's (only) FROM line names."""
    froms = re.findall(r"^FROM\s+(\S+)", dockerfile, re.M)
    if len(froms) != 1:
        raise SettingsError(f"the Dockerfile must have one FROM line (an Astro Runtime image); it has {len(froms)}")
    found = re.fullmatch(rf"{re.escape(IMAGE_REPOSITORY)}:(\d+\.\d+-\d+)-python-(\d+\.\d+)", froms[0])
    if found is None:
        raise SettingsError(
            f"the Dockerfile builds FROM {froms[0]}; expected {IMAGE_REPOSITORY}:<build>-python-<version>, "
            "e.g. runtime:3.3-8-python-3.12 (a pinned build and Python, so the image does not move under you)"
        )
    return Image(build=found[1], python=found[2])


def pinned_airflow(text: str) -> str | None:
    found = re.search(r"^apache-airflow==([\w.]+)\s*(?:#.*)?$", text, re.M)
    return found[1] if found else None


def problems(dockerfile: str, airflow_pins: str, requirements: str) -> list[str]:
    """What disagrees between the Dockerfile, the local Airflow pin and requirements.txt (empty: all agree)."""
    try:
        image = dockerfile_image(dockerfile)
    except SettingsError as error:
        return [str(error)]
    wrong = []
    runtime = RUNTIMES.get(image.build)
    if runtime is None:
        known = ", ".join(RUNTIMES)
        return [
            f"Astro Runtime {image.build} is not in include/deploy/runtime.py RUNTIMES ({known}): look up the "
            "Airflow version and Pythons it ships in Astronomer's release notes and add it"
        ]
    if image.python not in runtime.pythons:
        wrong.append(
            f"Astro Runtime {image.build} is not published for Python {image.python} "
            f"(it is for {', '.join(runtime.pythons)})"
        )
    local = pinned_airflow(airflow_pins)
    if local != runtime.airflow:
        wrong.append(
            f"{AIRFLOW_PIN_FILE} pins apache-airflow=={local} but Astro Runtime {image.build} ships "
            f"Airflow {runtime.airflow}: pin apache-airflow=={runtime.airflow}"
        )
    if re.search(r"^apache-airflow\s*(?:[=<>!~\[;]|$)", requirements, re.M):
        wrong.append(
            "requirements.txt names apache-airflow: the Runtime image decides Airflow's version, "
            f"so leave it out (the local pin is in {AIRFLOW_PIN_FILE})"
        )
    return wrong


def check_project_runtime(root: Path = PROJECT_ROOT) -> Image:
    """The project's Runtime image; SettingsError naming every disagreement."""
    dockerfile = (root / "Dockerfile").read_text()
    wrong = problems(dockerfile, (root / AIRFLOW_PIN_FILE).read_text(), (root / "requirements.txt").read_text())
    if wrong:
        raise SettingsError("; ".join(wrong))
    return dockerfile_image(dockerfile)
