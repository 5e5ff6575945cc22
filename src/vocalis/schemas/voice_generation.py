"""The legacy voice generation bodies and responses (`/v1/voice-generation/...`), field names and limits
verbatim from the OpenAPI spec: `Body_Generate_a_random_voice_v1_voice_generation_generate_voice_post`,
`VoiceGenerationParameterResponseModel` and the body of `create-voice`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from vocalis.schemas.text_to_voice import MAX_TEXT, MIN_TEXT

MIN_ACCENT_STRENGTH = 0.3
MAX_ACCENT_STRENGTH = 2.0
# The spec's listed values, with the names the ElevenLabs web app showed for them.
GENDERS = {"female": "Female", "male": "Male"}
AGES = {"young": "Young", "middle_aged": "Middle Aged", "old": "Old"}
ACCENTS = {"british": "British", "american": "American", "african": "African", "australian": "Australian",
           "indian": "Indian"}  # fmt: skip


class GenerateRandomVoiceRequest(BaseModel):
    """`POST /v1/voice-generation/generate-voice`."""

    gender: Literal["female", "male"]
    accent: Literal["british", "american", "african", "australian", "indian"]
    age: Literal["young", "middle_aged", "old"]
    accent_strength: float = Field(ge=MIN_ACCENT_STRENGTH, le=MAX_ACCENT_STRENGTH)
    text: str = Field(min_length=MIN_TEXT, max_length=MAX_TEXT)


class CreateGeneratedVoiceRequest(BaseModel):
    """`POST /v1/voice-generation/create-voice`."""

    voice_name: str = Field(min_length=1, max_length=200)
    voice_description: str = Field(max_length=1000)
    generated_voice_id: str
    # Accepted for compatibility: ElevenLabs learns from the voices heard but not chosen; nothing here does.
    played_not_selected_voice_ids: list[str] | None = None
    labels: dict[str, str] | None = None


class VoiceGenerationOption(BaseModel):
    name: str
    code: str


class VoiceGenerationParameters(BaseModel):
    genders: list[VoiceGenerationOption]
    accents: list[VoiceGenerationOption]
    ages: list[VoiceGenerationOption]
    minimum_characters: int
    maximum_characters: int
    minimum_accent_strength: float
    maximum_accent_strength: float
