"""Each streaming job's progress, where the orchestrator reads it cheaply: one small JSON document per job
(``SCOUT_HOME/ops/<job>.progress.json``), rewritten whole after every micro-batch.

    {"job": "medallion", "state": "running" | "stopped" | "failed", "pid": ..., "started_at": ...,
     "updated_at": ..., "batch_id": 41, "rows": 1200, "batch_s": 12.5, "backlog": {"<topic>": 0, ...},
     "error": null,
     "tables": {"gold_store_interaction_metrics": {"rows_total": ..., "last_rows_at": ...,
                                                   "newest_event_ts": ...}, ...}}

A StreamingQueryListener writes it (it sees every batch's progress, the source offsets and how the query
ended, a crash's error included); the job's batch function hands it what each table got (``note_batch``),
which Spark's progress does not know. ``last_rows_at`` is the wall-clock time a table last received rows:
the freshness the health check compares with the SLA. Times are UTC ISO-8601.

A batch that gave a ``signalled`` table (gold) rows also drops a flag file for it in ``flags_dir``
(``Settings.gold_flags_dir``, SCOUT_HOME/ops/gold_advanced/<table>: {"batch_id", "rows", "at"}). Where
the orchestrator runs beside the stream, an Airflow Asset watcher picks it up within seconds, deletes it
and starts what is scheduled on the table (include/orchestration/assets.py), instead of waiting for the
next health check.
"""

from __future__ import annotations

import json
import os
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyspark.sql.streaming import StreamingQueryListener

from include.atomic import write_atomic

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@dataclass(frozen=True)
class TableBatch:
    """What one micro-batch wrote to one table."""

    rows: int
    newest_event_ts: datetime | None = None


def progress_path(ops_dir: Path, job: str) -> Path:
    return ops_dir / f"{job}.progress.json"


def read_progress(ops_dir: Path, job: str) -> dict[str, Any] | None:
    """The job's last recorded progress, or None if it never ran here."""
    path = progress_path(ops_dir, job)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None


def _iso(ts: datetime | None) -> str | None:
    if ts is None:
        return None
    return (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).astimezone(UTC).isoformat(timespec="seconds")


def _backlog(sources: list) -> dict[str, int]:
    """Records behind the latest offset, per Kafka source (the Kafka source reports it; files do not)."""
    behind: dict[str, int] = {}
    for source in sources:
        metrics = source.metrics or {}
        if "maxOffsetsBehindLatest" in metrics:
            behind[source.description] = int(float(metrics["maxOffsetsBehindLatest"]))
    return behind


