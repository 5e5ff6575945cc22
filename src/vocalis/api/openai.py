"""OpenAI's `POST /v1/audio/speech` shape over the same speech service, for OpenAI clients."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.audio import extra_format, parse_output_format
from vocalis.errors import NotFound
from vocalis.schemas.text_to_speech import TextToSpeechRequest
from vocalis.services import Services
from vocalis.speech.service import PreparedSpeech, encoded_pieces

router = APIRouter(prefix="/v1/audio", tags=["openai"])

# OpenAI's voices → premade voices of the same gender and character.
OPENAI_VOICES = {
    "alloy": "21m00Tcm4TlvDq8ikWAM",
    "ash": "TX3LPaxmHKxFdv7VOQHJ",
    "ballad": "N2lVS1w4EtoT3dr4eOWO",
    "coral": "cgSgspJ2msm6clMCkdW9",
    "echo": "JBFqnCBsd6RMkjVDRZzb",
    "fable": "onwK4e9ZLuTAKqWW03F9",
    "onyx": "pNInz6obpgDQGcFmaJgB",
    "nova": "EXAVITQu4vr4xnSDxMaL",
    "sage": "Xb7hH8MSUJpSbSDYk0k2",
    "shimmer": "FGY2WhTYpPnrIDTdsKH5",
    "verse": "bIHbv24MWmeRgasZH58o",
}
OPENAI_MODELS = {
    "tts-1": "eleven_flash_v2_5",
    "tts-1-hd": "eleven_multilingual_v2",
    "gpt-4o-mini-tts": "eleven_multilingual_v2",
}
RESPONSE_FORMATS = {
    "mp3": parse_output_format("mp3_44100_128"),
    "opus": parse_output_format("opus_48000_64"),
    "wav": extra_format("wav", 24000),
    "pcm": parse_output_format("pcm_24000"),
    "aac": extra_format("aac", 24000, 96),
    "flac": extra_format("flac", 24000),
}


class SpeechRequest(BaseModel):
    model: str
    input: str = Field(max_length=4096)
    voice: str
    instructions: str | None = None
    response_format: Literal["mp3", "opus", "aac", "flac", "wav", "pcm"] = "mp3"
    speed: float = Field(default=1.0, ge=0.25, le=4.0)
    stream_format: Literal["audio", "sse"] = "audio"


def _voice_id(services: Services, voice: str) -> str:
    if voice in OPENAI_VOICES:
        return OPENAI_VOICES[voice]
    for candidate in services.voices.all():
        if voice in (candidate.voice_id, candidate.name) or voice.lower() == candidate.name.lower():
            return candidate.voice_id
    raise NotFound(
        f"Voice {voice!r} was not found: use an OpenAI voice name ({', '.join(OPENAI_VOICES)}) or a Vocalis "
        "voice id or name.",
        code="voice_not_found",
    )


def _prepare(services: Services, body: SpeechRequest, key_id: str | None) -> PreparedSpeech:
    prepared = services.speech.prepare(
        _voice_id(services, body.voice),
        TextToSpeechRequest(text=body.input, model_id=OPENAI_MODELS.get(body.model, body.model)),
        output_format="pcm_24000",
        optimize_streaming_latency=None,
        enable_logging=True,
        key_id=key_id,
        streaming=True,
    )
    speech_input = prepared.speech_input
    options = replace(speech_input.options, speed=speech_input.options.speed * body.speed)
    prepared.speech_input = replace(speech_input, options=options)
    prepared.output_format = RESPONSE_FORMATS[body.response_format]
    return prepared


async def _audio_stream(services: Services, prepared: PreparedSpeech, sse: bool) -> AsyncIterator[bytes]:
    async for _piece, data in encoded_pieces(services.speech, prepared):
        if data:
            yield _sse("speech.audio.delta", audio=base64.b64encode(data).decode()) if sse else data
    if sse:
        characters = len(prepared.text)
        usage = {"input_tokens": characters, "output_tokens": 0, "total_tokens": characters}
        yield _sse("speech.audio.done", usage=usage)


def _sse(event_type: str, **fields) -> bytes:
    return f"data: {json.dumps({'type': event_type, **fields})}\n\n".encode()


@router.post("/speech", response_class=Response)
async def create_speech(body: SpeechRequest, services: ServicesDependency, key_id: KeyIdDependency):
    prepared = _prepare(services, body, key_id)
    sse = body.stream_format == "sse"
    return StreamingResponse(
        _audio_stream(services, prepared, sse),
        media_type="text/event-stream" if sse else prepared.output_format.media_type,
        headers={"request-id": prepared.request_id, "x-vocalis-engine": prepared.engine},
    )
