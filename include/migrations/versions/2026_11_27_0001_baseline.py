"""Baseline: the operational tables as the hand-run scripts first created them.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa

from include.retail_db import ddl

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = [
    "Stores",
    "Products",
    "Customers",
    "SalesInteractions",
    "SalesInteractionBrands",
    "SalesInteractionTranscripts",
    "bronze_transcriptions",
    "bronze_vision_detections",
    "bronze_device_logs",
]
FINGERPRINT = [(t,) for t in TABLES]


def _id(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer, primary_key=True, autoincrement=True)


def upgrade() -> None:
    ddl.create_table(
        "Stores",
        _id("StoreID"),
        sa.Column("StoreCode", ddl.text(32), nullable=False, unique=True),
        sa.Column("Name", ddl.text(200), nullable=False),
        sa.Column("Region", ddl.text(100)),
        sa.Column("City", ddl.text(100)),
    )
    ddl.create_table(
        "Products",
        _id("ProductID"),
        sa.Column("Sku", ddl.text(64), nullable=False, unique=True),
        sa.Column("Name", ddl.text(200), nullable=False),
        sa.Column("Brand", ddl.text(100), nullable=False),
        sa.Column("Category", ddl.text(100)),
    )
    ddl.create_table(
        "Customers",
        _id("CustomerID"),
        sa.Column("ExternalRef", ddl.text(64), unique=True),
        sa.Column("DisplayName", ddl.text(200)),
    )
    ddl.create_table(
        "SalesInteractions",
        _id("InteractionID"),
        sa.Column("StoreID", sa.Integer, sa.ForeignKey("Stores.StoreID"), nullable=False),
        sa.Column("CustomerID", sa.Integer, sa.ForeignKey("Customers.CustomerID")),
        sa.Column("DeviceID", ddl.text(64)),
        sa.Column("InteractionTimeUtc", ddl.UTC_DATETIME, nullable=False),
        sa.Column("Outcome", ddl.text(50)),
    )
    ddl.create_table(
        "SalesInteractionBrands",
        _id("InteractionBrandID"),
        sa.Column("InteractionID", sa.Integer, sa.ForeignKey("SalesInteractions.InteractionID"), nullable=False),
        sa.Column("ProductID", sa.Integer, sa.ForeignKey("Products.ProductID")),
        sa.Column("Brand", ddl.text(100), nullable=False),
        sa.Column("MentionCount", sa.Integer, nullable=False, server_default=sa.text("1")),
    )
    ddl.create_table(
        "SalesInteractionTranscripts",
        _id("TranscriptID"),
        sa.Column("InteractionID", sa.Integer, sa.ForeignKey("SalesInteractions.InteractionID"), nullable=False),
        sa.Column("TranscriptText", ddl.LONG_TEXT, nullable=False),
        sa.Column("Confidence", sa.Float),
        sa.Column("AudioURL", ddl.text(500)),
    )
    ddl.create_table(
        "bronze_transcriptions",
        _id("id"),
        sa.Column("EventID", ddl.text(64), nullable=False, unique=True),
        sa.Column("DeviceID", ddl.text(64), nullable=False),
        sa.Column("StoreCode", ddl.text(32)),
        sa.Column("TranscriptText", ddl.LONG_TEXT),
        sa.Column("Confidence", sa.Float),
        sa.Column("EventTimeUtc", ddl.UTC_DATETIME, nullable=False),
    )
    ddl.create_table(
        "bronze_vision_detections",
        _id("id"),
        sa.Column("EventID", ddl.text(64), nullable=False, unique=True),
        sa.Column("DeviceID", ddl.text(64), nullable=False),
        sa.Column("StoreCode", ddl.text(32)),
        sa.Column("Faces", sa.Integer),
        sa.Column("People", sa.Integer),
        sa.Column("EventTimeUtc", ddl.UTC_DATETIME, nullable=False),
    )
    ddl.create_table(
        "bronze_device_logs",
        _id("id"),
        sa.Column("DeviceID", ddl.text(64), nullable=False),
        sa.Column("Level", ddl.text(16), nullable=False),
        sa.Column("Message", ddl.LONG_TEXT),
        sa.Column("LoggedAtUtc", ddl.UTC_DATETIME, nullable=False),
    )


def downgrade() -> None:
    for table in reversed(TABLES):
        ddl.drop_table(table)
