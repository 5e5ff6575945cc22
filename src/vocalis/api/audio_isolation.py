"""`/v1/audio-isolation` (Voice Isolator): convert and stream.

`engine` (query, a Vocalis extension) picks deepfilternet3 or rnnoise for one request; by default the
server's `VOCALIS_ISOLATION_ENGINE`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import StreamingResponse

from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.isolation.service import OUTPUT_FORMAT, IsolationRequest, read_blocks
from vocalis.services import Services

router = APIRouter(prefix="/v1/audio-isolation", tags=["audio-isolation"])

FileFormat = Literal["pcm_s16le_16", "other"]


class IsolationInput:
    """The fields both endpoints take: the multipart form of the spec and Vocalis' `engine` query."""

    def __init__(
        self,
        audio: Annotated[UploadFile, File()],
        file_format: Annotated[FileFormat | None, Form()] = "other",
        engine: Annotated[
            str | None, Query(description="Vocalis: the isolation engine, deepfilternet3 or rnnoise.")
        ] = None,
    ):
        self.audio = audio
        self.file_format = file_format
        self.engine = engine


InputDependency = Annotated[IsolationInput, Depends()]


async def _prepare(
    services: Services, given: IsolationInput, key_id: str | None
) -> tuple[IsolationRequest, dict[str, str]]:
    audio = given.audio
    request = await services.isolation.prepare(
        audio.file, audio.size, given.file_format, given.engine, key_id
    )
    headers = {
        "character-cost": str(request.characters),
        "current-concurrent-requests": str(request.concurrent_requests),
        "maximum-concurrent-requests": str(request.max_concurrent_requests),
        "x-vocalis-engine": request.engine,
    }
    return request, headers


@router.post("", response_class=StreamingResponse)
async def convert(
    given: InputDependency,
    services: ServicesDependency,
    key_id: KeyIdDependency,
    # The SDK sends an image for ElevenLabs' history view; Vocalis keeps no isolation history.
    preview_b64: Annotated[str | None, Form()] = None,
) -> StreamingResponse:
    request, headers = await _prepare(services, given, key_id)
    output, size = await services.isolation.render(request)
    headers["content-length"] = str(size)
    return StreamingResponse(read_blocks(output), media_type=OUTPUT_FORMAT.media_type, headers=headers)


@router.post("/stream", response_class=StreamingResponse)
async def stream(
    given: InputDependency, services: ServicesDependency, key_id: KeyIdDependency
) -> StreamingResponse:
    request, headers = await _prepare(services, given, key_id)
    return StreamingResponse(
        await services.isolation.started(request), media_type=OUTPUT_FORMAT.media_type, headers=headers
    )
