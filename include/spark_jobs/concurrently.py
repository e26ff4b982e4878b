"""Independent Spark work of one micro-batch, submitted from several driver threads at once.

A micro-batch writes a dozen small Delta tables. Each write is a few short Spark jobs and a commit, and
most of its time is driver-side (planning, reading the Delta log, committing), so one after the other
they leave the cores idle. Submitted together, the scheduler interleaves their tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from pyspark.sql import SparkSession
from pyspark.util import inheritable_thread_target

T = TypeVar("T")


def run_all(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Run the tasks at once; return their results in order. Every task finishes (or fails) before this
    returns; the first failure, in task order, is raised.

    Each thread inherits the caller's Spark local properties (the streaming query's job group), so
    stopping the query cancels their jobs too.
    """
    if len(tasks) <= 1:
        return [task() for task in tasks]
    session = SparkSession.getActiveSession()
    inherit = inheritable_thread_target(session) if session is not None else inheritable_thread_target
    with ThreadPoolExecutor(max_workers=len(tasks), thread_name_prefix="scout-batch") as pool:
        futures = [pool.submit(inherit(task)) for task in tasks]
    return [future.result() for future in futures]
