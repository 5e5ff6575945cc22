"""`/v1/voices`, `/v2/voices`: list, search, get, delete voices; instant cloning (add, edit, samples); voice
settings; previews."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.schemas.common import StatusResponse, VoiceSettings
from vocalis.schemas.voices import (
    AddVoiceResponse,
    GetVoicesResponse,
    GetVoicesV2Response,
    VerifiedVoiceLanguage,
    VoiceResponse,
)
from vocalis.store.voices import StoredVoiceSettings
from vocalis.voices.cloning import UploadedSample
from vocalis.voices.library import DEFAULT_SETTINGS, LibraryVoice
from vocalis.voices.previews import voice_preview
from vocalis.voices.search import VoiceQuery, search_voices

router = APIRouter(tags=["voices"])


def voice_response(
    request: Request, voice: LibraryVoice, settings: StoredVoiceSettings | None
) -> VoiceResponse:
    preview_url = str(request.url_for("get_voice_preview", voice_id=voice.voice_id))
    return VoiceResponse(
        voice_id=voice.voice_id,
        name=voice.name,
        category=voice.category,
        fine_tuning=voice.fine_tuning,
        voice_verification=voice.voice_verification,
        labels=voice.labels,
        description=voice.description,
        preview_url=preview_url,
        settings=VoiceSettings(**settings.__dict__) if settings else None,
        verified_languages=[
            VerifiedVoiceLanguage(
                language="en",
                model_id=model_id,
                accent=voice.labels.get("accent"),
                locale="en-US",
                preview_url=preview_url,
            )
            for model_id in ("eleven_multilingual_v2", "eleven_flash_v2_5")
        ],
        is_owner=voice.category != "premade",
        is_legacy=voice.is_legacy,
        created_at_unix=voice.created_at_unix,
        samples=voice.samples or None,
    )


@router.get("/v1/voices", response_model=GetVoicesResponse)
def list_voices(
    request: Request, services: ServicesDependency, _key: KeyIdDependency, show_legacy: bool | None = None
) -> GetVoicesResponse:
    voices = services.voices.all(include_legacy=show_legacy is not False)
    return GetVoicesResponse(
        voices=[voice_response(request, voice, services.voices.settings(voice.voice_id)) for voice in voices]
    )


@router.get("/v2/voices", response_model=GetVoicesV2Response)
def search(
    request: Request,
    services: ServicesDependency,
    _key: KeyIdDependency,
    next_page_token: str | None = None,
    page_size: int = 10,
    search: str | None = None,
    sort: str | None = None,
    sort_direction: str | None = None,
    voice_type: str | None = None,
    category: str | None = None,
    fine_tuning_state: str | None = None,
    collection_id: str | None = None,
    include_total_count: bool = True,
    voice_ids: Annotated[list[str] | None, Query()] = None,
    gender: str | None = None,
    age: str | None = None,
    accent: str | None = None,
    language: str | None = None,
    use_cases: Annotated[list[str] | None, Query()] = None,
) -> GetVoicesV2Response:
    voices = services.voices.all()
    if collection_id:
        voices = []  # collections do not exist on this server yet
    if fine_tuning_state:
        voices = [v for v in voices if v.fine_tuning and fine_tuning_state in v.fine_tuning["state"].values()]
    page = search_voices(
        voices,
        VoiceQuery(
            search=search,
            sort=sort,
            sort_direction=sort_direction,
            voice_type=voice_type,
            category=category,
            voice_ids=voice_ids,
            gender=gender,
            age=age,
            accent=accent,
            language=language,
            use_cases=use_cases,
            page_size=page_size,
            next_page_token=next_page_token,
        ),
    )
    return GetVoicesV2Response(
        voices=[
            voice_response(request, voice, services.voices.settings(voice.voice_id)) for voice in page.voices
        ],
        has_more=page.next_page_token is not None,
        total_count=page.total_count,
        next_page_token=page.next_page_token,
    )


@router.get("/v1/voices/settings/default", response_model=VoiceSettings)
def default_settings() -> VoiceSettings:
    return VoiceSettings(**DEFAULT_SETTINGS.__dict__)


@router.get("/v1/voices/{voice_id}", response_model=VoiceResponse)
def get_voice(
    voice_id: str,
    request: Request,
    services: ServicesDependency,
    _key: KeyIdDependency,
    with_settings: bool = True,
) -> VoiceResponse:
    voice = services.voices.get(voice_id)
    return voice_response(request, voice, services.voices.settings(voice_id))


@router.delete("/v1/voices/{voice_id}", response_model=StatusResponse)
def delete_voice(voice_id: str, services: ServicesDependency, _key: KeyIdDependency) -> StatusResponse:
    services.voices.delete(voice_id)
    return StatusResponse()


@router.get("/v1/voices/{voice_id}/settings", response_model=VoiceSettings)
def get_voice_settings(voice_id: str, services: ServicesDependency, _key: KeyIdDependency) -> VoiceSettings:
    return VoiceSettings(**services.voices.settings(voice_id).__dict__)


@router.post("/v1/voices/{voice_id}/settings/edit", response_model=StatusResponse)
def edit_voice_settings(
    voice_id: str, body: VoiceSettings, services: ServicesDependency, _key: KeyIdDependency
) -> StatusResponse:
    current = services.voices.settings(voice_id)
    for name, value in body.model_dump(exclude_none=True).items():
        setattr(current, name, value)
    services.voices.save_settings(voice_id, current)
    return StatusResponse()


@router.get("/v1/voices/{voice_id}/preview", name="get_voice_preview", response_class=Response)
async def get_voice_preview(voice_id: str, services: ServicesDependency) -> Response:
    """Public (no key), like ElevenLabs' preview URLs, so audio players can fetch it directly."""
    audio = await voice_preview(services.speech, services.blobs, voice_id)
    return Response(audio, media_type="audio/mpeg", headers={"cache-control": "public, max-age=86400"})


