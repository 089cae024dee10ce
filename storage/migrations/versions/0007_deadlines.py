"""Reporting deadlines (recurring monthly or one-off) and which unit has done which period.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from storage.models import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JsonData = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create the deadlines and their done marks."""
    op.create_table(
        "deadlines",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("recurrence", sa.String(16), nullable=False),
        sa.Column("day_of_month", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("unit_codes", JsonData, nullable=False),
        sa.Column("unit_kinds", JsonData, nullable=False),
        sa.Column("offsets", JsonData, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deadlines"),
        sa.UniqueConstraint("code", name="uq_deadlines_code"),
    )
    op.create_table(
        "deadline_done",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("deadline_id", BigId, nullable=False),
        sa.Column("unit_code", sa.String(32), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("done_at", UtcDateTime(), nullable=False),
        sa.Column("person_id", BigId, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_deadline_done"),
        sa.ForeignKeyConstraint(
            ["deadline_id"],
            ["deadlines.id"],
            name="fk_deadline_done_deadline_id_deadlines",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name="fk_deadline_done_person_id_people",
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint(
            "deadline_id",
            "unit_code",
            "period",
            name="uq_deadline_done_deadline_id_unit_code_period",
        ),
    )


def downgrade() -> None:
    """Drop the deadlines and their done marks."""
    op.drop_table("deadline_done")
    op.drop_table("deadlines")
