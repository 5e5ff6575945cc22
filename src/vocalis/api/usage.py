"""`GET /v1/usage/character-stats`: characters (or requests) over time, broken down by voice, model or key."""

from __future__ import annotations

from fastapi import APIRouter

from vocalis.accounts.usage import character_stats
from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.schemas.account import UsageCharactersResponse

router = APIRouter(tags=["usage"])


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
