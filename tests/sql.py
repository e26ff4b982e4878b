"""Reading a database the way a test checks it: straight SQL, nothing of the code under test."""

from __future__ import annotations

import sqlalchemy as sa


def rows(url: str, sql: str) -> list[tuple]:
    """Every row ``sql`` returns from the database at ``url`` (a connection of its own, closed after)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        result = [tuple(r) for r in conn.exec_driver_sql(sql)]
    engine.dispose()
    return result
