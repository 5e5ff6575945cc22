"""`/v1/voice-generation`: ElevenLabs' first voice design API (gender, age and accent instead of a
description), kept by its OpenAPI spec for older clients; served by the same voice design as
`/v1/text-to-voice`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.api.text_to_voice import saved_preview
from vocalis.schemas.text_to_voice import MAX_TEXT, MIN_TEXT
from vocalis.schemas.voice_generation import (
    ACCENTS,
    AGES,
    GENDERS,
    MAX_ACCENT_STRENGTH,
    MIN_ACCENT_STRENGTH,
    CreateGeneratedVoiceRequest,
    GenerateRandomVoiceRequest,
    VoiceGenerationParameters,
)
from vocalis.schemas.voices import VoiceResponse

router = APIRouter(prefix="/v1/voice-generation", tags=["voice-generation"])


@router.get("/generate-voice/parameters", response_model=VoiceGenerationParameters)
async def parameters(_key: KeyIdDependency) -> VoiceGenerationParameters:
    def options(names: dict[str, str]) -> list[dict]:
        return [{"name": name, "code": code} for code, name in names.items()]

    return VoiceGenerationParameters(
        genders=options(GENDERS),
        accents=options(ACCENTS),
        ages=options(AGES),
        minimum_characters=MIN_TEXT,
        maximum_characters=MAX_TEXT,
        minimum_accent_strength=MIN_ACCENT_STRENGTH,
        maximum_accent_strength=MAX_ACCENT_STRENGTH,
    )


@router.post("/generate-voice", response_class=Response)
async def generate_voice(
    body: GenerateRandomVoiceRequest, services: ServicesDependency, key_id: KeyIdDependency
) -> Response:
    design = await services.voice_design.generate_random(
        body.gender, body.age, body.accent, body.text, key_id=key_id
    )
    [preview] = design.previews
    return Response(
        preview.audio,
        media_type=design.output_format.media_type,
        headers={
            "generated_voice_id": preview.generated_voice_id,
            "character-cost": str(design.character_cost),
            "x-vocalis-engine": design.engine,
            "x-vocalis-seed": str(design.seed),
        },
    )


@router.post("/create-voice", response_model=VoiceResponse)
async def create_voice(
    body: CreateGeneratedVoiceRequest, request: Request, services: ServicesDependency, _key: KeyIdDependency
) -> VoiceResponse:
    return await saved_preview(
        request, services, body.generated_voice_id, body.voice_name, body.voice_description, body.labels
    )
