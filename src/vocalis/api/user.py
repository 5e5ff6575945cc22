"""`/v1/user` and `/v1/user/subscription`: the self-hosted account (unlimited quota, real counts)."""

from __future__ import annotations

from fastapi import APIRouter

from vocalis.accounts.identity import user_id as account_user_id
from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.schemas.account import ExtendedSubscription, Subscription, UserResponse
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
    user_id = account_user_id(home)
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
