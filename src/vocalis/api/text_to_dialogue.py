"""`/v1/text-to-dialogue`: convert, stream, with-timestamps and stream/with-timestamps."""

from __future__ import annotations

import base64
import json
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response, StreamingResponse

from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.api.text_to_speech import stream_content, timestamps_payload
from vocalis.dialogue import service as dialogue
from vocalis.dialogue.service import DialoguePiece, PreparedDialogue
from vocalis.schemas.text_to_dialogue import (
    AudioWithTimestampsAndVoiceSegmentsResponse,
    TextToDialogueRequest,
)
from vocalis.services import Services

router = APIRouter(prefix="/v1/text-to-dialogue", tags=["text-to-dialogue"])

DEFAULT_OUTPUT_FORMAT = "mp3_44100_128"


class DialogueQuery:
    """Query parameters shared by the four endpoints."""

    def __init__(self, enable_logging: bool = True, output_format: str = DEFAULT_OUTPUT_FORMAT):
        self.enable_logging = enable_logging
        self.output_format = output_format


QueryDependency = Annotated[DialogueQuery, Depends()]


def _prepare(
    services: Services,
    body: TextToDialogueRequest,
    query: DialogueQuery,
    key_id: str | None,
    *,
    streaming: bool,
) -> tuple[PreparedDialogue, dict[str, str]]:
    prepared = dialogue.prepare(
        services.speech,
        body,
        output_format=query.output_format,
        enable_logging=query.enable_logging,
        key_id=key_id,
        streaming=streaming,
    )
    # Every engine the lines need must have room; the headers report the first line's engine.
    current, maximum = [services.registry.admit(engine) for engine in prepared.engines][0]
    headers = {
        "request-id": prepared.request_id,
        "character-cost": str(sum(len(line.text) for line in prepared.lines)),
        "current-concurrent-requests": str(current),
        "maximum-concurrent-requests": str(maximum),
        "x-vocalis-engine": ",".join(prepared.engines),
    }
    if prepared.enable_logging:
        headers["history-item-id"] = prepared.history_item_id
    return prepared, headers


@router.post("", response_class=Response)
async def convert(
    body: TextToDialogueRequest, query: QueryDependency, services: ServicesDependency, key_id: KeyIdDependency
) -> Response:
    prepared, headers = _prepare(services, body, query, key_id, streaming=False)
    audio, _result = await dialogue.render(services.speech, prepared)
    return Response(audio, media_type=prepared.output_format.media_type, headers=headers)


@router.post("/with-timestamps", response_model=AudioWithTimestampsAndVoiceSegmentsResponse)
async def convert_with_timestamps(
    body: TextToDialogueRequest, query: QueryDependency, services: ServicesDependency, key_id: KeyIdDependency
) -> Response:
    prepared, headers = _prepare(services, body, query, key_id, streaming=False)
    audio, result = await dialogue.render(services.speech, prepared)
    payload = {
        "audio_base64": base64.b64encode(audio).decode(),
        "alignment": result.alignment.to_json(),
        "normalized_alignment": result.normalized_alignment.to_json(),
        "voice_segments": [segment.to_json() for segment in result.voice_segments],
    }
    return Response(json.dumps(payload), media_type="application/json", headers=headers)


def _ndjson_line(audio: bytes, piece: DialoguePiece | None) -> bytes:
    """One chunk of the with-timestamps stream: its audio, the characters it speaks and who speaks them."""
    segment = piece.voice_segment if piece is not None else None
    voice_segments = [segment.to_json()] if segment is not None else []
    return (
        json.dumps({**timestamps_payload(audio, piece), "voice_segments": voice_segments}) + "\n"
    ).encode()


@router.post("/stream", response_class=StreamingResponse)
async def stream(
    body: TextToDialogueRequest, query: QueryDependency, services: ServicesDependency, key_id: KeyIdDependency
) -> StreamingResponse:
    prepared, headers = _prepare(services, body, query, key_id, streaming=True)
    return StreamingResponse(
        stream_content(dialogue.encoded_pieces(services.speech, prepared)),
        media_type=prepared.output_format.media_type,
        headers=headers,
    )


@router.post("/stream/with-timestamps", response_class=StreamingResponse)
async def stream_with_timestamps(
    body: TextToDialogueRequest, query: QueryDependency, services: ServicesDependency, key_id: KeyIdDependency
) -> StreamingResponse:
    prepared, headers = _prepare(services, body, query, key_id, streaming=True)
    return StreamingResponse(
        stream_content(dialogue.encoded_pieces(services.speech, prepared), _ndjson_line),
        media_type="application/x-ndjson",
        headers=headers,
    )
