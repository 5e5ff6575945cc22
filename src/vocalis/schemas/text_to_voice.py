"""Text to voice (voice design) bodies and responses, field names and limits verbatim from the OpenAPI spec:
`VoicePreviewsRequestModel`, `VoiceDesignRequestModel`, `VoicePreviewsResponseModel` and the body of
`POST /v1/text-to-voice`; the remix body as the official SDK sends it (the OpenAPI does not list it)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

MIN_DESCRIPTION = 20
MAX_DESCRIPTION = 1000
MIN_TEXT = 100
MAX_TEXT = 1000

Description = Annotated[str, Field(min_length=MIN_DESCRIPTION, max_length=MAX_DESCRIPTION)]


class VoicePreviewsRequest(BaseModel):
    """`POST /v1/text-to-voice/create-previews`."""

    voice_description: Description
    text: str | None = Field(default=None, min_length=MIN_TEXT, max_length=MAX_TEXT)
    auto_generate_text: bool = False
    loudness: float = Field(default=0.5, ge=-1.0, le=1.0)
    quality: float | None = Field(default=0.9, ge=-1.0, le=1.0)
    seed: int | None = Field(default=None, ge=0, le=2147483647)
    guidance_scale: float | None = Field(default=5.0, ge=0.0, le=100.0)
    # Accepted for compatibility: there is no language model to expand the description with.
    should_enhance: bool = False


class VoiceDesignRequest(VoicePreviewsRequest):
    """`POST /v1/text-to-voice/design`."""

    model_id: Literal["eleven_multilingual_ttv_v2", "eleven_ttv_v3"] = "eleven_multilingual_ttv_v2"
    stream_previews: bool = False
    # Accepted for compatibility: remixing sessions group previews in ElevenLabs' web app only.
    remixing_session_id: str | None = None
    remixing_session_iteration_id: str | None = None
    reference_audio_base64: str | None = None
    prompt_strength: float | None = Field(default=None, ge=0.0, le=1.0)


class VoiceRemixRequest(BaseModel):
    """`POST /v1/text-to-voice/{voice_id}/remix` (SDK: `text_to_voice.remix`): the description names the
    changes ("make him older"), so short ones are accepted."""

    voice_description: str = Field(min_length=1, max_length=MAX_DESCRIPTION, pattern=r"\S")
    text: str | None = Field(default=None, min_length=MIN_TEXT, max_length=MAX_TEXT)
    auto_generate_text: bool = False
    loudness: float = Field(default=0.5, ge=-1.0, le=1.0)
    seed: int | None = Field(default=None, ge=0, le=2147483647)
    guidance_scale: float | None = Field(default=5.0, ge=0.0, le=100.0)
    stream_previews: bool = False
    # Accepted for compatibility: remixing sessions group previews in ElevenLabs' web app only.
    remixing_session_id: str | None = None
    remixing_session_iteration_id: str | None = None
    prompt_strength: float | None = Field(default=None, ge=0.0, le=1.0)


class VoicePreview(BaseModel):
    audio_base_64: str
    generated_voice_id: str
    media_type: str
    duration_secs: float
    language: str | None = None


class VoicePreviewsResponse(BaseModel):
    previews: list[VoicePreview]
    text: str


class CreateVoiceFromPreviewRequest(BaseModel):
    """`POST /v1/text-to-voice`."""

    voice_name: str = Field(min_length=1, max_length=200)
    voice_description: Description
    generated_voice_id: str
    labels: dict[str, str | None] | None = None
    # Accepted for compatibility: ElevenLabs learns from the previews heard but not chosen; nothing here does.
    played_not_selected_voice_ids: list[str] | None = None
