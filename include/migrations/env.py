"""Alembic environment for RetailAdvisorDB (the generic template's shape).

The URL comes from the Config (set by include.retail_db) or, when Alembic's own CLI is used, from
include.retail_db.config.database_url(): SCOUT_RETAIL_DB_URL, the Airflow connection, or SQLite.
Online runs hold the migration lock (include/retail_db/lock.py) for their whole duration.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import context

from include.retail_db.config import database_url
from include.retail_db.lock import migration_lock

config = context.config
url = config.get_main_option("sqlalchemy.url") or database_url()


def run_migrations_offline() -> None:
    context.configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"}, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    timeout = float(os.environ.get("SCOUT_MIGRATION_LOCK_TIMEOUT", "300"))
    with migration_lock(url, timeout):
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as connection:
            context.configure(connection=connection, transaction_per_migration=True, compare_type=True)
            with context.begin_transaction():
                context.run_migrations()
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
