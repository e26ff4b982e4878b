"""Integrity 6/7, session anchoring: when the customer session of an interaction started and ended.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa

from include.retail_db import ddl

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = ["SessionStart", "SessionEnd"]
FINGERPRINT = [("SalesInteractions", c) for c in COLUMNS]


def upgrade() -> None:
    for column in COLUMNS:
        ddl.add_column("SalesInteractions", sa.Column(column, ddl.UTC_DATETIME))


def downgrade() -> None:
    for column in reversed(COLUMNS):
        ddl.drop_column("SalesInteractions", column)
