"""Professional voices: the voice row with its professional-cloning state, and samples with their trims and
speaker separations (the sample audio and its `VoiceSample` row are shared with instant cloning)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from vocalis.store.database import Database
from vocalis.store.tables import Job, ProfessionalSample, ProfessionalVoice, Voice, VoiceSample


@dataclass
class StoredSample:
    sample: VoiceSample
    professional: ProfessionalSample


class ProfessionalVoiceRepository:
    def __init__(self, database: Database):
        self.database = database

    def create(self, voice: Voice, language: str) -> None:
        with self.database.session() as session:
            session.add(voice)
            session.flush()  # the voice row first: the professional row refers to it
            session.add(
                ProfessionalVoice(voice_id=voice.voice_id, language=language, verification_attempts=[])
            )

    def get(self, voice_id: str) -> ProfessionalVoice | None:
        with self.database.session() as session:
            return session.get(ProfessionalVoice, voice_id)

    def update(self, voice_id: str, **fields: Any) -> None:
        with self.database.session() as session:
            row = session.get(ProfessionalVoice, voice_id)
            if row is None:
                raise KeyError(voice_id)
            for name, value in fields.items():
                setattr(row, name, value)

    def take_captcha(self, voice_id: str) -> tuple[str | None, int | None]:
        """The captcha last shown for the voice and when, cleared in the same transaction: each captcha can
        be answered once, so a recording cannot be tried against it again and again."""
        with self.database.session() as session:
            row = session.get(ProfessionalVoice, voice_id)
            if row is None:
                raise KeyError(voice_id)
            taken = row.captcha_text, row.captcha_issued_at_unix
            row.captcha_text = row.captcha_issued_at_unix = None
            return taken

    def add_attempt(self, voice_id: str, attempt: dict[str, Any]) -> None:
        with self.database.session() as session:
            row = session.get(ProfessionalVoice, voice_id)
            if row is None:
                raise KeyError(voice_id)
            row.verification_attempts = [*row.verification_attempts, attempt]
            row.is_verified = row.is_verified or bool(attempt["accepted"])

    # Samples ------------------------------------------------------------------------------------------
    def add_samples(self, samples: list[VoiceSample]) -> None:
        with self.database.session() as session:
            session.add_all(samples)
            session.flush()  # the sample rows first: the professional rows refer to them
            session.add_all(ProfessionalSample(sample_id=s.sample_id, voice_id=s.voice_id) for s in samples)

    def samples(self, voice_id: str) -> list[StoredSample]:
        """The voice's samples, oldest first."""
        query = (
            select(VoiceSample, ProfessionalSample)
            .join(ProfessionalSample, ProfessionalSample.sample_id == VoiceSample.sample_id)
            .where(VoiceSample.voice_id == voice_id)
            .order_by(VoiceSample.created_at_ms, VoiceSample.sample_id)
        )
        with self.database.session() as session:
            return [StoredSample(sample, professional) for sample, professional in session.execute(query)]

    def sample(self, voice_id: str, sample_id: str) -> StoredSample | None:
        with self.database.session() as session:
            sample = session.get(VoiceSample, sample_id)
            professional = session.get(ProfessionalSample, sample_id)
            if sample is None or professional is None or sample.voice_id != voice_id:
                return None
            return StoredSample(sample, professional)

    def update_sample(
        self,
        sample_id: str,
        *,
        file_name: str | None = None,
        remove_background_noise: bool | None = None,
        **professional_fields: Any,
    ) -> None:
        """Change a sample's name or noise removal (its `VoiceSample` row) and any professional field."""
        with self.database.session() as session:
            sample = session.get(VoiceSample, sample_id)
            professional = session.get(ProfessionalSample, sample_id)
            if sample is None or professional is None:
                raise KeyError(sample_id)
            if file_name is not None:
                sample.file_name = file_name
            if remove_background_noise is not None:
                sample.remove_background_noise = remove_background_noise
            for name, value in professional_fields.items():
                setattr(professional, name, value)

    # What the voice library shows ------------------------------------------------------------------------
    def with_jobs(self, voice_ids: list[str]) -> list[tuple[ProfessionalVoice, Job | None]]:
        """Professional rows of the given voices, each with its training job (if it was ever trained)."""
        return self._with_jobs(ProfessionalVoice, ProfessionalVoice.training_job_id, voice_ids)

    def samples_with_jobs(self, voice_ids: list[str]) -> list[tuple[ProfessionalSample, Job | None]]:
        """Professional sample rows of the given voices, each with its separation job (if one ran)."""
        return self._with_jobs(ProfessionalSample, ProfessionalSample.separation_job_id, voice_ids)

    def _with_jobs(self, table: Any, job_id: Any, voice_ids: list[str]) -> list[tuple[Any, Job | None]]:
        query = select(table, Job).outerjoin(Job, Job.job_id == job_id).where(table.voice_id.in_(voice_ids))
        with self.database.session() as session:
            return [(row, job) for row, job in session.execute(query)]
