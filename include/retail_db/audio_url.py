"""Keeping SalesInteractionTranscripts.AudioURL values safe while the column is gone.

The deprecation (revision 0009) copies every non-null AudioURL into an archive table before it drops the
column; the restore (0010) brings the column back and copies the values back, row for row. Both
directions are written so that running them again, or on a database where a hand-run script already did
part of the work, changes nothing more.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from include.retail_db import ddl

TRANSCRIPTS = "SalesInteractionTranscripts"
ARCHIVE = "SalesInteractionTranscripts_AudioURLArchive"

_t = sa.table(TRANSCRIPTS, sa.column("TranscriptID"), sa.column("AudioURL"))
_a = sa.table(ARCHIVE, sa.column("TranscriptID"), sa.column("AudioURL"))


def create_archive() -> None:
    ddl.create_table(
        ARCHIVE,
        sa.Column("TranscriptID", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("AudioURL", ddl.text(500), nullable=False),
        sa.Column("ArchivedAtUtc", ddl.UTC_DATETIME, nullable=False, server_default=ddl.utc_now()),
    )


def archive_values() -> None:
    """Copy the column's current non-null values into the archive (replacing older archived values)."""
    if not (ddl.offline() or ddl.has_column(TRANSCRIPTS, "AudioURL")):
        return
    current = sa.select(_t.c.TranscriptID).where(_t.c.AudioURL.is_not(None))
    op.execute(sa.delete(_a).where(_a.c.TranscriptID.in_(current)))
    op.execute(
        sa.insert(_a).from_select(
            ["TranscriptID", "AudioURL"], sa.select(_t.c.TranscriptID, _t.c.AudioURL).where(_t.c.AudioURL.is_not(None))
        )
    )


def restore_values() -> None:
    """Fill AudioURL from the archive wherever the column is empty."""
    if not (ddl.offline() or ddl.has_table(ARCHIVE)):
        return
    archived = sa.select(_a.c.AudioURL).where(_a.c.TranscriptID == _t.c.TranscriptID).scalar_subquery()
    has_archived = sa.exists().where(_a.c.TranscriptID == _t.c.TranscriptID)
    op.execute(sa.update(_t).where(_t.c.AudioURL.is_(None), has_archived).values(AudioURL=archived))


def add_column() -> None:
    ddl.add_column(TRANSCRIPTS, sa.Column("AudioURL", ddl.text(500)))
