"""Schemas shared by several endpoint groups."""

from __future__ import annotations

from pydantic import BaseModel, Field


class VoiceSettings(BaseModel):
    """`VoiceSettingsResponseModel`: every field optional, ranges per ElevenLabs' docs."""

    stability: float | None = Field(default=None, ge=0.0, le=1.0)
    use_speaker_boost: bool | None = None
    similarity_boost: float | None = Field(default=None, ge=0.0, le=1.0)
    style: float | None = Field(default=None, ge=0.0, le=1.0)
    speed: float | None = Field(default=None, ge=0.7, le=1.2)


class StatusResponse(BaseModel):
    status: str = "ok"


class CharacterAlignment(BaseModel):
    characters: list[str]
    character_start_times_seconds: list[float]
    character_end_times_seconds: list[float]
