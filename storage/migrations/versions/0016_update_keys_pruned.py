"""Processed-update keys are pruned by age: an index on when each was processed.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-22
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the index."""
    op.create_index("ix_inbound_updates_processed_at", "inbound_updates", ["processed_at"])


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_inbound_updates_processed_at", table_name="inbound_updates")
