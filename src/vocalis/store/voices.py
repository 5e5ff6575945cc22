"""Stored voices (cloned, generated) and saved voice settings for any voice."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select

from vocalis.store.database import Database
from vocalis.store.tables import Voice, VoiceSettingsRow


@dataclass
class StoredVoiceSettings:
    stability: float | None = None
    similarity_boost: float | None = None
    style: float | None = None
    use_speaker_boost: bool | None = None
    speed: float | None = None


class VoiceRepository:
    def __init__(self, database: Database):
        self.database = database

    def list(self) -> list[Voice]:
        with self.database.session() as session:
            return list(session.scalars(select(Voice).order_by(Voice.created_at_unix)))

    def get(self, voice_id: str) -> Voice | None:
        with self.database.session() as session:
            return session.get(Voice, voice_id)

    def delete(self, voice_id: str) -> bool:
        with self.database.session() as session:
            row = session.get(Voice, voice_id)
            if row is None:
                return False
            session.delete(row)
            settings = session.get(VoiceSettingsRow, voice_id)
            if settings is not None:
                session.delete(settings)
            return True

    def settings(self, voice_id: str) -> StoredVoiceSettings | None:
        with self.database.session() as session:
            row = session.get(VoiceSettingsRow, voice_id)
            if row is None:
                return None
            return StoredVoiceSettings(
                stability=row.stability,
                similarity_boost=row.similarity_boost,
                style=row.style,
                use_speaker_boost=row.use_speaker_boost,
                speed=row.speed,
            )

    def save_settings(self, voice_id: str, settings: StoredVoiceSettings) -> None:
        with self.database.session() as session:
            row = session.get(VoiceSettingsRow, voice_id) or VoiceSettingsRow(voice_id=voice_id)
            for field_name, value in asdict(settings).items():
                setattr(row, field_name, value)
            session.add(row)
