"""Professional voice cloning bodies and responses, field names verbatim from ElevenLabs' OpenAPI spec."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class CreatePvcVoiceRequest(BaseModel):
    """`Body_Create_PVC_voice_v1_voices_pvc_post`."""

    name: str
    language: str
    description: str | None = None
    labels: dict[str, str | None] | None = None


class EditPvcVoiceRequest(BaseModel):
    """`Body_Edit_PVC_voice_v1_voices_pvc__voice_id__post`: every field optional."""

    name: str | None = None
    language: str | None = None
    description: str | None = None
    labels: dict[str, str | None] | None = None


class UpdatePvcSampleRequest(BaseModel):
    """`Body_Update_PVC_voice_sample_...`: trims in milliseconds; speaker ids replace the earlier choice."""

    remove_background_noise: bool | None = None
    selected_speaker_ids: list[str] | None = None
    trim_start_time: int | None = None
    trim_end_time: int | None = None
    file_name: str | None = None


class TrainPvcVoiceRequest(BaseModel):
    model_id: str | None = None


class PvcVoiceResponse(BaseModel):
    """`AddVoiceResponseModel`."""

    voice_id: str


class Utterance(BaseModel):
    start: float
    end: float


class Speaker(BaseModel):
    """`SpeakerResponseModel`."""

    speaker_id: str
    duration_secs: float
    utterances: list[Utterance] | None = None


class SpeakerSeparation(BaseModel):
    """`SpeakerSeparationResponseModel`."""

    voice_id: str
    sample_id: str
    status: Literal["not_started", "pending", "completed", "failed"]
    speakers: dict[str, Speaker] | None = None
    selected_speaker_ids: list[str] | None = None


class Sample(BaseModel):
    """`SampleResponseModel`."""

    sample_id: str
    file_name: str
    mime_type: str
    size_bytes: int
    hash: str
    duration_secs: float | None = None
    remove_background_noise: bool | None = None
    has_isolated_audio: bool | None = None
    has_isolated_audio_preview: bool | None = None
    speaker_separation: SpeakerSeparation | None = None
    trim_start: int | None = None
    trim_end: int | None = None


class SamplePreview(BaseModel):
    """`VoiceSamplePreviewResponseModel`."""

    audio_base_64: str
    voice_id: str
    sample_id: str
    media_type: str
    duration_secs: float | None = None


class SampleWaveform(BaseModel):
    """`VoiceSampleVisualWaveformResponseModel`."""

    sample_id: str
    visual_waveform: list[float]


class SpeakerAudio(BaseModel):
    """`SpeakerAudioResponseModel`."""

    audio_base_64: str
    media_type: str
    duration_secs: float
