"""Initial schema: people, conversations, submissions, attachments, inbound updates, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from storage.models import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JsonData = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create the foundation tables."""
    op.create_table(
        "people",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("pseudonym", sa.String(24), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("consent_version", sa.String(16), nullable=True),
        sa.Column("consent_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_people"),
        sa.UniqueConstraint("pseudonym", name="uq_people_pseudonym"),
        sa.UniqueConstraint("channel", "external_id", name="uq_people_channel_external_id"),
    )
    op.create_table(
        "conversations",
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("data", JsonData, nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "external_id", name="pk_conversations"),
    )
    op.create_table(
        "submissions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("person_id", BigId, nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("locality_code", sa.String(8), nullable=True),
        sa.Column("locality_name", sa.String(200), nullable=True),
        sa.Column("province_code", sa.String(4), nullable=True),
        sa.Column("target_group", sa.String(32), nullable=True),
        sa.Column("topic", sa.String(32), nullable=True),
        sa.Column("topic_confidence", sa.Float(), nullable=True),
        sa.Column("kind_confidence", sa.Float(), nullable=True),
        sa.Column("flags", JsonData, nullable=False),
        sa.Column("cluster_id", sa.String(32), nullable=True),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_submissions"),
        sa.UniqueConstraint("code", name="uq_submissions_code"),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name="fk_submissions_person_id_people",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_submissions_created_at", "submissions", ["created_at"])
    op.create_index(
        "ix_submissions_province_code_created_at", "submissions", ["province_code", "created_at"]
    )
    op.create_index("ix_submissions_person_id", "submissions", ["person_id"])
    op.create_index("ix_submissions_status", "submissions", ["status"])
    op.create_table(
        "attachments",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("submission_id", BigId, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("file_id", sa.String(256), nullable=True),
        sa.Column("file_unique_id", sa.String(128), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("file_size", sa.Integer(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_attachments"),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name="fk_attachments_submission_id_submissions",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_attachments_submission_id", "attachments", ["submission_id"])
    op.create_table(
        "inbound_updates",
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("update_id", sa.String(128), nullable=False),
        sa.Column("processed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "update_id", name="pk_inbound_updates"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(64), nullable=True),
        sa.Column("details", JsonData, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    """Drop everything created above."""
    for table in ("audit_log", "inbound_updates", "attachments", "submissions", "conversations"):
        op.drop_table(table)
    op.drop_table("people")
