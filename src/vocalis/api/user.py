"""`/v1/user`, `/v1/user/subscription` and `/v1/usage/character-stats` for the self-hosted account."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter

from vocalis.accounts.usage import character_stats
from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.schemas.account import ExtendedSubscription, Subscription, UsageCharactersResponse, UserResponse
from vocalis.services import Services

router = APIRouter(tags=["user"])

# A self-hosted server has no quota; this is the largest limit ElevenLabs' clients handle comfortably.
UNLIMITED = 2**31 - 1


def _subscription(services: Services) -> dict:
    voices = services.voices.all()
    return {
        "tier": "self_hosted",
        "character_count": services.history.total_characters(),
        "character_limit": UNLIMITED,
        "voice_slots_used": sum(1 for voice in voices if voice.category != "premade"),
        "voice_limit": UNLIMITED,
        "professional_voice_limit": UNLIMITED,
        "status": "active",
    }


@router.get("/v1/user", response_model=UserResponse)
def get_user(services: ServicesDependency, _key: KeyIdDependency) -> UserResponse:
    home = services.settings.home_dir
    user_id = hashlib.sha256(str(home).encode()).hexdigest()[:28]
    return UserResponse(
        user_id=user_id,
        workspace_id=user_id,
        subscription=Subscription(**_subscription(services)),
        is_new_user=False,
        created_at=int(home.stat().st_ctime),
    )


@router.get("/v1/user/subscription", response_model=ExtendedSubscription)
def get_subscription(services: ServicesDependency, _key: KeyIdDependency) -> ExtendedSubscription:
    return ExtendedSubscription(**_subscription(services))


@router.get("/v1/usage/character-stats", response_model=UsageCharactersResponse)
def get_character_stats(
    services: ServicesDependency,
    _key: KeyIdDependency,
    start_unix: int,
    end_unix: int,
    include_workspace_metrics: bool = False,
    breakdown_type: str = "none",
    aggregation_interval: str = "day",
    aggregation_bucket_size: int | None = None,
    metric: str = "credits",
) -> UsageCharactersResponse:
    events = services.history.usage_events(start_unix // 1000, end_unix // 1000 + 1)
    time, usage = character_stats(
        events,
        start_unix_ms=start_unix,
        end_unix_ms=end_unix,
        breakdown_type=breakdown_type,
        aggregation_interval=aggregation_interval,
        aggregation_bucket_size=aggregation_bucket_size,
        metric=metric,
    )
    return UsageCharactersResponse(time=time, usage=usage)
