"""Near-duplicate clusters: clusters, their LSH band keys, and per-submission signatures.

`submissions.cluster_id` was an unused VARCHAR(32); it becomes a BIGINT foreign key to
`clusters.id` (its values are dropped). Also adds `submissions.signature` and
`submissions.predicted_kind`.

SQLite: the upgrade uses native ALTER TABLE ... DROP/ADD COLUMN (SQLite >= 3.35) instead of
batch mode, because batch mode copies `submissions` and drops the original, and with foreign
keys enforced (as `storage.db` does) dropping it would cascade to `attachments`. The downgrade
cannot avoid the copy (SQLite cannot drop a column that has a foreign key), so it keeps the
attachments aside in a temporary table and restores those the copy deleted.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlite3

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    """Create the cluster tables and link submissions to them."""
    if _is_sqlite() and sqlite3.sqlite_version_info < (3, 35):
        raise RuntimeError(f"SQLite 3.35 or newer is needed, not {sqlite3.sqlite_version}")
    op.create_table(
        "clusters",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("representative_submission_id", BigId, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_clusters"),
    )
    op.create_index("ix_clusters_scope_size", "clusters", ["scope", "size"])
    op.create_table(
        "cluster_keys",
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("band_key", sa.String(16), nullable=False),
        sa.Column("cluster_id", BigId, nullable=False),
        sa.Column("submission_id", BigId, nullable=False),
        sa.PrimaryKeyConstraint("scope", "band_key", "cluster_id", name="pk_cluster_keys"),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["clusters.id"],
            name="fk_cluster_keys_cluster_id_clusters",
            ondelete="CASCADE",
        ),
        sqlite_with_rowid=False,
    )
    op.drop_column("submissions", "cluster_id")
    if _is_sqlite():
        op.execute(
            "ALTER TABLE submissions ADD COLUMN cluster_id INTEGER"
            " CONSTRAINT fk_submissions_cluster_id_clusters"
            " REFERENCES clusters (id)"
        )
    else:
        op.add_column("submissions", sa.Column("cluster_id", BigId, nullable=True))
        op.create_foreign_key(
            "fk_submissions_cluster_id_clusters",
            "submissions",
            "clusters",
            ["cluster_id"],
            ["id"],
        )
    op.add_column("submissions", sa.Column("signature", sa.LargeBinary(), nullable=True))
    op.add_column("submissions", sa.Column("predicted_kind", sa.String(16), nullable=True))
    op.create_index("ix_submissions_cluster_id_id", "submissions", ["cluster_id", "id"])


def downgrade() -> None:
    """Unlink submissions and drop the cluster tables (the clustering is lost)."""
    op.drop_index("ix_submissions_cluster_id_id", table_name="submissions")
    op.drop_column("submissions", "predicted_kind")
    op.drop_column("submissions", "signature")
    if _is_sqlite():
        op.execute("CREATE TEMPORARY TABLE _attachments_0002 AS SELECT * FROM attachments")
        with op.batch_alter_table("submissions", recreate="always") as batch:
            batch.drop_column("cluster_id")
        op.execute(
            "INSERT INTO attachments SELECT * FROM _attachments_0002"
            " WHERE id NOT IN (SELECT id FROM attachments)"
        )
        op.execute("DROP TABLE _attachments_0002")
    else:
        op.drop_constraint("fk_submissions_cluster_id_clusters", "submissions", type_="foreignkey")
        op.drop_column("submissions", "cluster_id")
    op.add_column("submissions", sa.Column("cluster_id", sa.String(32), nullable=True))
    op.drop_table("cluster_keys")
    op.drop_table("clusters")
