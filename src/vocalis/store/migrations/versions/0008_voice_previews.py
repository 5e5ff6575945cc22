"""Voice-design previews, kept until they expire so they can be streamed and saved as voices.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voice_previews",
        sa.Column("generated_voice_id", sa.String(32), primary_key=True),
        sa.Column("created_at_unix", sa.BigInteger(), nullable=False),
        sa.Column("voice_description", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("design", sa.JSON(), nullable=False),
        sa.Column("output_format", sa.String(32), nullable=False),
        sa.Column("audio_blob_key", sa.String(200), nullable=True),
        sa.Column("duration_secs", sa.Float(), nullable=True),
    )
    op.create_index("ix_voice_previews_created_at_unix", "voice_previews", ["created_at_unix"])


def downgrade() -> None:
    op.drop_index("ix_voice_previews_created_at_unix", table_name="voice_previews")
    op.drop_table("voice_previews")
