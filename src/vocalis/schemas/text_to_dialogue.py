"""Bodies and responses of `/v1/text-to-dialogue` and its stream / with-timestamps variants."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from vocalis.schemas.common import CharacterAlignment
from vocalis.schemas.text_to_speech import PronunciationDictionaryLocator

DEFAULT_DIALOGUE_MODEL = "eleven_v3"


class DialogueInput(BaseModel):
    text: str
    voice_id: str


class DialogueSettings(BaseModel):
    """`ToDialogueSettingsResponseModel`: settings shared by every line of the dialogue."""

    stability: float | None = Field(default=None, ge=0.0, le=1.0)
    similarity: float | None = Field(default=None, ge=0.0, le=1.0)
    use_speaker_boost: bool | None = None


class TextToDialogueRequest(BaseModel):
    inputs: list[DialogueInput]
    model_id: str = DEFAULT_DIALOGUE_MODEL
    language_code: str | None = None
    settings: DialogueSettings | None = None
    previous_text: str | None = None
    future_text: str | None = None
    # At most three: checked where they are resolved, so sockets get the same error as HTTP.
    pronunciation_dictionary_locators: list[PronunciationDictionaryLocator] | None = None
    seed: int | None = Field(default=None, ge=0, le=4294967295)
    apply_text_normalization: Literal["auto", "on", "off"] = "auto"
    use_pvc_as_ivc: bool = False
    previous_request_ids: list[str] | None = Field(default=None, max_length=3)
    next_request_ids: list[str] | None = Field(default=None, max_length=3)


class VoiceSegment(BaseModel):
    voice_id: str
    start_time_seconds: float
    end_time_seconds: float
    character_start_index: int
    character_end_index: int
    dialogue_input_index: int


class AudioWithTimestampsAndVoiceSegmentsResponse(BaseModel):
    audio_base64: str
    alignment: CharacterAlignment | None = None
    normalized_alignment: CharacterAlignment | None = None
    voice_segments: list[VoiceSegment]
