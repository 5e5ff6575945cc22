"""SQLAlchemy 2 tables. Every schema change comes with an Alembic migration in `migrations/versions`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ApiKey(Base):
    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    key_preview: Mapped[str] = mapped_column(String(16))
    created_at_unix: Mapped[int] = mapped_column(BigInteger)
    revoked_at_unix: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Voice(Base):
    """A user's voice (cloned, generated). Premade voices live in code; only their settings are stored."""

    __tablename__ = "voices"

    voice_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    engine_spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at_unix: Mapped[int] = mapped_column(BigInteger)
    # Derived once from the samples when they change: how the voice was made (method, similarity, search
    # figures) and the speaker's reference embeddings and pitch, so it is never recomputed per request.
    speaker_data: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class VoiceSample(Base):
    """One uploaded recording of a cloned voice; the audio is a blob, its analysis is kept beside it."""

    __tablename__ = "voice_samples"

    sample_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    voice_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("voices.voice_id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(500))
    mime_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    duration_secs: Mapped[float] = mapped_column(Float)
    remove_background_noise: Mapped[bool] = mapped_column(Boolean, default=False)
    blob_key: Mapped[str] = mapped_column(String(200))
    # Seconds of speech, unit embeddings per speaker encoder and pitch statistics of the sample's speech.
    analysis: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)


class VoicePreview(Base):
    """A voice-design preview (`generated_voice_id`): its voice, text and audio, kept for a while so it can
    be streamed and saved as a voice (`POST /v1/text-to-voice`)."""

    __tablename__ = "voice_previews"

    generated_voice_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at_unix: Mapped[int] = mapped_column(BigInteger, index=True)
    voice_description: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    # The designed voice: engine spec, labels, variation, render seed and loudness target.
    design: Mapped[dict[str, Any]] = mapped_column(JSON)
    output_format: Mapped[str] = mapped_column(String(32))
    # None until rendered (a preview asked for with `stream_previews` renders when first streamed).
    audio_blob_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    duration_secs: Mapped[float | None] = mapped_column(Float, nullable=True)


class VoiceSettingsRow(Base):
    """Saved default settings of any voice, premade included (`POST /v1/voices/{id}/settings/edit`)."""

    __tablename__ = "voice_settings"

    voice_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    stability: Mapped[float | None] = mapped_column(Float, nullable=True)
    similarity_boost: Mapped[float | None] = mapped_column(Float, nullable=True)
    style: Mapped[float | None] = mapped_column(Float, nullable=True)
    use_speaker_boost: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    speed: Mapped[float | None] = mapped_column(Float, nullable=True)


class HistoryItem(Base):
    __tablename__ = "history_items"

    history_item_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    voice_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    voice_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    voice_category: Mapped[str | None] = mapped_column(String(32), nullable=True)
    model_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    date_unix: Mapped[int] = mapped_column(BigInteger, index=True)
    # Millisecond creation time: orders items made within the same second.
    created_at_ms: Mapped[int] = mapped_column(BigInteger, index=True)
    character_count_change_from: Mapped[int] = mapped_column(BigInteger)
    character_count_change_to: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(64))
    output_format: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="created")
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    source: Mapped[str] = mapped_column(String(16), default="TTS")
    audio_blob_key: Mapped[str] = mapped_column(String(200))
    alignments: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    dialogue: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)


class UsageEvent(Base):
    """Characters billed per request; kept even when history is off (zero-retention keeps no text)."""

    __tablename__ = "usage_events"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time_unix: Mapped[int] = mapped_column(BigInteger)
    characters: Mapped[int] = mapped_column(Integer)
    model_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    voice_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    key_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("api_keys.key_id", ondelete="SET NULL"), nullable=True
    )

    __table_args__ = (Index("ix_usage_events_time", "time_unix"),)


class Transcript(Base):
    """A stored speech-to-text result (`GET /v1/speech-to-text/transcripts/{id}`)."""

    __tablename__ = "transcripts"

    transcription_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at_unix: Mapped[int] = mapped_column(BigInteger, index=True)
    model_id: Mapped[str] = mapped_column(String(100))
    language_code: Mapped[str] = mapped_column(String(16))
    audio_duration_secs: Mapped[float] = mapped_column(Float)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)


class Webhook(Base):
    """A workspace webhook (`/v1/workspace/webhooks`); the HMAC secret is kept because it signs deliveries."""

    __tablename__ = "webhooks"

    webhook_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    webhook_url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(128))
    auth_type: Mapped[str] = mapped_column(String(16))
    is_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    retry_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    request_headers: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    # Workspace event types (SDK `WorkspaceWebhookEventType`), e.g. ["speech_to_text"].
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at_unix: Mapped[int] = mapped_column(BigInteger)
    most_recent_failure_error_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    most_recent_failure_timestamp: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Job(Base):
    """Background work (async STT, later dubbing, cloning): status, progress and result survive restarts."""

    __tablename__ = "jobs"

    job_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued | processing | completed | failed
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at_unix: Mapped[int] = mapped_column(BigInteger)
    updated_at_unix: Mapped[int] = mapped_column(BigInteger)


class PronunciationDictionary(Base):
    """A pronunciation dictionary; its rules live in versions, and every change of rules makes a new one."""

    __tablename__ = "pronunciation_dictionaries"

    dictionary_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    # Millisecond creation time: orders dictionaries made within the same second.
    created_at_ms: Mapped[int] = mapped_column(BigInteger, index=True)
    archived_at_unix: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    workspace_access: Mapped[str | None] = mapped_column(String(16), nullable=True)
    latest_version_id: Mapped[str] = mapped_column(String(32))


class PronunciationDictionaryVersion(Base):
    """The rules of one dictionary version (never changed once written), as `Rule.to_json` dicts in order."""

    __tablename__ = "pronunciation_dictionary_versions"

    version_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    dictionary_id: Mapped[str] = mapped_column(
        String(32),
        ForeignKey("pronunciation_dictionaries.dictionary_id", ondelete="CASCADE"),
        index=True,
    )
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    rules_num: Mapped[int] = mapped_column(Integer)


class ProfessionalVoice(Base):
    """The professional-cloning state of a `professional` voice: its language, the captcha it was last shown,
    its verification attempts, and its training job (fine-tuning state and progress are that job's)."""

    __tablename__ = "professional_voices"

    voice_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("voices.voice_id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(16))
    captcha_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    captcha_issued_at_unix: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    is_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    # `VerificationAttemptResponseModel` dicts, oldest first; the recordings themselves are not kept.
    verification_attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # `ManualVerificationResponseModel` of the last manual request (file metadata only).
    manual_verification: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    training_job_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    trained_at_unix: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class ProfessionalSample(Base):
    """What professional cloning adds to a voice sample: the trim, and the speakers its separation found
    with the ones chosen for training (separation runs as a job)."""

    __tablename__ = "professional_samples"

    sample_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("voice_samples.sample_id", ondelete="CASCADE"), primary_key=True
    )
    voice_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("voices.voice_id", ondelete="CASCADE"), index=True
    )
    trim_start_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    trim_end_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    separation_job_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # speaker id -> {"duration_secs": float, "utterances": [[start, end], ...]} (seconds in the sample).
    speakers: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    selected_speaker_ids: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
