"""documents: index (status, id), so a claim finds the oldest queued document directly

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 03:15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_status")
        batch_op.create_index("ix_documents_status_id", ["status", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_status_id")
        batch_op.create_index("ix_documents_status", ["status"], unique=False)
