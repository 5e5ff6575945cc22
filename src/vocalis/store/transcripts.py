"""Stored transcripts: the full response JSON of each (logged) speech-to-text request, multichannel too."""

from __future__ import annotations

import time
from typing import Any

from vocalis.store.database import Database
from vocalis.store.tables import Transcript


class TranscriptRepository:
    def __init__(self, database: Database):
        self.database = database

    def add(self, transcription_id: str, model_id: str, response: dict[str, Any]) -> None:
        """Store a single-channel response, or a multichannel one (`transcripts`, listed under the language
        of its first channel)."""
        first = response["transcripts"][0] if response.get("transcripts") else response
        with self.database.session() as session:
            session.add(
                Transcript(
                    transcription_id=transcription_id,
                    created_at_unix=int(time.time()),
                    model_id=model_id,
                    language_code=first.get("language_code", ""),
                    audio_duration_secs=float(response.get("audio_duration_secs") or 0.0),
                    response=response,
                )
            )

    def get(self, transcription_id: str) -> dict[str, Any] | None:
        with self.database.session() as session:
            row = session.get(Transcript, transcription_id)
            return dict(row.response) if row is not None else None

    def delete(self, transcription_id: str) -> bool:
        with self.database.session() as session:
            row = session.get(Transcript, transcription_id)
            if row is None:
                return False
            session.delete(row)
            return True
