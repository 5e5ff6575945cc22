"""Professional voices as ElevenLabs shows them: `fine_tuning` (FineTuningResponseModel), `voice_verification`
(VoiceVerificationResponseModel) and each sample's `speaker_separation` (SpeakerSeparationResponseModel).

Fine-tuning state and progress are those of the voice's training job, and a separation's status is its
job's, so nothing is kept twice. One trained voice renders on every model (the local engines share it),
so its state is reported under every ElevenLabs text-to-speech model id.
"""

from __future__ import annotations

import time
from typing import Any

from vocalis.engines.registry import MODELS
from vocalis.store.professional import ProfessionalVoiceRepository
from vocalis.store.tables import Job, ProfessionalSample, ProfessionalVoice
from vocalis.voices.library import VoiceState

TTS_MODEL_IDS = tuple(
    m.model_id for m in MODELS if m.can_do_text_to_speech and m.model_id.startswith("eleven_")
)
MAX_VERIFICATION_ATTEMPTS = 10  # per 24 hours: enough to retry a bad recording, too few to guess a voice
ATTEMPT_WINDOW_SECONDS = 24 * 3600
_FINE_TUNING_STATES = {"queued": "queued", "processing": "fine_tuning", "completed": "fine_tuned"}
_SEPARATION_STATES = {"queued": "pending", "processing": "pending", "completed": "completed"}


def recent_attempts(row: ProfessionalVoice, now: float | None = None) -> list[dict[str, Any]]:
    """The verification attempts inside the current 24-hour window."""
    since = (now or time.time()) - ATTEMPT_WINDOW_SECONDS
    return [attempt for attempt in row.verification_attempts if attempt["date_unix"] >= since]


def fine_tuning_json(row: ProfessionalVoice, job: Job | None) -> dict[str, Any]:
    state = "not_started" if job is None else _FINE_TUNING_STATES.get(job.status, "failed")
    message = ""
    if job is not None and job.status == "failed":
        message = job.error or "Training failed."
    elif job is not None and job.status == "completed" and job.result:
        message = f"Fine-tuned: speaker similarity {job.result['similarity']:.3f}."
    recent = recent_attempts(row)
    reset = None
    if len(recent) >= MAX_VERIFICATION_ATTEMPTS:
        reset = (min(a["date_unix"] for a in recent) + ATTEMPT_WINDOW_SECONDS) * 1000
    return {
        "is_allowed_to_fine_tune": True,
        "state": dict.fromkeys(TTS_MODEL_IDS, state),
        "verification_failures": _failures(row),
        "verification_attempts_count": len(row.verification_attempts),
        "manual_verification_requested": row.manual_verification is not None,
        "language": row.language,
        "progress": dict.fromkeys(TTS_MODEL_IDS, round(job.progress, 4) if job is not None else 0.0),
        "message": dict.fromkeys(TTS_MODEL_IDS, message),
        "dataset_duration_seconds": (job.result or {}).get("dataset_seconds") if job is not None else None,
        "verification_attempts": row.verification_attempts,
        "slice_ids": None,
        "manual_verification": row.manual_verification,
        "max_verification_attempts": MAX_VERIFICATION_ATTEMPTS,
        "next_max_verification_attempts_reset_unix_ms": reset,
    }


def verification_json(row: ProfessionalVoice, required: bool) -> dict[str, Any]:
    return {
        "requires_verification": required and not row.is_verified,
        "is_verified": row.is_verified,
        "verification_failures": _failures(row),
        "verification_attempts_count": len(row.verification_attempts),
        "language": row.language,
        "verification_attempts": row.verification_attempts,
    }


def separation_json(row: ProfessionalSample, job: Job | None) -> dict[str, Any]:
    status = "not_started" if job is None else _SEPARATION_STATES.get(job.status, "failed")
    speakers = None
    if status == "completed" and row.speakers is not None:
        speakers = {
            speaker_id: {
                "speaker_id": speaker_id,
                "duration_secs": speaker["duration_secs"],
                "utterances": [{"start": start, "end": end} for start, end in speaker["utterances"]],
            }
            for speaker_id, speaker in row.speakers.items()
        }
    return {
        "voice_id": row.voice_id,
        "sample_id": row.sample_id,
        "status": status,
        "speakers": speakers,
        "selected_speaker_ids": row.selected_speaker_ids,
    }


def sample_fields(row: ProfessionalSample, job: Job | None) -> dict[str, Any]:
    """What a professional sample adds to `SampleResponseModel`."""
    return {
        "speaker_separation": separation_json(row, job),
        "trim_start": row.trim_start_ms,
        "trim_end": row.trim_end_ms,
    }


def untrained_message(voice_id: str) -> str:
    return (
        f"Voice {voice_id!r} is a professional voice that has not been trained yet: add samples, verify it, "
        f"start POST /v1/voices/pvc/{voice_id}/train and wait for fine_tuning.state to read 'fine_tuned'."
    )


class ProfessionalStates:
    """The `VoiceStates` of the voice library for professional voices (other voices have none)."""

    def __init__(self, repository: ProfessionalVoiceRepository, require_verification: bool):
        self.repository = repository
        self.require_verification = require_verification

    def __call__(self, voice_ids: list[str]) -> dict[str, VoiceState]:
        rows = self.repository.with_jobs(voice_ids)
        if not rows:
            return {}
        states = {
            row.voice_id: VoiceState(
                fine_tuning=fine_tuning_json(row, job),
                voice_verification=verification_json(row, self.require_verification),
                unavailable=None if row.trained_at_unix else untrained_message(row.voice_id),
            )
            for row, job in rows
        }
        for sample, job in self.repository.samples_with_jobs(list(states)):
            states[sample.voice_id].samples[sample.sample_id] = sample_fields(sample, job)
        return states


def _failures(row: ProfessionalVoice) -> list[str]:
    return [attempt["failure"] for attempt in row.verification_attempts if attempt.get("failure")]
