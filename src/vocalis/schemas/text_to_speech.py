"""Bodies and responses of `/v1/text-to-speech/{voice_id}` and its stream / with-timestamps variants."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from vocalis.engines.registry import DEFAULT_TTS_MODEL
from vocalis.schemas.common import CharacterAlignment, VoiceSettings


class PronunciationDictionaryLocator(BaseModel):
    pronunciation_dictionary_id: str
    version_id: str | None = None


class TextToSpeechRequest(BaseModel):
    text: str
    model_id: str = DEFAULT_TTS_MODEL
    language_code: str | None = None
    voice_settings: VoiceSettings | None = None
    # At most three: checked where they are resolved, so sockets get the same error as HTTP.
    pronunciation_dictionary_locators: list[PronunciationDictionaryLocator] | None = None
    seed: int | None = Field(default=None, ge=0, le=4294967295)
    previous_text: str | None = None
    next_text: str | None = None
    previous_request_ids: list[str] | None = Field(default=None, max_length=3)
    next_request_ids: list[str] | None = Field(default=None, max_length=3)
    use_pvc_as_ivc: bool = False
    apply_text_normalization: Literal["auto", "on", "off"] = "auto"
    apply_language_text_normalization: bool = False


class AudioWithTimestampsResponse(BaseModel):
    audio_base64: str
    alignment: CharacterAlignment | None = None
    normalized_alignment: CharacterAlignment | None = None
