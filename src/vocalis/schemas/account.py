"""Models, user, subscription, usage and history responses."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Language(BaseModel):
    language_id: str
    name: str


class ModelRates(BaseModel):
    character_cost_multiplier: float


class ModelResponse(BaseModel):
    model_id: str
    name: str
    can_be_finetuned: bool
    can_do_text_to_speech: bool
    can_do_voice_conversion: bool
    can_use_style: bool
    can_use_speaker_boost: bool
    serves_pro_voices: bool
    token_cost_factor: float
    description: str
    requires_alpha_access: bool
    max_characters_request_free_user: int
    max_characters_request_subscribed_user: int
    maximum_text_length_per_request: int
    languages: list[Language]
    model_rates: ModelRates
    concurrency_group: Literal["standard", "turbo"]


class Price(BaseModel):
    amount: str = "0"
    currency: str = "usd"


class Subscription(BaseModel):
    tier: str
    character_count: int
    character_limit: int
    max_character_limit_extension: int | None = None
    max_credit_limit_extension: int | Literal["unlimited"] = "unlimited"
    can_extend_character_limit: bool = False
    allowed_to_extend_character_limit: bool = False
    next_character_count_reset_unix: int | None = None
    voice_slots_used: int
    professional_voice_slots_used: int = 0
    professional_voice_slots_used_in_workspace: int = 0
    voice_limit: int
    max_voice_add_edits: int | None = None
    voice_add_edit_counter: int = 0
    professional_voice_limit: int
    can_extend_voice_limit: bool = False
    can_use_instant_voice_cloning: bool = True
    can_use_professional_voice_cloning: bool = True
    currency: Literal["usd", "eur"] | None = None
    status: Literal["trialing", "active", "incomplete", "past_due", "free", "free_disabled"] = "active"
    billing_period: Literal["monthly_period", "annual_period"] | None = None
    character_refresh_period: Literal["monthly_period", "annual_period"] | None = None
    current_overage: Price = Field(default_factory=Price)


class ExtendedSubscription(Subscription):
    next_invoice: dict | None = None
    open_invoices: list[dict] = []
    has_open_invoices: bool = False


class UserResponse(BaseModel):
    user_id: str
    workspace_id: str
    seat_type: Literal["workspace_admin", "workspace_member", "workspace_lite_member"] = "workspace_admin"
    subscription: Subscription
    is_new_user: bool
    xi_api_key: str | None = None
    can_use_delayed_payment_methods: bool = False
    is_onboarding_completed: bool = True
    is_onboarding_checklist_completed: bool = True
    first_name: str | None = None
    is_api_key_hashed: bool = True
    xi_api_key_preview: str | None = None
    created_at: int


class UsageCharactersResponse(BaseModel):
    time: list[int]
    usage: dict[str, list[float]]


class HistoryAlignment(BaseModel):
    characters: list[str]
    character_start_times_seconds: list[float]
    character_end_times_seconds: list[float]


class HistoryAlignments(BaseModel):
    alignment: HistoryAlignment
    normalized_alignment: HistoryAlignment


class HistoryItemResponse(BaseModel):
    history_item_id: str
    request_id: str | None = None
    voice_id: str | None = None
    model_id: str | None = None
    voice_name: str | None = None
    voice_category: Literal["premade", "cloned", "generated", "professional"] | None = None
    text: str | None = None
    date_unix: int
    character_count_change_from: int
    character_count_change_to: int
    content_type: str
    state: Literal["created", "deleted", "processing"]
    settings: dict[str, Any] | None = None
    feedback: dict | None = None
    share_link_id: str | None = None
    source: Literal["TTS", "STS", "Projects", "PD", "AN", "Dubbing", "PlayAPI", "ConvAI"] | None = None
    alignments: HistoryAlignments | None = None
    dialogue: list[dict] | None = None


class HistoryListResponse(BaseModel):
    history: list[HistoryItemResponse]
    last_history_item_id: str | None = None
    has_more: bool


class HistoryDownloadRequest(BaseModel):
    history_item_ids: list[str] = Field(min_length=1)
    output_format: str | None = None
