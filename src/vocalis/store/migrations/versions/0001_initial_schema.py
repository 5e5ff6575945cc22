"""initial schema

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("key_preview", sa.String(length=16), nullable=False),
        sa.Column("created_at_unix", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at_unix", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("key_id"),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_key_hash"), ["key_hash"], unique=True)

    op.create_table(
        "history_items",
        sa.Column("history_item_id", sa.String(length=32), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("voice_id", sa.String(length=32), nullable=True),
        sa.Column("voice_name", sa.String(length=200), nullable=True),
        sa.Column("voice_category", sa.String(length=32), nullable=True),
        sa.Column("model_id", sa.String(length=100), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("date_unix", sa.BigInteger(), nullable=False),
        sa.Column("character_count_change_from", sa.BigInteger(), nullable=False),
        sa.Column("character_count_change_to", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("output_format", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("audio_blob_key", sa.String(length=200), nullable=False),
        sa.Column("alignments", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("history_item_id"),
    )
    with op.batch_alter_table("history_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_history_items_date_unix"), ["date_unix"], unique=False)
        batch_op.create_index(batch_op.f("ix_history_items_request_id"), ["request_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_history_items_voice_id"), ["voice_id"], unique=False)

    op.create_table(
        "voice_settings",
        sa.Column("voice_id", sa.String(length=32), nullable=False),
        sa.Column("stability", sa.Float(), nullable=True),
        sa.Column("similarity_boost", sa.Float(), nullable=True),
        sa.Column("style", sa.Float(), nullable=True),
        sa.Column("use_speaker_boost", sa.Boolean(), nullable=True),
        sa.Column("speed", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("voice_id"),
    )
    op.create_table(
        "voices",
        sa.Column("voice_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("engine_spec", sa.JSON(), nullable=False),
        sa.Column("created_at_unix", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("voice_id"),
    )
    op.create_table(
        "usage_events",
        sa.Column("event_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("time_unix", sa.BigInteger(), nullable=False),
        sa.Column("characters", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.String(length=100), nullable=True),
        sa.Column("voice_id", sa.String(length=32), nullable=True),
        sa.Column("key_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.key_id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.create_index("ix_usage_events_time", ["time_unix"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_events_time")

    op.drop_table("usage_events")
    op.drop_table("voices")
    op.drop_table("voice_settings")
    with op.batch_alter_table("history_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_history_items_voice_id"))
        batch_op.drop_index(batch_op.f("ix_history_items_request_id"))
        batch_op.drop_index(batch_op.f("ix_history_items_date_unix"))

    op.drop_table("history_items")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_key_hash"))

    op.drop_table("api_keys")
