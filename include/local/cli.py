"""Local entry points behind `make demo` and `make up` (the embedded default: Airflow on SQLite).

python -m include.local demo   # run the slice DAG once with dag.test(), print a summary
python -m include.local up     # Airflow (API server, scheduler, dag-processor, triggerer) on 127.0.0.1:8080
"""

from __future__ import annotations

import sys

from include.arguments import run_command
from include.local import airflow, demo

COMMANDS = {"demo": demo.demo, "up": airflow.up}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in COMMANDS:
        print(f"usage: python -m include.local {{{'|'.join(COMMANDS)}}}", file=sys.stderr)
        return 2
    return run_command("python -m include.local", COMMANDS[argv[0]])
