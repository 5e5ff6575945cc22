"""`POST /v1/sound-generation`: a sound effect from a text prompt (SDK: `text_to_sound_effects.convert`)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.schemas.sound_generation import SoundGenerationRequest

router = APIRouter(prefix="/v1/sound-generation", tags=["sound-generation"])


@router.post("", response_class=Response)
async def sound_generation(
    body: SoundGenerationRequest,
    services: ServicesDependency,
    key_id: KeyIdDependency,
    output_format: str = "mp3_44100_128",
    # Accepted for compatibility: nothing about a sound effect is logged beyond its usage count.
    enable_logging: bool = True,
) -> Response:
    effect = await services.sound_effects.generate(body, output_format, key_id)
    headers = {
        "character-cost": str(effect.character_cost),
        "x-vocalis-engine": effect.engine,
        "x-vocalis-seed": str(effect.seed),
        **{f"x-vocalis-{name}": value for name, value in effect.details.items()},
    }
    return Response(effect.audio, media_type=effect.output_format.media_type, headers=headers)
