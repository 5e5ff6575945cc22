"""Voice responses (`VoiceResponseModel`, `GetVoicesResponseModel`, `GetVoicesV2ResponseModel`,
`GetLibraryVoicesResponseModel`)."""

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


class LibraryVoiceResponse(BaseModel):
    """`LibraryVoiceResponseModel`: a voice of the (here: this server's) voice library."""

    public_owner_id: str
    voice_id: str
    date_unix: int
    name: str
    accent: str
    gender: str
    age: str
    descriptive: str
    use_case: str
    category: Literal["generated", "cloned", "premade", "professional", "famous", "high_quality"]
    language: str | None = None
    locale: str | None = None
    description: str | None = None
    preview_url: str | None = None
    usage_character_count_1y: int = 0
    usage_character_count_7d: int = 0
    play_api_usage_character_count_1y: int = 0
    cloned_by_count: int = 0
    rate: float | None = None
    fiat_rate: float | None = None
    free_users_allowed: bool = True
    live_moderation_enabled: bool = False
    featured: bool = False
    verified_languages: list[VerifiedVoiceLanguage] | None = None
    notice_period: int | None = None
    instagram_username: str | None = None
    twitter_username: str | None = None
    youtube_username: str | None = None
    tiktok_username: str | None = None
    image_url: str | None = None
    is_added_by_user: bool | None = None


class GetLibraryVoicesResponse(BaseModel):
    """`GetLibraryVoicesResponseModel`."""

    voices: list[LibraryVoiceResponse]
    has_more: bool
    total_count: int | None = None
    last_sort_id: str | None = None
