"""AudioURL deprecation: SalesInteractionTranscripts.AudioURL dropped, its values kept in an archive.

This is the change that broke the dashboard; 0010 undoes it. Nothing is lost: the values wait in
SalesInteractionTranscripts_AudioURLArchive.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from __future__ import annotations

from include.retail_db import audio_url, ddl

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FINGERPRINT = [(audio_url.ARCHIVE,)]


def upgrade() -> None:
    audio_url.create_archive()
    audio_url.archive_values()
    ddl.drop_column(audio_url.TRANSCRIPTS, "AudioURL")


def downgrade() -> None:
    audio_url.add_column()
    audio_url.restore_values()
    ddl.drop_table(audio_url.ARCHIVE)
