"""One migration at a time per database.

PostgreSQL: a session-level advisory lock; SQL Server: sp_getapplock (session owner); SQLite: an OS file
lock beside the database file (released by the kernel if the process dies, unlike a lock row). The lock
is held on its own connection, so Alembic's transactions are untouched. A second run waits up to
``timeout`` seconds, saying so, then gives up with MigrationLocked.
"""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from include.errors import MigrationLocked
from include.retail_db.config import sqlite_path

log = logging.getLogger(__name__)

LOCK_NAME = "scout_retail_db_migrations"
PG_LOCK_KEY = 0x5C0_7DB  # any fixed 64-bit number, the same for every Scout process


def _wait(try_once, what: str, timeout: float, poll: float = 0.5) -> None:
    started = time.monotonic()
    announced = False
    while not try_once():
        waited = time.monotonic() - started
        if waited >= timeout:
            raise MigrationLocked(
                f"another migration of {what} holds the lock; gave up after {waited:.0f} s"
                " (raise SCOUT_MIGRATION_LOCK_TIMEOUT to wait longer)"
            )
        if not announced:
            log.warning("another migration of %s is running; waiting up to %.0f s for it", what, timeout)
            announced = True
        time.sleep(poll)


@contextmanager
def migration_lock(url: str, timeout: float = 300.0) -> Iterator[None]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    name = engine.dialect.name
    what = engine.url.render_as_string(hide_password=True)
    try:
        if name == "sqlite":
            path = sqlite_path(url)
            if path is None:  # in-memory: nobody else can see it
                yield
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(f"{path}.migration-lock", "w") as handle:

                def try_once() -> bool:
                    try:
                        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        return True
                    except BlockingIOError:
                        return False

                _wait(try_once, what, timeout)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
            return
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if name == "postgresql":
                _wait(
                    lambda: conn.scalar(sa.text("select pg_try_advisory_lock(:k)"), {"k": PG_LOCK_KEY}), what, timeout
                )
                release = sa.text("select pg_advisory_unlock(:k)").bindparams(k=PG_LOCK_KEY)
            elif name == "mssql":
                get = sa.text(
                    "DECLARE @r int; EXEC @r = sp_getapplock @Resource = :r, @LockMode = 'Exclusive',"
                    " @LockOwner = 'Session', @LockTimeout = 0; SELECT @r"
                ).bindparams(r=LOCK_NAME)
                _wait(lambda: conn.scalar(get) >= 0, what, timeout)
                release = sa.text("EXEC sp_releaseapplock @Resource = :r, @LockOwner = 'Session'").bindparams(
                    r=LOCK_NAME
                )
            else:
                raise MigrationLocked(f"no migration lock for dialect {name!r}")
            try:
                yield
            finally:
                conn.execute(release)
    finally:
        engine.dispose()
