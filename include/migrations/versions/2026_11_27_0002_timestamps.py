"""Integrity 1/7, timestamps: when a row arrived, in UTC, set by the server.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa

from include.retail_db import ddl

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = [
    ("SalesInteractionBrands", "CreatedAtUtc"),
    ("SalesInteractions", "IngestedAt"),
    ("bronze_device_logs", "IngestedAt"),
]
FINGERPRINT = COLUMNS


def upgrade() -> None:
    for table, column in COLUMNS:
        ddl.add_column(table, sa.Column(column, ddl.UTC_DATETIME, nullable=False, server_default=ddl.utc_now()))


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        ddl.drop_column(table, column)
