"""A DAG run on the terminal as one line per step, everything else in a log file.

`make demo` runs the slice with dag.test() in its own process: Airflow's task logs, Spark's JVM output
and dbt's output would flood the terminal. ``quiet_run`` sends all of it (file descriptors 1 and 2, so the
JVM Spark starts inherits them too) to a log file and prints a line as each task ends, from an Airflow
listener. The dbt task group's sensors (one per model, done as soon as the one `dbt build` is) are counted
into its build's line, not listed.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import pluggy

# Airflow's own marker (airflow.listeners.hookimpl is this), made here so that importing this module does
# not import Airflow before prepare_airflow has set its environment.
hookimpl = pluggy.HookimplMarker("airflow")

WATCHER = "dbt_producer_watcher"  # Cosmos's task that runs `dbt build` for the whole group


def _label(task_id: str) -> str | None:
    """The step a task shows as, or None for a task folded into another's line."""
    group, _, task = task_id.rpartition(".")
    if not group:
        return task_id
    return f"{group} (dbt build)" if task == WATCHER else None


class Progress:
    """Listener: a line on ``out`` per task that ends (succeeded, or failed with the error's first line)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.started: dict[str, float] = {}

    def _line(self, task_id: str, outcome: str) -> None:
        label = _label(task_id)
        if label is None:
            return
        seconds = time.monotonic() - self.started.get(task_id, time.monotonic())
        self.out.write(f"  {label:<34} {outcome} ({seconds:.0f} s)\n")
        self.out.flush()

    @hookimpl
    def on_task_instance_running(self, previous_state, task_instance) -> None:
        self.started[task_instance.task_id] = time.monotonic()

    @hookimpl
    def on_task_instance_success(self, previous_state, task_instance) -> None:
        self._line(task_instance.task_id, "done")

    @hookimpl
    def on_task_instance_failed(self, previous_state, task_instance, error) -> None:
        first = str(error).strip().splitlines()[0] if error else "failed"
        self._line(task_instance.task_id, f"FAILED: {first}")


@contextmanager
def output_to(log: Path) -> Iterator[TextIO]:
    """Everything this process (and what it starts) writes to stdout and stderr goes to ``log``; yields a
    stream to the terminal for the progress lines."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(saved[0]), "w", buffering=1)
    with log.open("a") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield terminal
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            terminal.close()


def quiet_run(run: Callable[[], object], out: TextIO) -> object:
    """``run()`` (e.g. a DAG's dag.test()) with a line on ``out`` as each task ends."""
    from airflow.sdk.listener import get_listener_manager

    progress = Progress(out)
    manager = get_listener_manager()
    manager.add_listener(progress)
    try:
        return run()
    finally:
        manager.pm.unregister(progress)