async def uploaded_samples(files: list[UploadFile] | None) -> list[UploadedSample]:
    return [
        UploadedSample(file.filename or f"sample-{index + 1}", file.content_type, await file.read())
        for index, file in enumerate(files or [])
    ]


@router.post("/v1/voices/add", response_model=AddVoiceResponse)
async def add_voice(
    services: ServicesDependency,
    _key: KeyIdDependency,
    name: Annotated[str, Form()],
    files: Annotated[list[UploadFile] | None, File()] = None,
    remove_background_noise: Annotated[bool, Form()] = False,
    description: Annotated[str | None, Form()] = None,
    labels: Annotated[str | None, Form()] = None,
) -> AddVoiceResponse:
    voice_id = await services.cloning.add(
        name, await uploaded_samples(files), description, labels, remove_background_noise
    )
    return AddVoiceResponse(voice_id=voice_id)


@router.post("/v1/voices/{voice_id}/edit", response_model=StatusResponse)
async def edit_voice(
    voice_id: str,
    services: ServicesDependency,
    _key: KeyIdDependency,
    name: Annotated[str, Form()],
    files: Annotated[list[UploadFile] | None, File()] = None,
    remove_background_noise: Annotated[bool, Form()] = False,
    description: Annotated[str | None, Form()] = None,
    labels: Annotated[str | None, Form()] = None,
) -> StatusResponse:
    await services.cloning.edit(
        voice_id, name, await uploaded_samples(files), description, labels, remove_background_noise
    )
    return StatusResponse()


@router.get("/v1/voices/{voice_id}/samples/{sample_id}/audio", response_class=Response)
def get_sample_audio(
    voice_id: str, sample_id: str, services: ServicesDependency, _key: KeyIdDependency
) -> Response:
    audio, media_type = services.cloning.sample_audio(voice_id, sample_id)
    return Response(audio, media_type=media_type)


@router.delete("/v1/voices/{voice_id}/samples/{sample_id}", response_model=StatusResponse)
async def delete_sample(
    voice_id: str, sample_id: str, services: ServicesDependency, _key: KeyIdDependency
) -> StatusResponse:
    await services.cloning.delete_sample(voice_id, sample_id)
    return StatusResponse()
