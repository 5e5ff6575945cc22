"""`/v1/voices/pvc`: professional voice cloning (create, samples, speaker separation, captcha verification,
training); the work is in `vocalis.pvc`.

`GET .../captcha` answers with the captcha PNG as a base64 JSON string (what ElevenLabs' docs decode; the
SDK discards the body) and its text in `x-vocalis-captcha-text`, for readers who cannot see the image and
for scripts (see README, "Professional voice cloning").
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse

from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.api.voices import uploaded_samples
from vocalis.schemas.common import StatusResponse
from vocalis.schemas.voices_pvc import (
    CreatePvcVoiceRequest,
    EditPvcVoiceRequest,
    PvcVoiceResponse,
    Sample,
    SamplePreview,
    SampleWaveform,
    SpeakerAudio,
    SpeakerSeparation,
    TrainPvcVoiceRequest,
    UpdatePvcSampleRequest,
)

router = APIRouter(tags=["voices"])

CAPTCHA_TEXT_HEADER = "x-vocalis-captcha-text"
VOICE = "/v1/voices/pvc/{voice_id}"
SAMPLE = VOICE + "/samples/{sample_id}"


@router.post("/v1/voices/pvc", response_model=PvcVoiceResponse)
def create_voice(
    body: CreatePvcVoiceRequest, services: ServicesDependency, _key: KeyIdDependency
) -> PvcVoiceResponse:
    voice_id = services.professional.create(body.name, body.language, body.description, body.labels)
    return PvcVoiceResponse(voice_id=voice_id)


@router.post(VOICE, response_model=PvcVoiceResponse)
def edit_voice(
    voice_id: str,
    services: ServicesDependency,
    _key: KeyIdDependency,
    body: EditPvcVoiceRequest | None = None,
) -> PvcVoiceResponse:
    body = body or EditPvcVoiceRequest()
    services.professional.update(voice_id, body.name, body.language, body.description, body.labels)
    return PvcVoiceResponse(voice_id=voice_id)


@router.post(VOICE + "/samples", response_model=list[Sample])
async def add_samples(
    voice_id: str,
    services: ServicesDependency,
    _key: KeyIdDependency,
    files: Annotated[list[UploadFile] | None, File()] = None,
    remove_background_noise: Annotated[bool, Form()] = False,
) -> list[dict]:
    return await services.professional.add_samples(
        voice_id, await uploaded_samples(files), remove_background_noise
    )


@router.post(SAMPLE, response_model=PvcVoiceResponse)
def update_sample(
    voice_id: str,
    sample_id: str,
    services: ServicesDependency,
    _key: KeyIdDependency,
    body: UpdatePvcSampleRequest | None = None,
) -> PvcVoiceResponse:
    body = body or UpdatePvcSampleRequest()
    services.professional.update_sample(voice_id, sample_id, **body.model_dump())
    return PvcVoiceResponse(voice_id=voice_id)


@router.delete(SAMPLE, response_model=StatusResponse)
def delete_sample(
    voice_id: str, sample_id: str, services: ServicesDependency, _key: KeyIdDependency
) -> StatusResponse:
    services.professional.delete_sample(voice_id, sample_id)
    return StatusResponse()


@router.get(SAMPLE + "/audio", response_model=SamplePreview)
async def sample_audio(
    voice_id: str,
    sample_id: str,
    services: ServicesDependency,
    _key: KeyIdDependency,
    remove_background_noise: bool | None = None,
) -> SamplePreview:
    clip = await services.professional.sample_audio(voice_id, sample_id, remove_background_noise)
    return SamplePreview(voice_id=voice_id, sample_id=sample_id, **clip.__dict__)


@router.get(SAMPLE + "/waveform", response_model=SampleWaveform)
async def sample_waveform(
    voice_id: str, sample_id: str, services: ServicesDependency, _key: KeyIdDependency
) -> SampleWaveform:
    levels = await services.professional.waveform(voice_id, sample_id)
    return SampleWaveform(sample_id=sample_id, visual_waveform=levels)


@router.post(SAMPLE + "/separate-speakers", response_model=StatusResponse)
async def separate_speakers(
    voice_id: str, sample_id: str, services: ServicesDependency, _key: KeyIdDependency
) -> StatusResponse:
    services.professional.separate_speakers(voice_id, sample_id)
    return StatusResponse()


@router.get(SAMPLE + "/speakers", response_model=SpeakerSeparation)
def speakers(voice_id: str, sample_id: str, services: ServicesDependency, _key: KeyIdDependency) -> dict:
    return services.professional.speakers(voice_id, sample_id)


@router.get(SAMPLE + "/speakers/{speaker_id}/audio", response_model=SpeakerAudio)
async def speaker_audio(
    voice_id: str, sample_id: str, speaker_id: str, services: ServicesDependency, _key: KeyIdDependency
) -> SpeakerAudio:
    clip = await services.professional.speaker_audio(voice_id, sample_id, speaker_id)
    return SpeakerAudio(**clip.__dict__)


@router.get(VOICE + "/captcha")
def get_captcha(voice_id: str, services: ServicesDependency, _key: KeyIdDependency) -> JSONResponse:
    text, png = services.professional.captcha(voice_id)
    return JSONResponse(base64.b64encode(png).decode(), headers={CAPTCHA_TEXT_HEADER: text})


@router.post(VOICE + "/captcha", response_model=StatusResponse)
async def verify_captcha(
    voice_id: str,
    services: ServicesDependency,
    _key: KeyIdDependency,
    recording: Annotated[UploadFile, File()],
) -> StatusResponse:
    [upload] = await uploaded_samples([recording])
    await services.professional.verify_captcha(voice_id, upload)
    return StatusResponse()


@router.post(VOICE + "/verification", response_model=StatusResponse)
async def request_manual_verification(
    voice_id: str,
    services: ServicesDependency,
    _key: KeyIdDependency,
    files: Annotated[list[UploadFile] | None, File()] = None,
    extra_text: Annotated[str | None, Form()] = None,
) -> StatusResponse:
    services.professional.request_manual_verification(voice_id, await uploaded_samples(files), extra_text)
    return StatusResponse()


@router.post(VOICE + "/train", response_model=StatusResponse)
async def train(
    voice_id: str,
    services: ServicesDependency,
    _key: KeyIdDependency,
    body: TrainPvcVoiceRequest | None = None,
) -> StatusResponse:
    services.professional.train(voice_id, (body or TrainPvcVoiceRequest()).model_id)
    return StatusResponse()
