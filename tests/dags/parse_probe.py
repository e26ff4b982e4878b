"""Parse a DAG folder in a fresh interpreter and report what parsing did, as JSON on stdout.

    python tests/dags/parse_probe.py DAGS_FOLDER

Reports import errors, each DAG's tags/owner/retries, the heavy modules the DAG files pulled in, every
connection or variable lookup, every SQL statement sent to Airflow's database, and the parse time.
A fresh process is the point: sys.modules starts clean and the time is a cold parse, as in the scheduler.
"""

from __future__ import annotations

import json
import sys
import time

HEAVY = ("pyspark", "delta", "pandas", "cv2", "torch", "faster_whisper", "dbt")


def main(dags_folder: str) -> None:
    import sqlalchemy
    from airflow.dag_processing.dagbag import DagBag
    from airflow.models.connection import Connection as ModelConnection
    from airflow.models.variable import Variable as ModelVariable
    from airflow.sdk import BaseHook, Connection, Variable

    lookups: list[str] = []

    def refuse(what):
        def lookup(*args, **kwargs):
            lookups.append(f"{what}{args[-1:] if args else ''}")
            raise RuntimeError(f"{what} called while parsing DAGs")

        return lookup

    BaseHook.get_connection = classmethod(refuse("BaseHook.get_connection"))
    Connection.get = classmethod(refuse("Connection.get"))
    Variable.get = staticmethod(refuse("Variable.get"))
    ModelConnection.get_connection_from_secrets = classmethod(refuse("Connection.get_connection_from_secrets"))
    ModelVariable.get = classmethod(refuse("Variable.get"))

    queries: list[str] = []
    sqlalchemy.event.listen(
        sqlalchemy.engine.Engine, "before_cursor_execute", lambda conn, cur, stmt, *a: queries.append(stmt[:120])
    )

    before = {m.split(".")[0] for m in sys.modules}
    started = time.perf_counter()
    bag = DagBag(dag_folder=dags_folder)
    seconds = time.perf_counter() - started
    heavy = sorted({m.split(".")[0] for m in sys.modules} - before & set(HEAVY))

    dags = {
        dag_id: {
            "file": dag.fileloc,
            "tags": sorted(dag.tags),
            "owner": dag.default_args.get("owner"),
            "retries": {task.task_id: task.retries for task in dag.tasks},
            "unalerted": [task.task_id for task in dag.tasks if not task.on_failure_callback],
            "tasks": len(dag.tasks),
        }
        for dag_id, dag in bag.dags.items()
    }
    report = {
        "seconds": seconds,
        "import_errors": bag.import_errors,
        "dags": dags,
        "heavy_modules": heavy,
        "lookups": lookups,
        "queries": queries,
        "files": [str(f) for f in bag.file_last_changed],
    }
    print(json.dumps(report, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
