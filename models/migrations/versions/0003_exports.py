"""exports: one record per draft and destination (status, attempts, last error)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "export_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("destination", sa.String(length=32), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("preliminary", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remote_id", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["draft_entries.id"],
            name=op.f("fk_export_records_draft_id_draft_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_records")),
        sa.UniqueConstraint("draft_id", "destination", name=op.f("uq_export_records_draft_id")),
    )
    with op.batch_alter_table("export_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_export_records_draft_id"), ["draft_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_export_records_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("export_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_export_records_status"))
        batch_op.drop_index(batch_op.f("ix_export_records_draft_id"))
    op.drop_table("export_records")
