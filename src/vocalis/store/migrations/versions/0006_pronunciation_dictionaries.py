"""Pronunciation dictionaries and their versions.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pronunciation_dictionaries",
        sa.Column("dictionary_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("archived_at_unix", sa.BigInteger(), nullable=True),
        sa.Column("workspace_access", sa.String(length=16), nullable=True),
        sa.Column("latest_version_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("dictionary_id"),
    )
    with op.batch_alter_table("pronunciation_dictionaries") as batch_op:
        batch_op.create_index("ix_pronunciation_dictionaries_name", ["name"])
        batch_op.create_index("ix_pronunciation_dictionaries_created_at_ms", ["created_at_ms"])
    op.create_table(
        "pronunciation_dictionary_versions",
        sa.Column("version_id", sa.String(length=32), nullable=False),
        sa.Column("dictionary_id", sa.String(length=32), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("rules_num", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dictionary_id"], ["pronunciation_dictionaries.dictionary_id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("version_id"),
    )
    with op.batch_alter_table("pronunciation_dictionary_versions") as batch_op:
        batch_op.create_index("ix_pronunciation_dictionary_versions_dictionary_id", ["dictionary_id"])


def downgrade() -> None:
    op.drop_table("pronunciation_dictionary_versions")
    op.drop_table("pronunciation_dictionaries")
