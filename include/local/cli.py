"""Local entry points behind `make demo`, `make up` and the rollback targets (the embedded default:
Airflow on SQLite).

python -m include.local demo            # run the slice DAG once with dag.test(), print a summary
python -m include.local up              # Airflow (API server, scheduler, dag-processor, triggerer) on 127.0.0.1:8080
python -m include.local rollback ...    # the AudioURL rollback DAG once (see include/local/rollback.py)
python -m include.local rollback-demo   # deprecate, then restore, AudioURL per layer before and after
python -m include.local rollback-repair # the sample an older rollback validation left behind, removed
"""

from __future__ import annotations

import sys

from include.arguments import run_command
from include.local import airflow, demo, rollback

COMMANDS = {"demo": demo.demo, "up": airflow.up, "rollback-demo": rollback.demo}
WITH_ARGUMENTS = {"rollback": rollback.rollback, "rollback-repair": rollback.repair}


def main(argv: list[str]) -> int:
    if argv and argv[0] in WITH_ARGUMENTS:
        return run_command("python -m include.local", lambda: WITH_ARGUMENTS[argv[0]](argv[1:]))
    if len(argv) != 1 or argv[0] not in COMMANDS:
        print(f"usage: python -m include.local {{{'|'.join([*COMMANDS, *WITH_ARGUMENTS])}}}", file=sys.stderr)
        return 2
    return run_command("python -m include.local", COMMANDS[argv[0]])
