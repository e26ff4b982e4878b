"""Merge: the AudioURL line (0009, 0010) and the sync line (0011) meet here, so the database has one head.

Taking the database to 0009 (the AudioURL deprecation, as the rollback DAG's `deprecate` does) undoes this
merge and 0010 only; 0011 stays. `upgrade head` brings both lines back together.

Revision ID: 0012
Revises: 0010, 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

revision = "0012"
down_revision = ("0010", "0011")
branch_labels = None
depends_on = None

FINGERPRINT: list[tuple[str, ...]] = []  # nothing of its own: complete once both lines are


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
