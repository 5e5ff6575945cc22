"""History items of Text to Dialogue keep their lines (text, voice_id, voice_name per line).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("history_items") as batch_op:
        batch_op.add_column(sa.Column("dialogue", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("history_items") as batch_op:
        batch_op.drop_column("dialogue")
