"""Integrity 7/7, NLP fields: word count and language per transcript, a quality score per chunk.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa

from include.retail_db import ddl

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FINGERPRINT = [
    ("SalesInteractionTranscripts", "WordCount"),
    ("SalesInteractionTranscripts", "LangCode"),
    ("TranscriptChunkAudit",),
    ("TranscriptChunkAudit", "ix:ix_TranscriptChunkAudit_TranscriptID"),
]


def upgrade() -> None:
    ddl.add_column("SalesInteractionTranscripts", sa.Column("WordCount", sa.Integer))
    ddl.add_column("SalesInteractionTranscripts", sa.Column("LangCode", ddl.text(8)))
    ddl.create_table(
        "TranscriptChunkAudit",
        sa.Column("ChunkAuditID", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "TranscriptID", sa.Integer, sa.ForeignKey("SalesInteractionTranscripts.TranscriptID"), nullable=False
        ),
        sa.Column("ChunkIndex", sa.Integer, nullable=False),
        sa.Column("QualityScore", sa.Float, nullable=False),
        sa.Column("CheckedAtUtc", ddl.UTC_DATETIME, nullable=False, server_default=ddl.utc_now()),
        sa.UniqueConstraint("TranscriptID", "ChunkIndex", name="uq_TranscriptChunkAudit_chunk"),
    )
    ddl.create_index("ix_TranscriptChunkAudit_TranscriptID", "TranscriptChunkAudit", ["TranscriptID"])


def downgrade() -> None:
    ddl.drop_index("ix_TranscriptChunkAudit_TranscriptID", "TranscriptChunkAudit")
    ddl.drop_table("TranscriptChunkAudit")
    ddl.drop_column("SalesInteractionTranscripts", "LangCode")
    ddl.drop_column("SalesInteractionTranscripts", "WordCount")
