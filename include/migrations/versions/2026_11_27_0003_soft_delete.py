"""Integrity 2/7, soft delete: IsActive on Customers, Products and Stores (rows are never deleted).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa

from include.retail_db import ddl

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ["Customers", "Products", "Stores"]
FINGERPRINT = [(t, "IsActive") for t in TABLES]


def upgrade() -> None:
    for table in TABLES:
        ddl.add_column(table, sa.Column("IsActive", **ddl.boolean(default=True)))


def downgrade() -> None:
    for table in reversed(TABLES):
        ddl.drop_column(table, "IsActive")
