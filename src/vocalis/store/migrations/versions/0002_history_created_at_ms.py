"""History items keep a millisecond creation time, so items of the same second list in order.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("history_items") as batch_op:
        batch_op.add_column(sa.Column("created_at_ms", sa.BigInteger(), nullable=True))
    op.execute("UPDATE history_items SET created_at_ms = date_unix * 1000")
    with op.batch_alter_table("history_items") as batch_op:
        batch_op.alter_column("created_at_ms", nullable=False)
        batch_op.create_index("ix_history_items_created_at_ms", ["created_at_ms"])


def downgrade() -> None:
    with op.batch_alter_table("history_items") as batch_op:
        batch_op.drop_index("ix_history_items_created_at_ms")
        batch_op.drop_column("created_at_ms")
