"""Stored speech-to-text transcripts.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transcripts",
        sa.Column("transcription_id", sa.String(length=32), nullable=False),
        sa.Column("created_at_unix", sa.BigInteger(), nullable=False),
        sa.Column("model_id", sa.String(length=100), nullable=False),
        sa.Column("language_code", sa.String(length=16), nullable=False),
        sa.Column("audio_duration_secs", sa.Float(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("transcription_id"),
    )
    with op.batch_alter_table("transcripts") as batch_op:
        batch_op.create_index("ix_transcripts_created_at_unix", ["created_at_unix"])


def downgrade() -> None:
    op.drop_table("transcripts")