class ProgressRecorder(StreamingQueryListener):
    """Keeps ``<job>.progress.json`` up to date for the query named ``job``."""

    def __init__(self, ops_dir: Path, job: str, signalled: frozenset[str], flags_dir: Path) -> None:
        self.path = progress_path(ops_dir, job)
        self.signalled = signalled  # tables whose new rows drop a flag file in ``flags_dir``
        self.flags = flags_dir
        self.job = job
        self.query_id: str | None = None  # the first query named ``job`` started after this recorder
        self._lock = threading.Lock()
        self._progressed = threading.Condition(self._lock)  # notified after each batch's record is written
        self._notes: dict[int, tuple[Mapping[str, TableBatch], int]] = {}
        self.last_noted: int | None = None  # the newest batch this run's query ran (None: it ran none)
        previous = read_progress(ops_dir, job) or {}
        # Tables keep their history across restarts: freshness is about the data, not this process.
        self.doc: dict[str, Any] = {"job": job, "tables": previous.get("tables", {})}

    def note_batch(self, batch_id: int, tables: Mapping[str, TableBatch], flags_version: int) -> None:
        """What batch ``batch_id`` wrote, and the pipeline flags' version read before it started (it
        applied that version or a newer one); recorded once Spark reports the batch committed."""
        with self._lock:
            self._notes[batch_id] = (tables, flags_version)
            self.last_noted = batch_id if self.last_noted is None else max(self.last_noted, batch_id)

    def _write(self, **fields: Any) -> None:
        self.doc.update(fields, updated_at=_iso(datetime.now(UTC)))
        write_atomic(self.path, json.dumps(self.doc, indent=1) + "\n")

    def _mine(self, query_id) -> bool:
        return self.query_id is not None and str(query_id) == self.query_id

    def onQueryStarted(self, event) -> None:
        if event.name != self.job or self.query_id is not None:
            return
        with self._lock:
            self.query_id = str(event.id)
            self._write(state="running", pid=os.getpid(), started_at=_iso(datetime.now(UTC)), error=None)

    def onQueryProgress(self, event) -> None:
        progress = event.progress
        if not self._mine(progress.id):
            return
        with self._lock:
            now = _iso(datetime.now(UTC))
            tables = self.doc["tables"]
            written_by, flags_version = self._notes.pop(progress.batchId, ({}, self.doc.get("flags_version", 0)))
            for name, written in written_by.items():
                table = tables.setdefault(name, {"rows_total": 0, "last_rows_at": None, "newest_event_ts": None})
                if written.rows:
                    table["rows_total"] += written.rows
                    table["last_rows_at"] = now
                    if name in self.signalled:
                        flag = {"batch_id": progress.batchId, "rows": written.rows, "at": now}
                        write_atomic(self.flags / name, json.dumps(flag) + "\n")
                newest = _iso(written.newest_event_ts)
                if newest and (table["newest_event_ts"] is None or newest > table["newest_event_ts"]):
                    table["newest_event_ts"] = newest
            self._write(
                state="running",
                batch_id=progress.batchId,
                rows=progress.numInputRows,
                batch_s=round(progress.batchDuration / 1000, 3),
                backlog=_backlog(progress.sources),
                flags_version=flags_version,
            )
            self._progressed.notify_all()

    def wait_for_batch(self, batch_id: int, timeout: float) -> bool:
        """Wait until batch ``batch_id`` is recorded: Spark delivers progress events to listeners
        asynchronously, so when an available-now query ends its last batches may not be in yet (and a
        process that exits at once would lose them, gold's flags included). False if ``timeout`` passed."""
        with self._progressed:
            return self._progressed.wait_for(lambda: self.doc.get("batch_id", -1) >= batch_id, timeout)

    def onQueryIdle(self, event) -> None:
        """An idle trigger: no batch in flight then (the AudioURL rollback waits for one, or a batch)."""
        if self._mine(event.id):
            with self._lock:
                at = datetime.fromisoformat(event.timestamp.replace("Z", "+00:00"))
                self._write(idle_at=at.astimezone(UTC).isoformat(timespec="milliseconds"))

    def onQueryTerminated(self, event) -> None:
        if self._mine(event.id):
            self.ended(event.exception)

    def ended(self, error: str | None) -> None:
        """The query stopped (``error`` None) or failed with ``error``; whichever of Spark's event and the
        job's own call comes first records it, and a later stop does not hide an earlier error."""
        with self._lock:
            if self.doc.get("state") in ("stopped", "failed") and not error:
                return
            self._write(state="failed" if error else "stopped", error=error[-4000:] if error else None)


class _Dispatch(StreamingQueryListener):
    """The one listener a SparkSession gets, handing each event to the recorders of the jobs it runs.

    Spark calls every registered listener for every event, each call a round trip from the JVM into
    Python: with a listener per job run they piled up in a session that runs many (the test session runs
    hundreds), and each event, an idle trigger's too, cost a call per run ever made. A recorder leaves
    once its query has ended."""

    def __init__(self) -> None:
        super().__init__()
        self._recorders: list[ProgressRecorder] = []
        self._lock = threading.Lock()

    def add(self, recorder: ProgressRecorder) -> None:
        with self._lock:
            self._recorders.append(recorder)

    def discard(self, recorder: ProgressRecorder) -> None:
        with self._lock:
            self._recorders = [r for r in self._recorders if r is not recorder]

    def _each(self) -> list[ProgressRecorder]:
        with self._lock:
            return list(self._recorders)

    def onQueryStarted(self, event) -> None:
        for recorder in self._each():
            recorder.onQueryStarted(event)

    def onQueryProgress(self, event) -> None:
        for recorder in self._each():
            recorder.onQueryProgress(event)

    def onQueryIdle(self, event) -> None:
        for recorder in self._each():
            recorder.onQueryIdle(event)

    def onQueryTerminated(self, event) -> None:
        for recorder in self._each():
            recorder.onQueryTerminated(event)
            if recorder._mine(event.id):
                self.discard(recorder)


_DISPATCH: weakref.WeakKeyDictionary[SparkSession, _Dispatch] = weakref.WeakKeyDictionary()
_DISPATCH_LOCK = threading.Lock()


def listen(spark: SparkSession, recorder: ProgressRecorder) -> None:
    """Have ``recorder`` see ``spark``'s streaming events until the query it records has ended."""
    with _DISPATCH_LOCK:
        dispatch = _DISPATCH.get(spark)
        if dispatch is None:
            dispatch = _DISPATCH[spark] = _Dispatch()
            spark.streams.addListener(dispatch)
    dispatch.add(recorder)


def stop_listening(spark: SparkSession, recorder: ProgressRecorder) -> None:
    """``recorder`` sees no more events (its query never started)."""
    with _DISPATCH_LOCK:
        dispatch = _DISPATCH.get(spark)
    if dispatch is not None:
        dispatch.discard(recorder)
