"""`/v1/text-to-speech/{voice_id}`: convert, stream, with-timestamps and stream/with-timestamps."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response, StreamingResponse

from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.audio import StreamingEncoder, encode
from vocalis.schemas.text_to_speech import AudioWithTimestampsResponse, TextToSpeechRequest
from vocalis.speech.service import PreparedSpeech, SpeechResult, SpeechService

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
    current, maximum = services.speech.check_capacity(prepared)
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


async def _synthesize_all(speech: SpeechService, prepared: PreparedSpeech) -> tuple[bytes, SpeechResult]:
    result = SpeechResult()
    async for piece in speech.pieces(prepared):
        result.add(piece)
    audio = await speech.registry.run(encode, result.samples(), result.sample_rate, prepared.output_format)
    return audio, result


@router.post("/{voice_id}", response_class=Response)
async def convert(
    voice_id: str,
    body: TextToSpeechRequest,
    query: QueryDependency,
    services: ServicesDependency,
    key_id: KeyIdDependency,
) -> Response:
    prepared, headers = _prepare(services, voice_id, body, query, key_id, streaming=False)
    audio, result = await _synthesize_all(services.speech, prepared)
    await services.registry.run(services.speech.record, prepared, audio, result)
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
    audio, result = await _synthesize_all(services.speech, prepared)
    await services.registry.run(services.speech.record, prepared, audio, result)
    payload = {
        "audio_base64": base64.b64encode(audio).decode(),
        "alignment": result.alignment.to_json(),
        "normalized_alignment": result.normalized_alignment.to_json(),
    }
    return Response(json.dumps(payload), media_type="application/json", headers=headers)


async def _encoded_stream(
    speech: SpeechService, prepared: PreparedSpeech, *, with_timestamps: bool
) -> AsyncIterator[bytes]:
    """Encode pieces as they arrive; the history entry is written only once the stream has finished."""
    encoder: StreamingEncoder | None = None
    result = SpeechResult()
    encoded = bytearray()
    async for piece in speech.pieces(prepared):
        if encoder is None:
            encoder = StreamingEncoder(prepared.output_format, piece.sample_rate)
        result.add(piece)
        data = encoder.encode(piece.audio)
        encoded += data
        if with_timestamps:
            yield _ndjson_line(data, piece.alignment, piece.normalized_alignment)
        elif data:
            yield data
    tail = encoder.flush() if encoder is not None else b""
    encoded += tail
    if with_timestamps:
        if tail:
            yield _ndjson_line(tail, None, None)
    elif tail:
        yield tail
    await speech.registry.run(speech.record, prepared, bytes(encoded), result)


def _ndjson_line(audio: bytes, alignment, normalized_alignment) -> bytes:
    payload = {
        "audio_base64": base64.b64encode(audio).decode(),
        "alignment": alignment.to_json() if alignment else None,
        "normalized_alignment": normalized_alignment.to_json() if normalized_alignment else None,
    }
    return (json.dumps(payload) + "\n").encode()


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
        _encoded_stream(services.speech, prepared, with_timestamps=False),
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
        _encoded_stream(services.speech, prepared, with_timestamps=True),
        media_type="application/x-ndjson",
        headers=headers,
    )
