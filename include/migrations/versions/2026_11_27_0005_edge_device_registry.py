"""Integrity 4/7, EdgeDeviceRegistry: which device is where, what it sees, and whether it keeps audio.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa

from include.retail_db import ddl

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

FINGERPRINT = [("EdgeDeviceRegistry",), ("EdgeDeviceRegistry", "ix:ix_EdgeDeviceRegistry_StoreID")]


def upgrade() -> None:
    ddl.create_table(
        "EdgeDeviceRegistry",
        sa.Column("DeviceID", ddl.text(64), primary_key=True),
        sa.Column("StoreID", sa.Integer, sa.ForeignKey("Stores.StoreID"), nullable=False),
        sa.Column("Location", ddl.text(200)),
        sa.Column("ZoneID", ddl.text(64)),
        sa.Column("CameraAngle", ddl.text(64)),
        sa.Column("ClientVersion", ddl.text(32)),
        sa.Column("AudioUrlEnabled", **ddl.boolean(default=False)),
        sa.Column("RegisteredAtUtc", ddl.UTC_DATETIME, nullable=False, server_default=ddl.utc_now()),
        sa.Column("LastSeenAtUtc", ddl.UTC_DATETIME),
        sa.Column("IsActive", **ddl.boolean(default=True)),
    )
    ddl.create_index("ix_EdgeDeviceRegistry_StoreID", "EdgeDeviceRegistry", ["StoreID"])


def downgrade() -> None:
    ddl.drop_index("ix_EdgeDeviceRegistry_StoreID", "EdgeDeviceRegistry")
    ddl.drop_table("EdgeDeviceRegistry")
