"""Cloned voices: their samples (blob keys and analysis) and the speaker data derived from them.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("voices") as batch_op:
        batch_op.add_column(sa.Column("speaker_data", sa.JSON(), nullable=True))
    op.create_table(
        "voice_samples",
        sa.Column("sample_id", sa.String(32), primary_key=True),
        sa.Column(
            "voice_id", sa.String(32), sa.ForeignKey("voices.voice_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("mime_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("duration_secs", sa.Float(), nullable=False),
        sa.Column("remove_background_noise", sa.Boolean(), nullable=False),
        sa.Column("blob_key", sa.String(200), nullable=False),
        sa.Column("analysis", sa.JSON(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_voice_samples_voice_id", "voice_samples", ["voice_id"])


def downgrade() -> None:
    op.drop_index("ix_voice_samples_voice_id", table_name="voice_samples")
    op.drop_table("voice_samples")
    with op.batch_alter_table("voices") as batch_op:
        batch_op.drop_column("speaker_data")
