"""Integrity 3/7, indexes on every foreign-key and join column of the baseline tables.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from include.retail_db import ddl

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEXES = [
    ("SalesInteractions", "StoreID"),
    ("SalesInteractions", "CustomerID"),
    ("SalesInteractions", "DeviceID"),
    ("SalesInteractionBrands", "InteractionID"),
    ("SalesInteractionBrands", "ProductID"),
    ("SalesInteractionTranscripts", "InteractionID"),
    ("bronze_transcriptions", "DeviceID"),
    ("bronze_vision_detections", "DeviceID"),
    ("bronze_device_logs", "DeviceID"),
]
FINGERPRINT = [(t, f"ix:ix_{t}_{c}") for t, c in INDEXES]


def upgrade() -> None:
    for table, column in INDEXES:
        ddl.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table, column in reversed(INDEXES):
        ddl.drop_index(f"ix_{table}_{column}", table)
