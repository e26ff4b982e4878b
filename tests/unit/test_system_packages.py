"""tools/system_packages.sh, which `make demo` and `make test` run first: as root it installs what is
missing with apt-get; as anyone else it names the one apt-get line to run."""

from __future__ import annotations

import os
import subprocess

from include.settings import PROJECT_ROOT

SCRIPT = str(PROJECT_ROOT / "tools" / "system_packages.sh")
AS_A_USER = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []


def run(*pairs: str) -> subprocess.CompletedProcess:
    return subprocess.run([*AS_A_USER, "bash", SCRIPT, *pairs], capture_output=True, text=True, check=False)


def test_a_user_is_told_the_one_line_to_run_for_whatever_is_missing():
    result = run("sh:dash", "no-such-tool:tool-pkg", "/no/such/*/initdb:postgresql", "no-such-tool-2:tool-pkg")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "missing system packages: tool-pkg postgresql; install them with: sudo apt-get install -y tool-pkg postgresql\n"
    )


def test_nothing_is_done_or_said_when_everything_is_there():
    result = run("sh:dash", "/bin/*sh:dash")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
