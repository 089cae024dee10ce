"""Per-unit digest schedules (monthly, weekly, both or off; the weekly weekday) and deadlines
that target roles besides units and unit kinds.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

JsonData = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Add units.digest, units.digest_weekday and deadlines.roles (existing rows: defaults)."""
    op.add_column(
        "units",
        sa.Column("digest", sa.String(16), nullable=False, server_default="monthly"),
    )
    op.add_column(
        "units",
        sa.Column("digest_weekday", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "deadlines",
        sa.Column("roles", JsonData, nullable=False, server_default=sa.text("'[]'")),
    )


def downgrade() -> None:
    """Drop them again (SQLite >= 3.35 drops columns natively)."""
    op.drop_column("deadlines", "roles")
    op.drop_column("units", "digest_weekday")
    op.drop_column("units", "digest")
