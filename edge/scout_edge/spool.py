"""The durable store-and-forward spool: every event is written here before any transport sees it.

SQLite in WAL mode with ``synchronous=FULL``: a committed event survives kill -9 and power loss. Events
leave the spool only when the transport acknowledged them (:meth:`Spool.ack`). The spool is bounded:
when it is full the oldest events are dropped and counted (``dropped`` in :meth:`Spool.stats`, and a
warning in the log), never silently. An event_id is spooled once: re-adding a pending event is a no-op.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scout_edge.contract import Event

log = logging.getLogger(__name__)

_SCHEMA = """
create table if not exists spool (
    seq integer primary key autoincrement,
    event_id text not null unique,
    hub text not null,
    key text not null,
    payload text not null,
    enqueued_at real not null
);
create table if not exists counters (name text primary key, value real not null);
"""


@dataclass(frozen=True)
class Record:
    """One spooled message: what a transport sends. ``key`` is the partition key (the device id)."""

    seq: int
    event_id: str
    hub: str
    key: str
    payload: str


@dataclass(frozen=True)
class SpoolStats:
    depth: int
    dropped: int
    sent: int
    oldest_age_s: float | None
    last_publish_ts: float | None


class Spool:
    def __init__(self, path: str | Path, max_events: int = 200_000) -> None:
        self.path = Path(path)
        self.max_events = max_events
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("pragma journal_mode=wal")
        self._db.execute("pragma synchronous=full")
        self._db.executescript(_SCHEMA)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("begin immediate")
            try:
                yield self._db
            except BaseException:
                self._db.execute("rollback")
                raise
            self._db.execute("commit")

    def put(self, event: Event) -> None:
        self.put_raw([(event.event_id, event.hub, event.device_id, event.to_json())])

    def put_many(self, events: Iterable[Event]) -> None:
        self.put_raw((e.event_id, e.hub, e.device_id, e.to_json()) for e in events)

    def put_raw(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        """Spool (event_id, hub, key, payload) rows in one transaction, then enforce the bound."""
        now = time.time()
        with self._tx() as db:
            db.executemany(
                "insert or ignore into spool (event_id, hub, key, payload, enqueued_at) values (?, ?, ?, ?, ?)",
                ((eid, hub, key, payload, now) for eid, hub, key, payload in rows),
            )
            depth = db.execute("select count(*) from spool").fetchone()[0]
            if depth > self.max_events:
                excess = depth - self.max_events
                db.execute("delete from spool where seq in (select seq from spool order by seq limit ?)", (excess,))
                self._bump(db, "dropped", excess)
                log.warning("spool full (%d events): dropped the %d oldest", self.max_events, excess)

    def peek(self, limit: int) -> list[Record]:
        """The oldest pending records, in spool order."""
        with self._lock:
            rows = self._db.execute(
                "select seq, event_id, hub, key, payload from spool order by seq limit ?", (limit,)
            ).fetchall()
        return [Record(*row) for row in rows]

    def ack(self, seqs: Iterable[int]) -> int:
        """Remove records the transport acknowledged; returns how many were removed."""
        seqs = list(seqs)
        if not seqs:
            return 0
        with self._tx() as db:
            removed = 0
            for chunk in _chunks(seqs):
                marks = ",".join("?" * len(chunk))
                removed += db.execute(f"delete from spool where seq in ({marks})", chunk).rowcount
            self._bump(db, "sent", removed)
            db.execute(
                "insert into counters values ('last_publish_ts', ?) on conflict(name) do update set value = ?",
                (time.time(), time.time()),
            )
        return removed

    def ack_event_ids(self, event_ids: Iterable[str]) -> int:
        """Acknowledge by event_id (a transport that recovers its own partial output knows only those)."""
        ids = list(event_ids)
        seqs: list[int] = []
        with self._lock:
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                seqs += [r[0] for r in self._db.execute(f"select seq from spool where event_id in ({marks})", chunk)]
        return self.ack(seqs)

    @staticmethod
    def _bump(db: sqlite3.Connection, name: str, by: int) -> None:
        db.execute(
            "insert into counters values (?, ?) on conflict(name) do update set value = value + excluded.value",
            (name, by),
        )

    def depth(self) -> int:
        with self._lock:
            return self._db.execute("select count(*) from spool").fetchone()[0]

    def stats(self) -> SpoolStats:
        with self._lock:
            depth, oldest = self._db.execute("select count(*), min(enqueued_at) from spool").fetchone()
            counters = dict(self._db.execute("select name, value from counters").fetchall())
        return SpoolStats(
            depth=depth,
            dropped=int(counters.get("dropped", 0)),
            sent=int(counters.get("sent", 0)),
            oldest_age_s=None if oldest is None else round(time.time() - oldest, 3),
            last_publish_ts=counters.get("last_publish_ts"),
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _chunks(items: list, size: int = 500) -> Iterator[list]:
    """SQLite caps the number of bound parameters per statement."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
