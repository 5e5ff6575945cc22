"""`/v1/speech-to-text` (Scribe) and its stored transcripts."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Form, UploadFile
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError

from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.audio import AudioDecodeError, decode, decode_pcm_s16le
from vocalis.errors import InvalidRequest, NotFound
from vocalis.jobs import JobContext
from vocalis.schemas.common import StatusResponse
from vocalis.schemas.export_options import ExportOptions
from vocalis.schemas.speech_to_text import SpeechToTextChunkResponse
from vocalis.services import Services
from vocalis.store.ids import new_id
from vocalis.store.jobs import UNFINISHED
from vocalis.store.webhooks import SPEECH_TO_TEXT_EVENT
from vocalis.transcription.exports import export
from vocalis.transcription.model import TranscriptResult
from vocalis.transcription.service import SAMPLE_RATE, TranscriptionRequest, validate_request
from vocalis.webhooks import event_body

router = APIRouter(prefix="/v1/speech-to-text", tags=["speech-to-text"])

MAX_DURATION_SECONDS = 4.5 * 3600
MAX_WEBHOOK_METADATA_BYTES = 16 * 1024
WEBHOOK_EVENT_TYPE = "speech_to_text_transcription"
JOB_KIND = "speech_to_text"
_export_options = TypeAdapter(list[ExportOptions])


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


def _decode(data: bytes, file_format: str):
    try:
        if file_format == "pcm_s16le_16":
            return decode_pcm_s16le(data, SAMPLE_RATE)
        return decode(data, sample_rate=SAMPLE_RATE)
    except AudioDecodeError as error:
        raise InvalidRequest(f"The file could not be read as audio: {error}", code="invalid_audio") from None


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


def response_json(result: TranscriptResult, transcription_id: str | None, formats: list) -> dict:
    words = [
        {
            "text": word.text,
            "start": None if word.start is None else round(word.start, 3),
            "end": None if word.end is None else round(word.end, 3),
            "type": word.type,
            "speaker_id": word.speaker_id,
            "logprob": round(word.logprob, 4),
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
        "transcription_id": transcription_id,
        "audio_duration_secs": round(result.duration, 3),
    }
    if formats:
        body["additional_formats"] = [export(result, options).model_dump() for options in formats]
    return body


@router.post("", response_model=SpeechToTextChunkResponse)
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
    )
    validate_request(request)
    if file_format not in {"pcm_s16le_16", "other"}:
        raise InvalidRequest("file_format must be 'pcm_s16le_16' or 'other'.", code="invalid_parameters")
    webhook_ids = _webhook_targets(services, webhook, webhook_id) if webhook or webhook_id else None
    metadata = _parse_webhook_metadata(webhook_metadata) if webhook_ids else None
    if use_multi_channel:
        raise InvalidRequest(
            "use_multi_channel is not supported yet; send the channels as separate files.",
            code="invalid_parameters",
        )
    formats = _parse_formats(additional_formats)
    data = await _audio_bytes(services, file, cloud_storage_url)
    audio = await services.registry.run(_decode, data, file_format)
    if audio.duration_seconds > MAX_DURATION_SECONDS:
        raise InvalidRequest("The audio is longer than the 4.5 hour limit.", code="audio_too_long")
    if audio.duration_seconds < 0.1:
        raise InvalidRequest("The audio is too short to transcribe (under 0.1 s).", code="invalid_audio")
    if webhook_ids:
        return _enqueue(services, audio.samples, request, formats, webhook_ids, metadata, enable_logging)
    result = await services.transcription.transcribe(audio.samples, request)
    if not result.words:
        raise InvalidRequest("No speech was found in the audio.", code="no_speech_detected")
    transcription_id = new_id() if enable_logging else None
    body = response_json(result, transcription_id, formats)
    if transcription_id is not None:
        await services.registry.run(services.transcripts.add, transcription_id, model_id, body)
    return body


def _enqueue(
    services: Services,
    samples: Any,
    request: TranscriptionRequest,
    formats: list,
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
        result = await services.transcription.transcribe(samples, request, progress=context.progress)
        if not result.words:
            raise InvalidRequest("No speech was found in the audio.", code="no_speech_detected")
        body = response_json(result, transcription_id, formats)
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
                "transcription": SpeechToTextChunkResponse.model_validate(body).model_dump(mode="json"),
                "webhook_metadata": metadata,
            },
        )
        deliveries = await asyncio.gather(*(services.webhook_sender.deliver(w, event) for w in webhook_ids))
        return {**outcome, "deliveries": [delivery.as_json() for delivery in deliveries]}

    job_request = {
        "request_id": request_id,
        "transcription_id": transcription_id,
        "options": asdict(request),
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


@router.get("/transcripts/{transcription_id}", response_model=SpeechToTextChunkResponse)
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
