"""Integrity 5/7, source tracking: which file, zone, camera and session a row came from.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa

from include.retail_db import ddl

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = [
    ("bronze_transcriptions", "SourceFile", 500),
    ("bronze_vision_detections", "ZoneID", 64),
    ("bronze_vision_detections", "CameraAngle", 64),
    ("SalesInteractions", "SessionID", 64),
]
FINGERPRINT = [(t, c) for t, c, _ in COLUMNS] + [("SalesInteractions", "ix:ix_SalesInteractions_SessionID")]


def upgrade() -> None:
    for table, column, length in COLUMNS:
        ddl.add_column(table, sa.Column(column, ddl.text(length)))
    ddl.create_index("ix_SalesInteractions_SessionID", "SalesInteractions", ["SessionID"])  # a join key


def downgrade() -> None:
    ddl.drop_index("ix_SalesInteractions_SessionID", "SalesInteractions")
    for table, column, _ in reversed(COLUMNS):
        ddl.drop_column(table, column)
