"""The inbox: webhook updates stored before the 200 until a worker handled them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the table."""
    op.create_table(
        "inbox",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("update_key", sa.String(128), nullable=False),
        sa.Column("chat_key", sa.String(96), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_until", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_inbox"),
        sa.UniqueConstraint("channel", "update_key", name="uq_inbox_channel_update_key"),
    )
    op.create_index("ix_inbox_chat_key_id", "inbox", ["chat_key", "id"])


def downgrade() -> None:
    """Drop it."""
    op.drop_table("inbox")
