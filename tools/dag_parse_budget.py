"""The DAG parse budget, checked by `make lint`: the whole dags/ folder parses cold, in a fresh interpreter
as the DAG processor parses it, in under a second (a time, so it belongs here and not in a test).

    python -m tools.dag_parse_budget          # prints the time; exit 1 over budget
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from include.settings import DAGS_DIR, PROJECT_ROOT

BUDGET_S = 1.0
PROBE = PROJECT_ROOT / "tests" / "dags" / "parse_probe.py"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="scout-parse-") as airflow_home:
        env = {**os.environ, "AIRFLOW_HOME": airflow_home, "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
               "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "PYTHONPATH": str(PROJECT_ROOT)}  # fmt: skip
        done = subprocess.run([sys.executable, str(PROBE), str(DAGS_DIR)], capture_output=True, text=True, env=env)
    if done.returncode:
        print(f"parsing {DAGS_DIR} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return 1
    seconds = json.loads(done.stdout.strip().splitlines()[-1])["seconds"]
    verdict = "within" if seconds < BUDGET_S else "OVER"
    print(f"dags/ parses in {seconds:.2f} s ({verdict} the {BUDGET_S:.0f} s budget)")
    return 0 if seconds < BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
