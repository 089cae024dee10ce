"""Consultations on draft documents: the consultations, their sections, residents' positions
and comments (clustered like submissions), and the announcement subscriptions.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from storage.models import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JsonData = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create the four tables."""
    op.create_table(
        "consultations",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("issuer", sa.String(300), nullable=False),
        sa.Column("unit_code", sa.String(32), nullable=True),
        sa.Column("audience_groups", JsonData, nullable=False),
        sa.Column("audience_units", JsonData, nullable=False),
        sa.Column("opens_at", UtcDateTime(), nullable=False),
        sa.Column("closes_at", UtcDateTime(), nullable=False),
        sa.Column("report_due", sa.Date(), nullable=True),
        sa.Column("deadline_code", sa.String(64), nullable=True),
        sa.Column("announcement", sa.Text(), nullable=True),
        sa.Column("announced_at", UtcDateTime(), nullable=True),
        sa.Column("created_by", sa.String(24), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consultations"),
    )
    op.create_table(
        "consultation_sections",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("consultation_id", BigId, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consultation_sections"),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name="fk_consultation_sections_consultation_id_consultations",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "consultation_id", "position", name="uq_consultation_sections_consultation_id_position"
        ),
    )
    op.create_table(
        "consultation_comments",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("consultation_id", BigId, nullable=False),
        sa.Column("section_id", BigId, nullable=False),
        sa.Column("person_id", BigId, nullable=True),
        sa.Column("stance", sa.String(24), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("redacted", sa.Text(), nullable=True),
        sa.Column("flags", JsonData, nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("target_group", sa.String(32), nullable=True),
        sa.Column("unit_code", sa.String(32), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("cluster_id", BigId, nullable=True),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consultation_comments"),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name="fk_consultation_comments_consultation_id_consultations",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["consultation_sections.id"],
            name="fk_consultation_comments_section_id_consultation_sections",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name="fk_consultation_comments_person_id_people",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["clusters.id"],
            name="fk_consultation_comments_cluster_id_clusters",
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint(
            "section_id", "person_id", name="uq_consultation_comments_section_id_person_id"
        ),
    )
    op.create_index(
        "ix_consultation_comments_consultation_id_section_id",
        "consultation_comments",
        ["consultation_id", "section_id"],
    )
    op.create_index(
        "ix_consultation_comments_cluster_id_id", "consultation_comments", ["cluster_id", "id"]
    )
    op.create_index("ix_consultation_comments_person_id", "consultation_comments", ["person_id"])
    op.create_table(
        "subscriptions",
        sa.Column("person_id", BigId, nullable=False),
        sa.Column("notice_version", sa.String(16), nullable=False),
        sa.Column("subscribed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name="pk_subscriptions"),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name="fk_subscriptions_person_id_people",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    """Drop them again."""
    op.drop_table("subscriptions")
    op.drop_table("consultation_comments")
    op.drop_table("consultation_sections")
    op.drop_table("consultations")
