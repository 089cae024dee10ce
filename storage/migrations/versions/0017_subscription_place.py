"""Announcements by place: a subscription may name the ward or province the resident wants.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the place columns; existing subscriptions keep receiving every announcement."""
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("locality_code", sa.String(8), nullable=True))
        batch.add_column(sa.Column("province_code", sa.String(4), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("province_code")
        batch.drop_column("locality_code")
