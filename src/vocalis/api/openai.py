"""OpenAI's `/v1/audio/speech` and `/v1/audio/transcriptions` shapes over the same services."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Annotated, Literal

from fastapi import APIRouter, Form, UploadFile
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.audio import AudioDecodeError, decode, extra_format, parse_output_format
from vocalis.errors import InvalidRequest, NotFound
from vocalis.schemas.text_to_speech import TextToSpeechRequest
from vocalis.services import Services
from vocalis.speech.service import PreparedSpeech, encoded_pieces
from vocalis.transcription.exports import segment, to_srt, to_vtt
from vocalis.transcription.languages import language_name
from vocalis.transcription.service import STT_MODELS, TranscriptionRequest

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


# Speech to text ---------------------------------------------------------------------------------

TRANSCRIPTION_FORMATS = {"json", "text", "srt", "verbose_json", "vtt"}


@router.post("/transcriptions")
async def create_transcription(
    services: ServicesDependency,
    key_id: KeyIdDependency,
    file: UploadFile,
    model: Annotated[str, Form()],
    language: Annotated[str | None, Form()] = None,
    prompt: Annotated[str | None, Form()] = None,
    response_format: Annotated[str, Form()] = "json",
    temperature: Annotated[float | None, Form()] = None,
    timestamp_granularities: Annotated[list[str] | None, Form(alias="timestamp_granularities[]")] = None,
):
    """OpenAI's transcription shape over the same recognizer (`model`: whisper-1 picks by language)."""
    if response_format not in TRANSCRIPTION_FORMATS:
        raise InvalidRequest(
            f"response_format must be one of {sorted(TRANSCRIPTION_FORMATS)}.", code="invalid_parameters"
        )
    granularities = set(timestamp_granularities or ["segment"])
    if not granularities <= {"word", "segment"}:
        raise InvalidRequest(
            "timestamp_granularities[] takes 'word' and/or 'segment'.", code="invalid_parameters"
        )
    data = await file.read(services.settings.max_upload_bytes + 1)
    if not data:
        raise InvalidRequest("The uploaded file is empty.", code="invalid_audio")
    try:
        audio = await services.registry.run(decode, data, 16000)
    except AudioDecodeError as error:
        raise InvalidRequest(f"The file could not be read as audio: {error}", code="invalid_audio") from None
    model_id = model if model in STT_MODELS else "scribe_v1"
    result = await services.transcription.transcribe(
        audio.samples,
        TranscriptionRequest(
            model_id=model_id, language_code=language, tag_audio_events=False, temperature=temperature
        ),
    )
    if response_format == "text":
        return PlainTextResponse(result.text.strip() + "\n")
    if response_format == "srt":
        return PlainTextResponse(to_srt(result), media_type="application/x-subrip")
    if response_format == "vtt":
        return PlainTextResponse(to_vtt(result), media_type="text/vtt")
    if response_format == "json":
        return {"text": result.text.strip()}
    words = [word for word in result.words if word.type == "word"]
    body: dict = {
        "task": "transcribe",
        "language": (language_name(result.language_code) or result.language_code).lower(),
        "duration": round(result.duration, 3),
        "text": result.text.strip(),
    }
    if "segment" in granularities:
        body["segments"] = [
            {
                "id": index,
                "seek": 0,
                "start": round(part.start, 3),
                "end": round(part.end, 3),
                "text": part.text,
                "tokens": [],
                "temperature": temperature or 0.0,
                "avg_logprob": round(part.avg_logprob, 4),
                "compression_ratio": 1.0,
                "no_speech_prob": 0.0,
            }
            for index, part in enumerate(segment(result))
        ]
    if "word" in granularities:
        body["words"] = [
            {"word": word.text, "start": round(word.start, 3), "end": round(word.end, 3)} for word in words
        ]
    return body
