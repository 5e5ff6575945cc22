"""`/v1/speech-to-speech/{voice_id}` (Voice Changer): convert and stream, also under `/v1/voice-changer/...`,
the paths the SDK (2.x) sends them to.

`x-vocalis-engine` says which engine served a request: `openvoice-v2` or `revoice` (see README, "Voice
changer").
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import Response, StreamingResponse

from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.services import Services
from vocalis.voice_changer.service import DEFAULT_MODEL, VoiceChange, VoiceChangeInput

router = APIRouter(tags=["speech-to-speech"])

FileFormat = Literal["pcm_s16le_16", "other"]


def _input(
    audio: Annotated[UploadFile, File()],
    model_id: Annotated[str, Form()] = DEFAULT_MODEL,
    voice_settings: Annotated[str | None, Form()] = None,
    seed: Annotated[int | None, Form()] = None,
    remove_background_noise: Annotated[bool, Form()] = False,
    file_format: Annotated[FileFormat | None, Form()] = "other",
    enable_logging: bool = True,
    optimize_streaming_latency: Annotated[int | None, Query()] = None,
    output_format: str = "mp3_44100_128",
) -> VoiceChangeInput:
    return VoiceChangeInput(
        audio=audio.file,
        size=audio.size,
        model_id=model_id,
        voice_settings=voice_settings,
        seed=seed,
        remove_background_noise=remove_background_noise,
        file_format=file_format,
        output_format=output_format,
        optimize_streaming_latency=optimize_streaming_latency,
        enable_logging=enable_logging,
    )


InputDependency = Annotated[VoiceChangeInput, Depends(_input)]


async def _prepare(
    services: Services, voice_id: str, given: VoiceChangeInput, key_id: str | None
) -> tuple[VoiceChange, dict[str, str]]:
    change = await services.voice_changer.prepare(voice_id, given, key_id)
    headers = {
        "request-id": change.request_id,
        "character-cost": str(change.characters),
        "current-concurrent-requests": str(change.concurrent_requests),
        "maximum-concurrent-requests": str(change.max_concurrent_requests),
        "x-vocalis-engine": change.engine,
    }
    if change.enable_logging:
        headers["history-item-id"] = change.history_item_id
    return change, headers


@router.post("/v1/speech-to-speech/{voice_id}", response_class=Response)
@router.post("/v1/voice-changer/{voice_id}", response_class=Response, include_in_schema=False)
async def convert(
    voice_id: str, given: InputDependency, services: ServicesDependency, key_id: KeyIdDependency
) -> Response:
    change, headers = await _prepare(services, voice_id, given, key_id)
    audio = await services.voice_changer.render(change)
    return Response(audio, media_type=change.output_format.media_type, headers=headers)


@router.post("/v1/speech-to-speech/{voice_id}/stream", response_class=StreamingResponse)
@router.post("/v1/voice-changer/{voice_id}/stream", response_class=StreamingResponse, include_in_schema=False)
async def stream(
    voice_id: str, given: InputDependency, services: ServicesDependency, key_id: KeyIdDependency
) -> StreamingResponse:
    change, headers = await _prepare(services, voice_id, given, key_id)
    return StreamingResponse(
        await services.voice_changer.started(change),
        media_type=change.output_format.media_type,
        headers=headers,
    )
