"""The Alembic migrations build exactly the schema the SQLAlchemy tables describe, and keep data."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from vocalis.store.database import Database
from vocalis.store.tables import Base


def test_migrations_match_the_tables(tmp_path: Path):
    database = Database(f"sqlite:///{tmp_path / 'vocalis.db'}")
    database.migrate()
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        journal_mode = connection.execute(text("PRAGMA journal_mode")).scalar()
    assert differences == []
    assert journal_mode == "wal"
    database.migrate()  # running again is a no-op
    database.close()


def test_history_timestamps_are_backfilled_on_upgrade(tmp_path: Path):
    from alembic import command
    from alembic.config import Config

    from vocalis.store.database import MIGRATIONS_DIR

    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(
            text(
                "INSERT INTO history_items (history_item_id, request_id, date_unix,"
                " character_count_change_from, character_count_change_to, content_type, output_format, state,"
                " source, audio_blob_key)"
                " VALUES ('h1', 'r1', 1700000000, 0, 5, 'audio/mpeg', 'mp3_44100_128', 'created', 'TTS', 'k')"
            )
        )
    database.migrate()
    with database.engine.connect() as connection:
        assert (
            connection.execute(text("SELECT created_at_ms FROM history_items")).scalar() == 1_700_000_000_000
        )
    database.close()
