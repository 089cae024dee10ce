"""Report files attached to outbox messages (a list of paths, sent after the text).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JsonData = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Add outbox.files, an empty list on existing rows."""
    op.add_column(
        "outbox",
        sa.Column("files", JsonData, nullable=False, server_default=sa.text("'[]'")),
    )


def downgrade() -> None:
    """Drop outbox.files."""
    # SQLite >= 3.35 drops columns natively (the column has no index or constraint).
    op.drop_column("outbox", "files")
