"""Lakehouse sync and fleet configuration: what the scout_retail_db_sync DAG and the AudioURL rollback's
device step keep in RetailAdvisorDB.

- SalesInteractionTranscripts.EventID: the transcript event a row was written from (the sync upserts on it)
- ScoutSyncState: how far each sync direction has read (its watermark), written with the rows it covers
- EdgeDeviceRegistry.ConfigVersion / ConfigAckVersion / ConfigAckAtUtc: the device configuration published
  to each device, and the version the device last reported running (from its heartbeat)

This revision branches from 0008, beside the AudioURL pair (0009 deprecation, 0010 restore), and 0012
merges the two lines: so the rollback can take AudioURL back to 0009 and forward to 0010 again without
touching what this revision added. The indexes are not unique: legacy rows have no EventID, and SQL
Server's unique indexes allow one NULL only; the sync keeps the keys unique itself.

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa

from include.retail_db import ddl

revision = "0011"
down_revision = "0008"
branch_labels = None
depends_on = None

TRANSCRIPTS = "SalesInteractionTranscripts"
DEVICES = "EdgeDeviceRegistry"
SYNC_STATE = "ScoutSyncState"
DEVICE_COLUMNS = ("ConfigVersion", "ConfigAckVersion", "ConfigAckAtUtc")

FINGERPRINT = [
    (TRANSCRIPTS, "EventID"),
    (TRANSCRIPTS, "ix:ix_SalesInteractionTranscripts_EventID"),
    (SYNC_STATE,),
    *((DEVICES, column) for column in DEVICE_COLUMNS),
]


def upgrade() -> None:
    ddl.add_column(TRANSCRIPTS, sa.Column("EventID", ddl.text(64)))
    ddl.create_index("ix_SalesInteractionTranscripts_EventID", TRANSCRIPTS, ["EventID"])
    ddl.create_table(
        SYNC_STATE,
        sa.Column("Name", ddl.text(64), primary_key=True),
        sa.Column("Watermark", ddl.UTC_DATETIME),
        sa.Column("UpdatedAtUtc", ddl.UTC_DATETIME, nullable=False, server_default=ddl.utc_now()),
    )
    ddl.add_column(DEVICES, sa.Column("ConfigVersion", sa.Integer))
    ddl.add_column(DEVICES, sa.Column("ConfigAckVersion", sa.Integer))
    ddl.add_column(DEVICES, sa.Column("ConfigAckAtUtc", ddl.UTC_DATETIME))


def downgrade() -> None:
    for column in reversed(DEVICE_COLUMNS):
        ddl.drop_column(DEVICES, column)
    ddl.drop_table(SYNC_STATE)
    ddl.drop_index("ix_SalesInteractionTranscripts_EventID", TRANSCRIPTS)
    ddl.drop_column(TRANSCRIPTS, "EventID")
