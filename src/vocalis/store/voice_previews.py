"""Voice-design previews: their rows and audio blobs, until they expire."""

from __future__ import annotations

from sqlalchemy import select

from vocalis.store.blobs import BlobStore
from vocalis.store.database import Database
from vocalis.store.tables import VoicePreview


class VoicePreviewRepository:
    def __init__(self, database: Database, blobs: BlobStore):
        self.database = database
        self.blobs = blobs

    def add(self, previews: list[VoicePreview], audio: dict[str, bytes]) -> None:
        """Store previews; `audio` holds the rendered ones' bytes by blob key."""
        for key, data in audio.items():
            self.blobs.put(key, data)
        with self.database.session() as session:
            session.add_all(previews)

    def get(self, generated_voice_id: str, newer_than_unix: int) -> VoicePreview | None:
        with self.database.session() as session:
            row = session.get(VoicePreview, generated_voice_id)
        return row if row is not None and row.created_at_unix >= newer_than_unix else None

    def set_audio(self, generated_voice_id: str, blob_key: str, audio: bytes, duration_secs: float) -> None:
        self.blobs.put(blob_key, audio)
        with self.database.session() as session:
            row = session.get(VoicePreview, generated_voice_id)
            if row is not None:
                row.audio_blob_key = blob_key
                row.duration_secs = duration_secs

    def audio(self, preview: VoicePreview) -> bytes:
        assert preview.audio_blob_key is not None
        return self.blobs.get(preview.audio_blob_key)

    def expire(self, older_than_unix: int) -> int:
        """Delete previews made before `older_than_unix` and their audio; how many there were."""
        with self.database.session() as session:
            rows = list(
                session.scalars(select(VoicePreview).where(VoicePreview.created_at_unix < older_than_unix))
            )
            for row in rows:
                session.delete(row)
        for row in rows:
            if row.audio_blob_key is not None:
                self.blobs.delete(row.audio_blob_key)
        return len(rows)
