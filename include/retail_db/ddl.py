"""Idempotent schema operations for the migrations, and the column types each dialect gets.

Legacy databases had hand-run scripts applied partly, so every operation first asks the live database
whether its target exists. In offline mode (SQL scripts for a DBA) there is no database to ask: the
statements are emitted as they are, for a database at the script's starting revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import mssql

# ---- types and defaults per dialect -------------------------------------------------------------------


def text(length: int) -> sa.types.TypeEngine:
    """NVARCHAR(n) on SQL Server, VARCHAR(n) elsewhere (PostgreSQL and SQLite store UTF-8 anyway)."""
    return sa.Unicode(length)


LONG_TEXT = sa.UnicodeText()
UTC_DATETIME = sa.DateTime(timezone=False).with_variant(mssql.DATETIME2(), "mssql")  # values are UTC


def utc_now() -> sa.TextClause:
    """Server default: the current UTC time, in the dialect's words."""
    return {
        "postgresql": sa.text("timezone('utc', now())"),
        "mssql": sa.text("SYSUTCDATETIME()"),
    }.get(dialect(), sa.text("CURRENT_TIMESTAMP"))  # SQLite's CURRENT_TIMESTAMP is UTC


def boolean(default: bool) -> dict:
    return {
        "type_": sa.Boolean(create_constraint=False),
        "nullable": False,
        "server_default": sa.true() if default else sa.false(),
    }


# ---- what exists ----------------------------------------------------------------------------------------


def dialect() -> str:
    return context.get_context().dialect.name


def offline() -> bool:
    return context.is_offline_mode()


def _inspector() -> sa.Inspector:
    return sa.inspect(op.get_bind())  # a fresh inspector each time: no stale cache between operations


def has_table(table: str) -> bool:
    return not offline() and _inspector().has_table(table)


def has_column(table: str, column: str) -> bool:
    return has_table(table) and column in {c["name"] for c in _inspector().get_columns(table)}


def has_index(table: str, index: str) -> bool:
    return has_table(table) and index in {i["name"] for i in _inspector().get_indexes(table)}


# ---- operations that skip what is already there ----------------------------------------------------------


def _computed_default(column: sa.Column) -> bool:
    """A default evaluated by the server (e.g. the current time), not a literal like 1 or 'x'."""
    return isinstance(getattr(column.server_default, "arg", None), sa.TextClause)


def create_table(table: str, *columns: sa.schema.SchemaItem) -> None:
    if not has_table(table):
        op.create_table(table, *columns)


def drop_table(table: str) -> None:
    if offline() or has_table(table):
        op.drop_table(table)


def add_column(table: str, column: sa.Column) -> None:
    if has_column(table, column.name):
        return
    if dialect() == "sqlite" and _computed_default(column) and not offline():
        # SQLite's ALTER TABLE ADD COLUMN refuses a non-constant default: rebuild the table instead.
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.add_column(column)
    else:
        op.add_column(table, column)


def drop_column(table: str, column: str) -> None:
    if offline() or has_column(table, column):
        # SQL Server refuses to drop a column that still has its (system-named) default constraint.
        op.drop_column(table, column, mssql_drop_default=True)


def create_index(index: str, table: str, columns: list[str], unique: bool = False) -> None:
    if not has_index(table, index):
        op.create_index(index, table, columns, unique=unique)


def drop_index(index: str, table: str) -> None:
    if offline() or has_index(table, index):
        op.drop_index(index, table_name=table)
