"""`/v1/text-to-speech/{voice_id}`: convert, stream, with-timestamps and stream/with-timestamps."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response, StreamingResponse

from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.schemas.text_to_speech import AudioWithTimestampsResponse, TextToSpeechRequest
from vocalis.speech.service import PieceT, PreparedSpeech, encoded_pieces, render
from vocalis.speech.synthesis import SpeechPiece

router = APIRouter(prefix="/v1/text-to-speech", tags=["text-to-speech"])

DEFAULT_OUTPUT_FORMAT = "mp3_44100_128"


class SpeechQuery:
    """Query parameters shared by the four endpoints."""

    def __init__(
        self,
        enable_logging: bool = True,
        optimize_streaming_latency: Annotated[int | None, Query()] = None,
        output_format: str = DEFAULT_OUTPUT_FORMAT,
    ):
        self.enable_logging = enable_logging
        self.optimize_streaming_latency = optimize_streaming_latency
        self.output_format = output_format


QueryDependency = Annotated[SpeechQuery, Depends()]


def _prepare(
    services, voice_id: str, body: TextToSpeechRequest, query: SpeechQuery, key_id, *, streaming: bool
) -> tuple[PreparedSpeech, dict[str, str]]:
    prepared = services.speech.prepare(
        voice_id,
        body,
        output_format=query.output_format,
        optimize_streaming_latency=query.optimize_streaming_latency,
        enable_logging=query.enable_logging,
        key_id=key_id,
        streaming=streaming,
    )
    current, maximum = services.registry.admit(prepared.engine)
    headers = {
        "request-id": prepared.request_id,
        "character-cost": str(len(prepared.text)),
        "current-concurrent-requests": str(current),
        "maximum-concurrent-requests": str(maximum),
        "x-vocalis-engine": prepared.engine,
    }
    if prepared.enable_logging:
        headers["history-item-id"] = prepared.history_item_id
    return prepared, headers


@router.post("/{voice_id}", response_class=Response)
async def convert(
    voice_id: str,
    body: TextToSpeechRequest,
    query: QueryDependency,
    services: ServicesDependency,
    key_id: KeyIdDependency,
) -> Response:
    prepared, headers = _prepare(services, voice_id, body, query, key_id, streaming=False)
    audio, _result = await render(services.speech, prepared)
    return Response(audio, media_type=prepared.output_format.media_type, headers=headers)


@router.post("/{voice_id}/with-timestamps", response_model=AudioWithTimestampsResponse)
async def convert_with_timestamps(
    voice_id: str,
    body: TextToSpeechRequest,
    query: QueryDependency,
    services: ServicesDependency,
    key_id: KeyIdDependency,
) -> Response:
    prepared, headers = _prepare(services, voice_id, body, query, key_id, streaming=False)
    audio, result = await render(services.speech, prepared)
    payload = {
        "audio_base64": base64.b64encode(audio).decode(),
        "alignment": result.alignment.to_json(),
        "normalized_alignment": result.normalized_alignment.to_json(),
    }
    return Response(json.dumps(payload), media_type="application/json", headers=headers)


async def stream_content(
    encoded: AsyncIterator[tuple[PieceT | None, bytes]],
    ndjson_line: Callable[[bytes, PieceT | None], bytes] | None = None,
) -> AsyncIterator[bytes]:
    """A streaming response's body: the audio as it is encoded or, with `ndjson_line`, one JSON line per
    chunk (the encoder's tail included)."""
    async for piece, data in encoded:
        if ndjson_line is None:
            if data:
                yield data
        elif piece is not None or data:
            yield ndjson_line(data, piece)


def timestamps_payload(audio: bytes, piece: SpeechPiece | None) -> dict:
    """One chunk of a with-timestamps stream: its audio and the characters it speaks."""
    alignment = piece.alignment if piece is not None else None
    normalized_alignment = piece.normalized_alignment if piece is not None else None
    return {
        "audio_base64": base64.b64encode(audio).decode(),
        "alignment": alignment.to_json() if alignment else None,
        "normalized_alignment": normalized_alignment.to_json() if normalized_alignment else None,
    }


def _ndjson_line(audio: bytes, piece: SpeechPiece | None) -> bytes:
    return (json.dumps(timestamps_payload(audio, piece)) + "\n").encode()


@router.post("/{voice_id}/stream", response_class=StreamingResponse)
async def stream(
    voice_id: str,
    body: TextToSpeechRequest,
    query: QueryDependency,
    services: ServicesDependency,
    key_id: KeyIdDependency,
) -> StreamingResponse:
    prepared, headers = _prepare(services, voice_id, body, query, key_id, streaming=True)
    return StreamingResponse(
        stream_content(encoded_pieces(services.speech, prepared)),
        media_type=prepared.output_format.media_type,
        headers=headers,
    )


@router.post("/{voice_id}/stream/with-timestamps", response_class=StreamingResponse)
async def stream_with_timestamps(
    voice_id: str,
    body: TextToSpeechRequest,
    query: QueryDependency,
    services: ServicesDependency,
    key_id: KeyIdDependency,
) -> StreamingResponse:
    prepared, headers = _prepare(services, voice_id, body, query, key_id, streaming=True)
    return StreamingResponse(
        stream_content(encoded_pieces(services.speech, prepared), _ndjson_line),
        media_type="application/x-ndjson",
        headers=headers,
    )
