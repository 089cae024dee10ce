"""Answer deadlines: when each submission's answer is due and when it was answered.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add submissions.answer_due_at (indexed) and submissions.answered_at."""
    op.add_column("submissions", sa.Column("answer_due_at", UtcDateTime(), nullable=True))
    op.add_column("submissions", sa.Column("answered_at", UtcDateTime(), nullable=True))
    op.create_index("ix_submissions_answer_due_at", "submissions", ["answer_due_at"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("ix_submissions_answer_due_at", table_name="submissions")
    # SQLite >= 3.35 drops columns natively (no foreign keys on these two).
    op.drop_column("submissions", "answered_at")
    op.drop_column("submissions", "answer_due_at")
