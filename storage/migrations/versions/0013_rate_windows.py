"""Per-person rate limiting: the current one-minute window of each channel identity.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table."""
    op.create_table(
        "rate_windows",
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("window_start", UtcDateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("limited_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("channel", "external_id", name="pk_rate_windows"),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("rate_windows")
