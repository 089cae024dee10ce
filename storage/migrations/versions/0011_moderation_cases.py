"""Moderation and the answer loop: review state, restricted items, designated officers, the
on-duty roster, status reasons, ratings, follow-ups, label corrections, and outbox messages
with buttons that later edits replace.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from storage.models import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JsonData = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Add the columns and the two tables (existing rows take the defaults)."""
    false = sa.false()
    op.add_column("submissions", sa.Column("review_state", sa.String(16), nullable=True))
    op.add_column("submissions", sa.Column("reviewed_at", UtcDateTime(), nullable=True))
    op.add_column(
        "submissions", sa.Column("restricted", sa.Boolean(), nullable=False, server_default=false)
    )
    op.add_column("submissions", sa.Column("status_reason", sa.Text(), nullable=True))
    op.add_column("submissions", sa.Column("status_changed_at", UtcDateTime(), nullable=True))
    op.add_column("submissions", sa.Column("rating", sa.Integer(), nullable=True))
    op.add_column("submissions", sa.Column("rated_at", UtcDateTime(), nullable=True))
    op.create_index("ix_submissions_review_state", "submissions", ["review_state"])
    op.add_column(
        "people", sa.Column("on_duty", sa.Boolean(), nullable=False, server_default=false)
    )
    op.add_column(
        "people", sa.Column("designated", sa.Boolean(), nullable=False, server_default=false)
    )
    op.add_column(
        "invites", sa.Column("designated", sa.Boolean(), nullable=False, server_default=false)
    )
    op.add_column(
        "outbox", sa.Column("buttons", JsonData, nullable=False, server_default=sa.text("'[]'"))
    )
    op.add_column("outbox", sa.Column("edit_key", sa.String(200), nullable=True))
    op.add_column("outbox", sa.Column("message_id", sa.String(64), nullable=True))
    op.add_column("outbox", sa.Column("subject", sa.String(64), nullable=True))
    op.create_index("ix_outbox_subject", "outbox", ["subject"])
    op.create_table(
        "followups",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("submission_id", BigId, nullable=False),
        sa.Column("person_id", BigId, nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_followups"),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name="fk_followups_submission_id_submissions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name="fk_followups_person_id_people", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_followups_submission_id", "followups", ["submission_id"])
    op.create_table(
        "label_corrections",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("submission_id", BigId, nullable=False),
        sa.Column("field", sa.String(8), nullable=False),
        sa.Column("before", sa.String(32), nullable=True),
        sa.Column("after", sa.String(32), nullable=False),
        sa.Column("person_id", BigId, nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_label_corrections"),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name="fk_label_corrections_submission_id_submissions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name="fk_label_corrections_person_id_people",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_label_corrections_submission_id", "label_corrections", ["submission_id"])


def downgrade() -> None:
    """Drop them again (SQLite >= 3.35 drops columns natively)."""
    op.drop_index("ix_label_corrections_submission_id", table_name="label_corrections")
    op.drop_table("label_corrections")
    op.drop_index("ix_followups_submission_id", table_name="followups")
    op.drop_table("followups")
    op.drop_index("ix_outbox_subject", table_name="outbox")
    for column in ("subject", "message_id", "edit_key", "buttons"):
        op.drop_column("outbox", column)
    op.drop_column("invites", "designated")
    op.drop_column("people", "designated")
    op.drop_column("people", "on_duty")
    op.drop_index("ix_submissions_review_state", table_name="submissions")
    for column in (
        "rated_at", "rating", "status_changed_at", "status_reason", "restricted", "reviewed_at",
        "review_state",
    ):  # fmt: skip
        op.drop_column("submissions", column)
