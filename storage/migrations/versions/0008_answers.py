"""Officers' answers to submissions (relayed to residents through the outbox).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the answers table."""
    op.create_table(
        "answers",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("submission_id", BigId, nullable=False),
        sa.Column("person_id", BigId, nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_answers"),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name="fk_answers_submission_id_submissions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name="fk_answers_person_id_people",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_answers_submission_id", "answers", ["submission_id"])


def downgrade() -> None:
    """Drop the answers table."""
    op.drop_index("ix_answers_submission_id", table_name="answers")
    op.drop_table("answers")
