"""AudioURL rollback: the column comes back with every archived value (the archive stays as a record).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from __future__ import annotations

from include.retail_db import audio_url, ddl

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FINGERPRINT = [(audio_url.TRANSCRIPTS, "AudioURL"), (audio_url.ARCHIVE,)]


def upgrade() -> None:
    audio_url.add_column()
    audio_url.restore_values()


def downgrade() -> None:
    audio_url.archive_values()
    ddl.drop_column(audio_url.TRANSCRIPTS, "AudioURL")
