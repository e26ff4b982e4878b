"""Every command line the READMEs show in a bash block is one the code accepts: each `make` target exists,
and each `python -m include.spark_jobs` / `scout-edge` line parses with the program's own argument parser
(as far as a line can be checked without running it; edge/README's `scout-edge simulate --transport kafka`
runs for real against the broker in tests/integration/test_edge_kafka.py). Docs and code cannot drift apart
unnoticed: a renamed flag or target fails here."""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest

from include.settings import PROJECT_ROOT

DOCS = sorted((PROJECT_ROOT / "docs").glob("*.md"))
READMES = (PROJECT_ROOT / "README.md", PROJECT_ROOT / "edge" / "README.md", *DOCS)


def documented_lines() -> list[tuple[str, list[str]]]:
    """(readme, argv) for every command line of every ```bash block (continuations joined, comments cut)."""
    found = []
    for readme in READMES:
        for block in re.findall(r"```bash\n(.*?)```", readme.read_text(), re.S):
            for line in block.replace("\\\n", " ").splitlines():
                argv = shlex.split(line, comments=True)
                if argv:
                    found.append((readme.relative_to(PROJECT_ROOT).as_posix(), argv))
    return found


def make_targets() -> set[str]:
    listed = subprocess.run(["make", "-pRrq", "-f", "Makefile", ":"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    return set(re.findall(r"^([a-z][\w-]*):", listed.stdout, re.M))


LINES = documented_lines()


def test_the_readmes_show_the_commands_this_test_knows():
    programs = {argv[0].rsplit("/", 1)[-1] for _, argv in LINES}
    assert {"make", "python", "scout-edge"} <= programs


@pytest.mark.parametrize(
    ("readme", "argv"),
    [(r, a) for r, a in LINES if a[0] == "make"],
    ids=lambda v: " ".join(v) if isinstance(v, list) else v,
)
def test_every_documented_make_target_exists(readme, argv):
    targets = [a for a in argv[1:] if "=" not in a]
    assert set(targets) <= make_targets(), f"{readme}: `{' '.join(argv)}` names a target the Makefile lacks"


@pytest.mark.parametrize(
    ("readme", "argv"),
    [(r, a) for r, a in LINES if a[:3] == [".venv/bin/python", "-m", "include.spark_jobs"]],
    ids=lambda v: " ".join(v) if isinstance(v, list) else v,
)
def test_every_documented_job_command_parses(readme, argv):
    from include.spark_jobs.cli import parse_args

    name, _, trigger = parse_args(argv[3:])  # SystemExit(2) on anything the CLI would refuse
    assert name == argv[3] and trigger.mode.value == argv[argv.index("--trigger") + 1]


@pytest.mark.parametrize(
    ("readme", "argv"),
    [(r, a) for r, a in LINES if a[0] == "scout-edge"],
    ids=lambda v: " ".join(v) if isinstance(v, list) else v,
)
def test_every_documented_edge_command_parses(readme, argv):
    from scout_edge.cli import parser

    args = parser().parse_args([a for a in argv[1:] if not (a.startswith("[") or a.endswith("]"))])
    assert args.command == argv[1]
