"""Professional voice cloning: each professional voice's verification and training, and its samples' trims
and speaker separations.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "professional_voices",
        sa.Column(
            "voice_id", sa.String(32), sa.ForeignKey("voices.voice_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("captcha_text", sa.Text(), nullable=True),
        sa.Column("captcha_issued_at_unix", sa.BigInteger(), nullable=True),
        sa.Column("is_verified", sa.Boolean(), nullable=False),
        sa.Column("verification_attempts", sa.JSON(), nullable=False),
        sa.Column("manual_verification", sa.JSON(), nullable=True),
        sa.Column("training_job_id", sa.String(32), nullable=True),
        sa.Column("trained_at_unix", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "professional_samples",
        sa.Column(
            "sample_id",
            sa.String(32),
            sa.ForeignKey("voice_samples.sample_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "voice_id", sa.String(32), sa.ForeignKey("voices.voice_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("trim_start_ms", sa.Integer(), nullable=True),
        sa.Column("trim_end_ms", sa.Integer(), nullable=True),
        sa.Column("separation_job_id", sa.String(32), nullable=True),
        sa.Column("speakers", sa.JSON(), nullable=True),
        sa.Column("selected_speaker_ids", sa.JSON(), nullable=True),
    )
    op.create_index("ix_professional_samples_voice_id", "professional_samples", ["voice_id"])


def downgrade() -> None:
    op.drop_index("ix_professional_samples_voice_id", table_name="professional_samples")
    op.drop_table("professional_samples")
    op.drop_table("professional_voices")
