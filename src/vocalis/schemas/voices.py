"""Voice responses (`VoiceResponseModel`, `GetVoicesResponseModel`, `GetVoicesV2ResponseModel`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from vocalis.schemas.common import VoiceSettings


class VerifiedVoiceLanguage(BaseModel):
    language: str
    model_id: str
    accent: str | None = None
    locale: str | None = None
    preview_url: str | None = None


class VoiceResponse(BaseModel):
    voice_id: str
    name: str
    samples: list[dict] | None = None
    category: Literal["generated", "cloned", "premade", "professional", "famous", "high_quality"]
    fine_tuning: dict | None = None
    labels: dict[str, str]
    description: str | None = None
    preview_url: str | None = None
    available_for_tiers: list[str] = []
    settings: VoiceSettings | None = None
    sharing: dict | None = None
    high_quality_base_model_ids: list[str] = []
    verified_languages: list[VerifiedVoiceLanguage] | None = None
    safety_control: str | None = None
    voice_verification: dict | None = None
    permission_on_resource: str | None = None
    is_owner: bool | None = None
    is_legacy: bool = False
    is_mixed: bool = False
    created_at_unix: int | None = None


class GetVoicesResponse(BaseModel):
    voices: list[VoiceResponse]


class GetVoicesV2Response(BaseModel):
    voices: list[VoiceResponse]
    has_more: bool
    total_count: int
    next_page_token: str | None = None


class AddVoiceResponse(BaseModel):
    """`AddVoiceIVCResponseModel`."""

    voice_id: str
    requires_verification: bool = False
