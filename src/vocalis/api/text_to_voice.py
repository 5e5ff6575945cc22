"""`/v1/text-to-voice`: voice design previews from a description, remixes of an existing voice, their
audio, and saving one as a voice (SDK: `text_to_voice.design`, `.create_previews`, `.remix`, `.create`,
`.preview.stream`)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.api.voices import voice_response
from vocalis.errors import InvalidRequest
from vocalis.schemas.text_to_voice import (
    CreateVoiceFromPreviewRequest,
    VoiceDesignRequest,
    VoicePreviewsRequest,
    VoicePreviewsResponse,
    VoiceRemixRequest,
)
from vocalis.schemas.voices import VoiceResponse
from vocalis.services import Services
from vocalis.voice_design.service import Design

router = APIRouter(prefix="/v1/text-to-voice", tags=["text-to-voice"])
STREAM_CHUNK_BYTES = 16384


def _answer(design: Design, response: Response) -> VoicePreviewsResponse:
    response.headers.update(_headers(design))
    return VoicePreviewsResponse.model_validate({"previews": design.previews_json(), "text": design.text})


def _headers(design: Design) -> dict[str, str]:
    """What the previews cost, and how the description was read (for users tuning their wording)."""
    traits = design.traits
    said = {
        "gender": traits.gender or "-",
        "age": traits.age or "-",
        "accent": traits.accent or "-",
        "pitch": f"{traits.pitch:+.1f}",
        "pace": f"{traits.pace:+.1f}",
        "energy": f"{traits.energy:+.1f}",
        "texture": ",".join(traits.texture) or "-",
    }
    return {
        "character-cost": str(design.character_cost),
        "x-vocalis-engine": design.engine,
        "x-vocalis-matcher": traits.matcher,
        "x-vocalis-seed": str(design.seed),
        "x-vocalis-traits": "; ".join(f"{name}={value}" for name, value in said.items()),
    }


@router.post("/create-previews", response_model=VoicePreviewsResponse)
async def create_previews(
    body: VoicePreviewsRequest,
    response: Response,
    services: ServicesDependency,
    key_id: KeyIdDependency,
    output_format: str = "mp3_44100_192",
) -> VoicePreviewsResponse:
    design = await services.voice_design.design(body, output_format, key_id=key_id)
    return _answer(design, response)


@router.post("/design", response_model=VoicePreviewsResponse)
async def design_voice(
    body: VoiceDesignRequest,
    response: Response,
    services: ServicesDependency,
    key_id: KeyIdDependency,
    output_format: str = "mp3_44100_192",
) -> VoicePreviewsResponse:
    if body.reference_audio_base64:
        raise InvalidRequest(
            "reference_audio_base64 is not supported: the local voice design works from the description "
            "alone.",
            code="unsupported_parameter",
        )
    design = await services.voice_design.design(
        body, output_format, model_id=body.model_id, stream_previews=body.stream_previews, key_id=key_id
    )
    return _answer(design, response)


@router.post("/{voice_id}/remix", response_model=VoicePreviewsResponse)
async def remix_voice(
    voice_id: str,
    body: VoiceRemixRequest,
    response: Response,
    services: ServicesDependency,
    key_id: KeyIdDependency,
    output_format: str = "mp3_44100_192",
) -> VoicePreviewsResponse:
    design = await services.voice_design.remix(voice_id, body, output_format, key_id=key_id)
    return _answer(design, response)


@router.post("", response_model=VoiceResponse)
async def create_voice(
    body: CreateVoiceFromPreviewRequest, request: Request, services: ServicesDependency, _key: KeyIdDependency
) -> VoiceResponse:
    return await saved_preview(
        request, services, body.generated_voice_id, body.voice_name, body.voice_description, body.labels
    )


async def saved_preview(
    request: Request,
    services: Services,
    generated_voice_id: str,
    name: str,
    description: str,
    labels: dict[str, str | None] | None,
) -> VoiceResponse:
    """Save a preview as a voice (here and in the legacy `voice-generation/create-voice`); the voice."""
    voice_id = await services.voice_design.save(generated_voice_id, name, description, labels)
    return voice_response(request, services.voices.get(voice_id), services.voices.settings(voice_id))


@router.get("/{generated_voice_id}/stream", response_class=StreamingResponse)
async def stream_preview(
    generated_voice_id: str, services: ServicesDependency, _key: KeyIdDependency
) -> StreamingResponse:
    audio, media_type = await services.voice_design.preview_audio(generated_voice_id)
    chunks = (audio[start : start + STREAM_CHUNK_BYTES] for start in range(0, len(audio), STREAM_CHUNK_BYTES))
    return StreamingResponse(chunks, media_type=media_type)
