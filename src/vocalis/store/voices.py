"""Stored voices (cloned, generated) with their samples, and saved voice settings for any voice."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select

from vocalis.store.database import Database
from vocalis.store.tables import Voice, VoiceSample, VoiceSettingsRow


@dataclass
class StoredVoiceSettings:
    stability: float | None = None
    similarity_boost: float | None = None
    style: float | None = None
    use_speaker_boost: bool | None = None
    speed: float | None = None


@dataclass
class VoiceUpdate:
    """Fields of a stored voice to change; None leaves a field as it is."""

    name: str | None = None
    description: str | None = None
    labels: dict[str, str] | None = None
    engine_spec: dict[str, Any] | None = None
    speaker_data: dict[str, Any] | None = None


class VoiceRepository:
    def __init__(self, database: Database):
        self.database = database

    def list(self) -> list[Voice]:
        with self.database.session() as session:
            return list(session.scalars(select(Voice).order_by(Voice.created_at_unix)))

    def get(self, voice_id: str) -> Voice | None:
        with self.database.session() as session:
            return session.get(Voice, voice_id)

    def add(self, voice: Voice, samples: list[VoiceSample]) -> None:
        with self.database.session() as session:
            session.add(voice)
            session.flush()  # the voice row first: samples refer to it
            session.add_all(samples)

    def update(
        self, voice_id: str, update: VoiceUpdate, new_samples: list[VoiceSample] | None = None
    ) -> None:
        with self.database.session() as session:
            row = session.get(Voice, voice_id)
            if row is None:
                raise KeyError(voice_id)
            for name, value in asdict(update).items():
                if value is not None:
                    setattr(row, name, value)
            session.add_all(new_samples or [])

    def delete(self, voice_id: str) -> list[str] | None:
        """Delete a voice, its samples and settings; its samples' blob keys, or None if it was absent."""
        with self.database.session() as session:
            row = session.get(Voice, voice_id)
            if row is None:
                return None
            samples = list(session.scalars(select(VoiceSample).where(VoiceSample.voice_id == voice_id)))
            settings = session.get(VoiceSettingsRow, voice_id)
            for child in [*samples, *([settings] if settings is not None else [])]:
                session.delete(child)
            # The rows that reference the voice go first: the database's ON DELETE CASCADE would otherwise
            # remove them with the voice and leave the session's own deletes matching nothing.
            session.flush()
            session.delete(row)
            return [sample.blob_key for sample in samples]

    # Samples ------------------------------------------------------------------------------------------
    def samples(self, voice_ids: list[str] | None = None) -> dict[str, list[VoiceSample]]:
        """Samples by voice id, oldest first (of the given voices, or of all)."""
        query = select(VoiceSample).order_by(VoiceSample.created_at_ms, VoiceSample.sample_id)
        if voice_ids is not None:
            query = query.where(VoiceSample.voice_id.in_(voice_ids))
        grouped: dict[str, list[VoiceSample]] = {}
        with self.database.session() as session:
            for sample in session.scalars(query):
                grouped.setdefault(sample.voice_id, []).append(sample)
        return grouped

    def sample(self, voice_id: str, sample_id: str) -> VoiceSample | None:
        with self.database.session() as session:
            sample = session.get(VoiceSample, sample_id)
            return sample if sample is not None and sample.voice_id == voice_id else None

    def delete_sample(self, voice_id: str, sample_id: str) -> str | None:
        """Delete one sample; its blob key, or None if the voice has no such sample."""
        with self.database.session() as session:
            sample = session.get(VoiceSample, sample_id)
            if sample is None or sample.voice_id != voice_id:
                return None
            session.delete(sample)
            return sample.blob_key

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
