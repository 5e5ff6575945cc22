"""`/v1/history`: list, get, delete and download past generations."""

from __future__ import annotations

import io
import zipfile

from fastapi import APIRouter
from fastapi.responses import Response

from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.audio import OutputFormat, decode, encode, extra_format, parse_output_format, stored_format
from vocalis.errors import InvalidRequest, NotFound
from vocalis.schemas.account import HistoryDownloadRequest, HistoryItemResponse, HistoryListResponse
from vocalis.schemas.common import StatusResponse
from vocalis.services import Services
from vocalis.store.tables import HistoryItem

router = APIRouter(prefix="/v1/history", tags=["history"])


def _item_response(item: HistoryItem) -> HistoryItemResponse:
    response = HistoryItemResponse.model_validate(item, from_attributes=True)
    # A dialogue's lines are in `dialogue`; ElevenLabs leaves the top-level text empty then.
    return response.model_copy(update={"text": None}) if item.dialogue else response


def _get(services: Services, history_item_id: str) -> HistoryItem:
    item = services.history.get(history_item_id)
    if item is None:
        raise NotFound(f"History item {history_item_id!r} was not found.", code="history_item_not_found")
    return item


@router.get("", response_model=HistoryListResponse)
def list_history(
    services: ServicesDependency,
    _key: KeyIdDependency,
    page_size: int = 100,
    start_after_history_item_id: str | None = None,
    voice_id: str | None = None,
    model_id: str | None = None,
    date_before_unix: int | None = None,
    date_after_unix: int | None = None,
    sort_direction: str = "desc",
    search: str | None = None,
    source: str | None = None,
) -> HistoryListResponse:
    if not 1 <= page_size <= 1000:
        raise InvalidRequest("page_size must be between 1 and 1000.", code="invalid_parameters")
    if sort_direction not in {"asc", "desc"}:
        raise InvalidRequest("sort_direction must be 'asc' or 'desc'.", code="invalid_parameters")
    if source is not None and source not in {"TTS", "STS"}:
        raise InvalidRequest("source must be 'TTS' or 'STS'.", code="invalid_parameters")
    items, has_more = services.history.list(
        page_size=page_size,
        start_after_history_item_id=start_after_history_item_id,
        voice_id=voice_id,
        model_id=model_id,
        date_before_unix=date_before_unix,
        date_after_unix=date_after_unix,
        sort_direction=sort_direction,
        search=search,
        source=source,
    )
    return HistoryListResponse(
        history=[_item_response(item) for item in items],
        last_history_item_id=items[-1].history_item_id if items else None,
        has_more=has_more,
    )


@router.get("/{history_item_id}", response_model=HistoryItemResponse)
def get_history_item(history_item_id: str, services: ServicesDependency, _key: KeyIdDependency):
    return _item_response(_get(services, history_item_id))


@router.delete("/{history_item_id}", response_model=StatusResponse)
def delete_history_item(history_item_id: str, services: ServicesDependency, _key: KeyIdDependency):
    if not services.history.delete(history_item_id):
        raise NotFound(f"History item {history_item_id!r} was not found.", code="history_item_not_found")
    return StatusResponse()


@router.get("/{history_item_id}/audio", response_class=Response)
def get_history_audio(history_item_id: str, services: ServicesDependency, _key: KeyIdDependency) -> Response:
    item = _get(services, history_item_id)
    return Response(services.history.audio(item), media_type=item.content_type)


def _download_format(name: str | None) -> OutputFormat | None:
    if name is None:
        return None
    try:
        return extra_format("wav", 44100) if name == "wav" else parse_output_format(name)
    except ValueError as error:
        raise InvalidRequest(str(error), code="invalid_output_format") from error


def _converted(services: Services, item: HistoryItem, fmt: OutputFormat | None) -> tuple[bytes, str, str]:
    """(audio, media type, file extension) of an item, re-encoded when another format is asked for."""
    audio = services.history.audio(item)
    original = stored_format(item.output_format)
    if fmt is None or fmt.name == original.name:
        return audio, original.media_type, original.extension
    if original.codec in {"pcm", "ulaw", "alaw"}:
        raise InvalidRequest(
            f"History item {item.history_item_id} is headerless {original.name} audio and can only be "
            "downloaded as it is.",
            code="invalid_output_format",
        )
    decoded = decode(audio)
    return encode(decoded.samples, decoded.sample_rate, fmt), fmt.media_type, fmt.extension


@router.post("/download", response_class=Response)
def download_history(
    body: HistoryDownloadRequest, services: ServicesDependency, _key: KeyIdDependency
) -> Response:
    fmt = _download_format(body.output_format)
    items = [_get(services, history_item_id) for history_item_id in body.history_item_ids]
    if len(items) == 1:
        audio, media_type, extension = _converted(services, items[0], fmt)
        filename = f"{items[0].history_item_id}.{extension}"
        return Response(
            audio,
            media_type=media_type,
            headers={"content-disposition": f'attachment; filename="{filename}"'},
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for item in items:
            audio, _media_type, extension = _converted(services, item, fmt)
            archive.writestr(f"{item.history_item_id}.{extension}", audio)
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"content-disposition": 'attachment; filename="history.zip"'},
    )
