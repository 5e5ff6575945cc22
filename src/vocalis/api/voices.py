"""`/v1/voices`, `/v2/voices`: list, search, get, delete voices; instant cloning (add, edit, samples); voice
settings; previews; `/v1/similar-voices`."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from vocalis.accounts.identity import user_id
from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.schemas.common import StatusResponse, VoiceSettings
from vocalis.schemas.voices import (
    AddVoiceResponse,
    GetLibraryVoicesResponse,
    GetVoicesResponse,
    GetVoicesV2Response,
    LibraryVoiceResponse,
    VerifiedVoiceLanguage,
    VoiceResponse,
)
from vocalis.store.voices import StoredVoiceSettings
from vocalis.voices.cloning import UploadedSample
from vocalis.voices.library import DEFAULT_SETTINGS, LibraryVoice
from vocalis.voices.previews import voice_preview
from vocalis.voices.search import VoiceQuery, search_voices

router = APIRouter(tags=["voices"])
# The owner of the premade voices in the library's `public_owner_id`: the server's own set, not the user.
PREMADE_OWNER_ID = hashlib.sha256(b"vocalis premade voices").hexdigest()


def verified_languages(voice: LibraryVoice, preview_url: str) -> list[VerifiedVoiceLanguage]:
    return [
        VerifiedVoiceLanguage(
            language="en",
            model_id=model_id,
            accent=voice.labels.get("accent"),
            locale="en-US",
            preview_url=preview_url,
        )
        for model_id in ("eleven_multilingual_v2", "eleven_flash_v2_5")
    ]


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
        verified_languages=verified_languages(voice, preview_url),
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


def library_voice_response(request: Request, voice: LibraryVoice, owner_id: str) -> LibraryVoiceResponse:
    """The voice as a shared-library voice; usage figures are zero (nothing is shared or counted here)."""
    preview_url = str(request.url_for("get_voice_preview", voice_id=voice.voice_id))
    labels = voice.labels
    is_premade = voice.category == "premade"
    return LibraryVoiceResponse(
        public_owner_id=PREMADE_OWNER_ID if is_premade else owner_id,
        voice_id=voice.voice_id,
        date_unix=voice.created_at_unix or 0,
        name=voice.name,
        accent=labels.get("accent", ""),
        gender=labels.get("gender", ""),
        age=labels.get("age", ""),
        descriptive=labels.get("descriptive", labels.get("description", "")),
        use_case=labels.get("use_case", ""),
        category=voice.category,
        language="en",
        locale="en-US",
        description=voice.description,
        preview_url=preview_url,
        verified_languages=verified_languages(voice, preview_url),
        is_added_by_user=not is_premade,
    )


@router.post("/v1/similar-voices", response_model=GetLibraryVoicesResponse)
async def find_similar_voices(
    request: Request,
    response: Response,
    services: ServicesDependency,
    _key: KeyIdDependency,
    audio_file: Annotated[UploadFile | None, File()] = None,
    similarity_threshold: Annotated[float | None, Form()] = None,
    top_k: Annotated[int | None, Form()] = None,
) -> GetLibraryVoicesResponse:
    upload = (await uploaded_samples([audio_file]))[0] if audio_file is not None else None
    found = await services.similar_voices.find(upload, similarity_threshold, top_k)
    # Each returned voice's distance (1 - cosine similarity, the similarity_threshold scale), in order.
    response.headers["x-vocalis-distances"] = ",".join(f"{match.distance:.4f}" for match in found.voices)
    owner_id = user_id(services.settings.home_dir)
    return GetLibraryVoicesResponse(
        voices=[library_voice_response(request, match.voice, owner_id) for match in found.voices],
        has_more=found.total_count > len(found.voices),
        total_count=found.total_count,
    )
