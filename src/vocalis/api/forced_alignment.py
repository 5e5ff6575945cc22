"""`POST /v1/forced-alignment`: time a transcript against an uploaded recording."""

from __future__ import annotations

from typing import Annotated, BinaryIO

from fastapi import APIRouter, Form, Response, UploadFile

from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.audio import Audio, AudioDecodeError, decode
from vocalis.errors import InvalidRequest
from vocalis.schemas.forced_alignment import (
    ForcedAlignmentCharacterResponseModel,
    ForcedAlignmentResponseModel,
    ForcedAlignmentWordResponseModel,
)
from vocalis.transcription.forced_alignment import SAMPLE_RATE, ForcedAlignment, align_speech, check_text

router = APIRouter(prefix="/v1/forced-alignment", tags=["forced-alignment"])


def _decode(file: BinaryIO) -> Audio:
    try:
        return decode(file, sample_rate=SAMPLE_RATE)
    except AudioDecodeError as error:
        raise InvalidRequest(f"The file could not be read as audio: {error}", code="invalid_audio") from None


def _response(alignment: ForcedAlignment) -> ForcedAlignmentResponseModel:
    return ForcedAlignmentResponseModel(
        characters=[
            ForcedAlignmentCharacterResponseModel(text=c.text, start=round(c.start, 3), end=round(c.end, 3))
            for c in alignment.characters
        ],
        words=[
            ForcedAlignmentWordResponseModel(
                text=w.text, start=round(w.start, 3), end=round(w.end, 3), loss=round(w.loss, 4)
            )
            for w in alignment.words
        ],
        loss=round(alignment.loss, 4),
    )


@router.post("", response_model=ForcedAlignmentResponseModel)
async def create_forced_alignment(
    response: Response,
    services: ServicesDependency,
    _key: KeyIdDependency,
    file: UploadFile,
    text: Annotated[str, Form()],
    # Accepted for compatibility: uploads are always spooled to disk and decoded from there.
    enabled_spooled_file: Annotated[bool, Form()] = False,
) -> ForcedAlignmentResponseModel:
    check_text(text)
    limit = services.settings.max_upload_bytes
    if file.size is not None and file.size > limit:
        raise InvalidRequest(f"The file is larger than the {limit} byte limit.", code="file_too_large")
    audio = await services.registry.run(_decode, file.file)
    alignment, engine = await align_speech(services.registry, audio.samples, text)
    response.headers["x-vocalis-engine"] = engine
    return _response(alignment)
