"""Retention: when a closed case's raw text was replaced by its redacted form.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column."""
    op.add_column("submissions", sa.Column("raw_erased_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    """Drop it."""
    op.drop_column("submissions", "raw_erased_at")
