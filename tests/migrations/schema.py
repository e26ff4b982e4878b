"""Read a live database's schema into plain data, comparable across dialects."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import types as T


def _type(t: T.TypeEngine) -> str:
    if isinstance(t, T.Boolean):
        return "bool"
    if isinstance(t, T.Integer):
        return "int"
    if isinstance(t, (T.Float, T.Numeric)):
        return "float"
    if isinstance(t, T.DateTime):
        return "datetime"
    if isinstance(t, T.String):
        return f"str({t.length})" if t.length else "text"
    raise AssertionError(f"unexpected column type {t!r}")


def describe(url: str) -> dict[str, dict]:
    """{table: {"columns": {name: "type [null]"}, "indexes": {name: (columns, unique)}}}, sans alembic_version."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        inspector = sa.inspect(engine)
        result = {}
        for table in sorted(inspector.get_table_names()):
            if table == "alembic_version":
                continue
            columns = {
                c["name"]: _type(c["type"]) + (" null" if c["nullable"] else "") for c in inspector.get_columns(table)
            }
            indexes = {
                i["name"]: (tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(table)
                if not i.get("duplicates_constraint")  # PostgreSQL lists unique constraints' indexes too
            }
            result[table] = {"columns": columns, "indexes": indexes}
        return result
    finally:
        engine.dispose()
