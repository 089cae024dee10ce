"""Channel state for Zalo: OAuth tokens, per-person reachability, replies waiting for a person.

Also widens `attachments.file_id` to TEXT: Zalo identifies a photo by its URL, which can be
longer than the 256 characters a Telegram file id needs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create channel_tokens, channel_contacts and pending_messages; widen attachment ids."""
    # Batch mode: SQLite cannot change a column's type in place (it copies `attachments`,
    # which no other table references); PostgreSQL gets a plain ALTER.
    with op.batch_alter_table("attachments") as batch:
        batch.alter_column("file_id", type_=sa.Text(), existing_type=sa.String(256))
    op.create_table(
        "channel_tokens",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("access_expires_at", UtcDateTime(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_channel_tokens"),
    )
    op.create_table(
        "channel_contacts",
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("last_message_id", sa.String(128), nullable=True),
        sa.Column("last_inbound_at", UtcDateTime(), nullable=True),
        sa.Column("replies_to_last", sa.Integer(), nullable=False),
        sa.Column("unreachable_since", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("channel", "external_id", name="pk_channel_contacts"),
    )
    op.create_table(
        "pending_messages",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pending_messages"),
    )
    op.create_index(
        "ix_pending_messages_channel_external_id_id",
        "pending_messages",
        ["channel", "external_id", "id"],
    )


def downgrade() -> None:
    """Drop the channel state tables."""
    op.drop_index("ix_pending_messages_channel_external_id_id", table_name="pending_messages")
    op.drop_table("pending_messages")
    op.drop_table("channel_contacts")
    op.drop_table("channel_tokens")
    with op.batch_alter_table("attachments") as batch:
        batch.alter_column(
            "file_id",
            type_=sa.String(256),
            existing_type=sa.Text(),
            postgresql_using="left(file_id, 256)",
        )
