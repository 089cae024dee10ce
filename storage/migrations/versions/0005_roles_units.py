"""Roles and units: the unit tree, a person's unit and topics, single-use enrollment invites.

`people.unit_code` carries no database foreign key: SQLite can add such a column but cannot
drop it again without copying `people`, which `submissions` references; `ykien units remove`
refuses a unit while people belong to it instead.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from storage.models import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JsonData = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create units and invites; add people.unit_code (indexed) and people.topics."""
    op.create_table(
        "units",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("parent_code", sa.String(32), nullable=True),
        sa.Column("locality_code", sa.String(8), nullable=True),
        sa.Column("target_group", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("code", name="pk_units"),
        sa.ForeignKeyConstraint(["parent_code"], ["units.code"], name="fk_units_parent_code_units"),
    )
    op.create_index("ix_units_parent_code", "units", ["parent_code"])
    op.add_column("people", sa.Column("unit_code", sa.String(32), nullable=True))
    op.add_column(
        "people",
        sa.Column("topics", JsonData, nullable=False, server_default=sa.text("'[]'")),
    )
    op.create_index("ix_people_unit_code", "people", ["unit_code"])
    op.create_table(
        "invites",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("unit_code", sa.String(32), nullable=False),
        sa.Column("topics", JsonData, nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.Column("used_by_person_id", BigId, nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_invites"),
        sa.UniqueConstraint("token_hash", name="uq_invites_token_hash"),
        sa.UniqueConstraint("code_hash", name="uq_invites_code_hash"),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name="fk_invites_unit_code_units"),
        sa.ForeignKeyConstraint(
            ["used_by_person_id"],
            ["people.id"],
            name="fk_invites_used_by_person_id_people",
            ondelete="SET NULL",
        ),
    )


def downgrade() -> None:
    """Drop them again."""
    op.drop_table("invites")
    op.drop_index("ix_people_unit_code", table_name="people")
    # SQLite >= 3.35 drops columns natively (neither column has a foreign key or an index left).
    op.drop_column("people", "topics")
    op.drop_column("people", "unit_code")
    op.drop_index("ix_units_parent_code", table_name="units")
    op.drop_table("units")
