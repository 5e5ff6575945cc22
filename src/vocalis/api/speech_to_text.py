"""`/v1/speech-to-text` (Scribe) and its stored transcripts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from functools import partial
from typing import Annotated, Any, TypeVar

import httpx
import numpy as np
from fastapi import APIRouter, Form, UploadFile
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError

from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.audio import (
    Audio,
    AudioDecodeError,
    decode,
    decode_channel,
    decode_pcm_s16le,
    probe_channels,
    probe_duration,
)
from vocalis.errors import InvalidRequest, NotFound
from vocalis.jobs import JobContext
from vocalis.schemas.common import StatusResponse
from vocalis.schemas.export_options import ExportOptions
from vocalis.schemas.speech_to_text import SpeechToTextResponse
from vocalis.services import Services
from vocalis.store.ids import new_id
from vocalis.store.jobs import UNFINISHED
from vocalis.store.webhooks import SPEECH_TO_TEXT_EVENT
from vocalis.transcription.exports import export
from vocalis.transcription.model import TranscriptResult
from vocalis.transcription.service import (
    SAMPLE_RATE,
    ProgressCallback,
    TranscriptionRequest,
    combine_channels,
    validate_channels,
    validate_request,
)
from vocalis.webhooks import event_body

router = APIRouter(prefix="/v1/speech-to-text", tags=["speech-to-text"])

MAX_DURATION_SECONDS = 4.5 * 3600
MAX_WEBHOOK_METADATA_BYTES = 16 * 1024
WEBHOOK_EVENT_TYPE = "speech_to_text_transcription"
JOB_KIND = "speech_to_text"
_export_options = TypeAdapter(list[ExportOptions])
_responses: TypeAdapter[SpeechToTextResponse] = TypeAdapter(SpeechToTextResponse)
T = TypeVar("T")


def _parse_formats(additional_formats: str | None) -> list:
    if not additional_formats:
        return []
    try:
        return _export_options.validate_python(json.loads(additional_formats))
    except (json.JSONDecodeError, ValidationError) as error:
        raise InvalidRequest(f"additional_formats is not valid: {error}", code="invalid_parameters") from None


async def _audio_bytes(services: Services, file: UploadFile | None, cloud_storage_url: str | None) -> bytes:
    limit = services.settings.max_upload_bytes
    if file is not None and cloud_storage_url:
        raise InvalidRequest("Send either file or cloud_storage_url, not both.", code="invalid_parameters")
    if file is not None:
        data = await file.read(limit + 1)
    elif cloud_storage_url:
        if not services.settings.allow_remote_urls:
            raise InvalidRequest(
                "Fetching audio from cloud_storage_url is disabled on this server; upload the file instead "
                "(or start the server with VOCALIS_ALLOW_REMOTE_URLS=true).",
                code="remote_urls_disabled",
            )
        try:
            async with httpx.AsyncClient(timeout=60, follow_redirects=True) as client:
                response = await client.get(cloud_storage_url)
                response.raise_for_status()
                data = response.content
        except httpx.HTTPError as error:
            raise InvalidRequest(f"Could not fetch cloud_storage_url: {error}", code="invalid_url") from None
    else:
        raise InvalidRequest("Send the audio as file (or cloud_storage_url).", code="missing_file")
    if not data:
        raise InvalidRequest("The uploaded file is empty.", code="invalid_audio")
    if len(data) > limit:
        raise InvalidRequest(f"The file is larger than the {limit} byte limit.", code="file_too_large")
    return data


def _readable(read: Callable[..., T], *args: Any) -> T:
    """`read(*args)`, a codec call, with audio it cannot read answered as a 400."""
    try:
        return read(*args)
    except AudioDecodeError as error:
        raise InvalidRequest(f"The file could not be read as audio: {error}", code="invalid_audio") from None


def _decode(data: bytes, file_format: str) -> Audio:
    if file_format == "pcm_s16le_16":
        return _readable(decode_pcm_s16le, data, SAMPLE_RATE)
    return _readable(decode, data, SAMPLE_RATE)


def _channel_samples(data: bytes, channel: int) -> np.ndarray:
    return _readable(decode_channel, data, channel, SAMPLE_RATE).samples


def _check_duration(seconds: float) -> None:
    if seconds > MAX_DURATION_SECONDS:
        raise InvalidRequest("The audio is longer than the 4.5 hour limit.", code="audio_too_long")
    if seconds < 0.1:
        raise InvalidRequest("The audio is too short to transcribe (under 0.1 s).", code="invalid_audio")


def _webhook_targets(services: Services, webhook: bool, webhook_id: str | None) -> list[str]:
    """The webhooks a `webhook=true` request is sent to: the one named, else every STT-subscribed one."""
    if not webhook:
        raise InvalidRequest("webhook_id is only valid with webhook=true.", code="invalid_parameters")
    if webhook_id:
        row = services.webhooks.get(webhook_id)
        if row is None or row.is_disabled:
            raise InvalidRequest(
                f"Webhook {webhook_id!r} does not exist or is disabled.", code="webhook_not_found"
            )
        return [row.webhook_id]
    targets = [row.webhook_id for row in services.webhooks.subscribed(SPEECH_TO_TEXT_EVENT)]
    if not targets:
        raise InvalidRequest(
            "No enabled webhook is subscribed to speech-to-text events on this server; create one "
            "(POST /v1/workspace/webhooks or `vocalis webhooks create`) or send the request without "
            "webhook=true to get the transcript in the response.",
            code="webhook_not_configured",
        )
    return targets


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _parse_webhook_metadata(webhook_metadata: str | None) -> dict | None:
    """A JSON object of at most 16 KB and two levels, echoed back in the webhook event."""
    if not webhook_metadata:
        return None
    if len(webhook_metadata.encode()) > MAX_WEBHOOK_METADATA_BYTES:
        raise InvalidRequest("webhook_metadata is larger than 16 KB.", code="invalid_parameters")
    try:
        metadata = json.loads(webhook_metadata)
    except json.JSONDecodeError as error:
        message = f"webhook_metadata is not valid JSON: {error}"
        raise InvalidRequest(message, code="invalid_parameters") from None
    if isinstance(metadata, str):
        # The SDK JSON-encodes whatever it is given, so a JSON string argument arrives encoded twice.
        try:
            metadata = json.loads(metadata)
        except json.JSONDecodeError:
            pass
    if metadata is None:  # the SDK sends "null" when no metadata is set
        return None
    if not isinstance(metadata, dict) or _depth(metadata) > 2:
        raise InvalidRequest(
            "webhook_metadata must be a JSON object nested at most 2 levels deep.", code="invalid_parameters"
        )
    return metadata


def response_json(
    result: TranscriptResult, transcription_id: str | None, formats: list, *, timestamps: bool = True
) -> dict:
    """The Scribe response for `result`; without `timestamps` (`timestamps_granularity=none`) words have no
    times, while the additional formats, which need them, are still rendered from the real ones."""
    words = [
        {
            "text": word.text,
            "start": round(word.start, 3) if timestamps else None,
            "end": round(word.end, 3) if timestamps else None,
            "type": word.type,
            "speaker_id": word.speaker_id,
            "logprob": round(word.logprob, 4),
            "channel_index": word.channel_index,
            **(
                {
                    "characters": [
                        {"text": c.text, "start": round(c.start, 3), "end": round(c.end, 3)}
                        for c in word.characters
                    ]
                }
                if word.characters is not None
                else {}
            ),
        }
        for word in result.words
    ]
    body = {
        "language_code": result.language_code,
        "language_probability": result.language_probability,
        "text": result.text,
        "words": words,
        "channel_index": result.channel_index,
        "transcription_id": transcription_id,
        "audio_duration_secs": round(result.duration, 3),
    }
    if formats:
        body["additional_formats"] = [export(result, options).model_dump() for options in formats]
    return body


def multichannel_json(
    results: list[TranscriptResult], transcription_id: str | None, formats: list, *, timestamps: bool = True
) -> dict:
    """`MultichannelSpeechToTextResponseModel`: each channel's transcript with its own additional formats;
    the id and the duration (of the file, which every channel spans) are given once, at the top."""
    return {
        "transcripts": [response_json(result, None, formats, timestamps=timestamps) for result in results],
        "transcription_id": transcription_id,
        "audio_duration_secs": round(max(result.duration for result in results), 3),
    }


def _require_speech(results: list[TranscriptResult]) -> None:
    if not any(result.words for result in results):
        raise InvalidRequest("No speech was found in the audio.", code="no_speech_detected")


def _timed(request: TranscriptionRequest) -> bool:
    return request.timestamps_granularity != "none"


# Transcribes the request's audio into its response body: (transcription id, progress callback) -> body.
Transcribe = Callable[[str | None, ProgressCallback | None], Awaitable[dict]]


def _mono(
    services: Services, samples: np.ndarray, request: TranscriptionRequest, formats: list
) -> Transcribe:
    async def transcribe(transcription_id: str | None, progress: ProgressCallback | None) -> dict:
        result = await services.transcription.transcribe(samples, request, progress=progress)
        _require_speech([result])
        return response_json(result, transcription_id, formats, timestamps=_timed(request))

    return transcribe


def _channels(
    services: Services, data: bytes, channels: int, request: TranscriptionRequest, formats: list
) -> Transcribe:
    """Each channel is decoded from the upload when its turn comes, so only one is held as samples."""

    async def transcribe(transcription_id: str | None, progress: ProgressCallback | None) -> dict:
        results = await services.transcription.transcribe_channels(
            partial(_channel_samples, data), channels, request, progress
        )
        _require_speech(results)
        if request.multichannel_output_style == "combined":
            return response_json(combine_channels(results), transcription_id, formats)
        return multichannel_json(results, transcription_id, formats, timestamps=_timed(request))

    return transcribe


@router.post("", response_model=SpeechToTextResponse)
async def convert(
    services: ServicesDependency,
    key_id: KeyIdDependency,
    model_id: Annotated[str, Form()],
    file: UploadFile | None = None,
    language_code: Annotated[str | None, Form()] = None,
    tag_audio_events: Annotated[bool, Form()] = True,
    num_speakers: Annotated[int | None, Form()] = None,
    timestamps_granularity: Annotated[str, Form()] = "word",
    diarize: Annotated[bool, Form()] = False,
    diarization_threshold: Annotated[float | None, Form()] = None,
    additional_formats: Annotated[str | None, Form()] = None,
    file_format: Annotated[str, Form()] = "other",
    cloud_storage_url: Annotated[str | None, Form()] = None,
    webhook: Annotated[bool, Form()] = False,
    webhook_id: Annotated[str | None, Form()] = None,
    temperature: Annotated[float | None, Form()] = None,
    seed: Annotated[int | None, Form()] = None,
    use_multi_channel: Annotated[bool, Form()] = False,
    multichannel_output_style: Annotated[str, Form()] = "separate",
    webhook_metadata: Annotated[str | None, Form()] = None,
    enable_logging: bool = True,
):
    request = TranscriptionRequest(
        model_id=model_id,
        language_code=language_code or None,
        tag_audio_events=tag_audio_events,
        num_speakers=num_speakers,
        timestamps_granularity=timestamps_granularity,
        diarize=diarize,
        diarization_threshold=diarization_threshold,
        temperature=temperature,
        seed=seed,
        use_multi_channel=use_multi_channel,
        multichannel_output_style=multichannel_output_style,
    )
    validate_request(request)
    if file_format not in {"pcm_s16le_16", "other"}:
        raise InvalidRequest("file_format must be 'pcm_s16le_16' or 'other'.", code="invalid_parameters")
    webhook_ids = _webhook_targets(services, webhook, webhook_id) if webhook or webhook_id else None
    metadata = _parse_webhook_metadata(webhook_metadata) if webhook_ids else None
    formats = _parse_formats(additional_formats)
    data = await _audio_bytes(services, file, cloud_storage_url)
    # pcm_s16le_16 is mono by definition; mono audio gets the single-channel response, as ElevenLabs gives.
    channels = 1
    if use_multi_channel and file_format == "other":
        channels = await services.registry.run(_readable, probe_channels, data)
        validate_channels(channels)
    if channels > 1:
        _check_duration(await services.registry.run(_readable, probe_duration, data))
        transcribe = _channels(services, data, channels, request, formats)
    else:
        audio = await services.registry.run(_decode, data, file_format)
        _check_duration(audio.duration_seconds)
        transcribe = _mono(services, audio.samples, request, formats)
    if webhook_ids:
        return _enqueue(
            services, transcribe, request, formats, channels, webhook_ids, metadata, enable_logging
        )
    transcription_id = new_id() if enable_logging else None
    body = await transcribe(transcription_id, None)
    if transcription_id is not None:
        await asyncio.to_thread(services.transcripts.add, transcription_id, model_id, body)
    return body


def _enqueue(
    services: Services,
    transcribe: Transcribe,
    request: TranscriptionRequest,
    formats: list,
    channels: int,
    webhook_ids: list[str],
    metadata: dict | None,
    enable_logging: bool,
) -> JSONResponse:
    """Accept a `webhook=true` request: queue the transcription job and answer at once."""
    request_id = new_id()
    transcription_id = new_id() if enable_logging else None
    # The job id is the transcription id, so GET /transcripts/{id} can tell "still running" from "unknown".
    job_id = transcription_id or new_id()

    async def work(context: JobContext) -> dict[str, Any]:
        body = await transcribe(transcription_id, context.progress)
        if transcription_id is not None:
            await asyncio.to_thread(services.transcripts.add, transcription_id, request.model_id, body)
        outcome: dict[str, Any] = {"request_id": request_id, "transcription_id": transcription_id}
        # Recorded before delivery: the transcript is kept whatever the receivers answer.
        await context.set_result(outcome)
        event = event_body(
            WEBHOOK_EVENT_TYPE,
            {
                "request_id": request_id,
                # Shaped by the same model as the synchronous response, so both bodies are identical.
                "transcription": _responses.dump_python(_responses.validate_python(body), mode="json"),
                "webhook_metadata": metadata,
            },
        )
        deliveries = await asyncio.gather(*(services.webhook_sender.deliver(w, event) for w in webhook_ids))
        return {**outcome, "deliveries": [delivery.as_json() for delivery in deliveries]}

    job_request = {
        "request_id": request_id,
        "transcription_id": transcription_id,
        "options": asdict(request),
        "channels": channels,
        "additional_formats": [options.model_dump() for options in formats],
        "webhook_ids": webhook_ids,
        "webhook_metadata": metadata,
    }
    services.runner.submit(job_id, JOB_KIND, job_request, work)
    return JSONResponse(
        {
            "message": "Request accepted. Transcription result will be sent to the webhook endpoint.",
            "request_id": request_id,
            "transcription_id": transcription_id,
        }
    )


@router.get("/transcripts/{transcription_id}", response_model=SpeechToTextResponse)
def get_transcript(transcription_id: str, services: ServicesDependency, _key: KeyIdDependency):
    body = services.transcripts.get(transcription_id)
    if body is not None:
        return body
    # A webhook request's transcript exists only once its job is done; say so rather than "unknown".
    job = services.jobs.get(transcription_id)
    if job is not None and job.kind == JOB_KIND and job.status in UNFINISHED:
        raise NotFound(
            f"Transcript {transcription_id!r} is still being processed ({job.progress:.0%} done); it is "
            "sent to your webhook when ready.",
            code="transcript_not_ready",
        )
    if job is not None and job.kind == JOB_KIND and job.status == "failed":
        raise NotFound(f"Transcription {transcription_id!r} failed: {job.error}", code="transcription_failed")
    raise NotFound(f"Transcript {transcription_id!r} was not found.", code="transcript_not_found")


@router.delete("/transcripts/{transcription_id}", response_model=StatusResponse)
def delete_transcript(transcription_id: str, services: ServicesDependency, _key: KeyIdDependency):
    if not services.transcripts.delete(transcription_id):
        raise NotFound(f"Transcript {transcription_id!r} was not found.", code="transcript_not_found")
    return StatusResponse()
