"""`/v1/audio-isolation` (Voice Isolator): convert and stream.

`engine` (query, a Vocalis extension) picks deepfilternet3 or rnnoise for one request; by default the
server's `VOCALIS_ISOLATION_ENGINE`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import StreamingResponse

from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.isolation.service import OUTPUT_FORMAT, IsolationRequest, read_blocks
from vocalis.services import Services

router = APIRouter(prefix="/v1/audio-isolation", tags=["audio-isolation"])

FileFormat = Literal["pcm_s16le_16", "other"]
EngineQuery = Annotated[
    str | None, Query(description="Vocalis: the isolation engine, deepfilternet3 or rnnoise.")
]


async def _prepare(
    services: Services,
    audio: UploadFile,
    file_format: FileFormat | None,
    engine: str | None,
    key_id: str | None,
) -> tuple[IsolationRequest, dict[str, str]]:
    request = await services.isolation.prepare(audio.file, audio.size, file_format, engine, key_id)
    headers = {
        "character-cost": str(request.characters),
        "current-concurrent-requests": str(request.concurrent_requests),
        "maximum-concurrent-requests": str(request.max_concurrent_requests),
        "x-vocalis-engine": request.engine,
    }
    return request, headers


@router.post("", response_class=StreamingResponse)
async def convert(
    services: ServicesDependency,
    key_id: KeyIdDependency,
    audio: Annotated[UploadFile, File()],
    file_format: Annotated[FileFormat | None, Form()] = "other",
    # The SDK sends an image for ElevenLabs' history view; Vocalis keeps no isolation history.
    preview_b64: Annotated[str | None, Form()] = None,
    engine: EngineQuery = None,
) -> StreamingResponse:
    request, headers = await _prepare(services, audio, file_format, engine, key_id)
    output, size = await services.isolation.render(request)
    headers["content-length"] = str(size)
    return StreamingResponse(read_blocks(output), media_type=OUTPUT_FORMAT.media_type, headers=headers)


@router.post("/stream", response_class=StreamingResponse)
async def stream(
    services: ServicesDependency,
    key_id: KeyIdDependency,
    audio: Annotated[UploadFile, File()],
    file_format: Annotated[FileFormat | None, Form()] = "other",
    engine: EngineQuery = None,
) -> StreamingResponse:
    request, headers = await _prepare(services, audio, file_format, engine, key_id)
    return StreamingResponse(
        await services.isolation.started(request), media_type=OUTPUT_FORMAT.media_type, headers=headers
    )
