"""Search, filter, sort and page the voice library the way `GET /v2/voices` does."""

from __future__ import annotations

from dataclasses import dataclass

from vocalis.errors import InvalidRequest
from vocalis.voices.library import LibraryVoice

VOICE_TYPES = {"personal", "community", "default", "workspace", "non-default", "saved"}
SORTS = {"created_at_unix", "name"}


@dataclass
class VoiceQuery:
    search: str | None = None
    sort: str | None = None
    sort_direction: str | None = None
    voice_type: str | None = None
    category: str | None = None
    voice_ids: list[str] | None = None
    gender: str | None = None
    age: str | None = None
    accent: str | None = None
    language: str | None = None
    use_cases: list[str] | None = None
    page_size: int = 10
    next_page_token: str | None = None


@dataclass
class VoicePage:
    voices: list[LibraryVoice]
    total_count: int
    next_page_token: str | None


def _matches(voice: LibraryVoice, needle: str) -> bool:
    haystack = " ".join([voice.name, voice.description or "", voice.voice_id, *voice.labels.values()])
    return needle.lower() in haystack.lower()


def _of_type(voice: LibraryVoice, voice_type: str) -> bool:
    is_default = voice.category == "premade"
    if voice_type == "default":
        return is_default
    if voice_type in {"personal", "non-default", "saved", "workspace"}:
        return not is_default
    return False  # "community": the shared library is not part of a self-hosted server


def search_voices(voices: list[LibraryVoice], query: VoiceQuery) -> VoicePage:
    if not 1 <= query.page_size <= 100:
        raise InvalidRequest("page_size must be between 1 and 100.", code="invalid_parameters")
    if query.sort is not None and query.sort not in SORTS:
        raise InvalidRequest(f"sort must be one of {sorted(SORTS)}.", code="invalid_parameters")
    if query.sort_direction is not None and query.sort_direction not in {"asc", "desc"}:
        raise InvalidRequest("sort_direction must be 'asc' or 'desc'.", code="invalid_parameters")
    if query.voice_type is not None and query.voice_type not in VOICE_TYPES:
        raise InvalidRequest(f"voice_type must be one of {sorted(VOICE_TYPES)}.", code="invalid_parameters")
    selected = voices
    if query.search:
        selected = [voice for voice in selected if _matches(voice, query.search)]
    if query.voice_type:
        selected = [voice for voice in selected if _of_type(voice, query.voice_type)]
    if query.category:
        selected = [voice for voice in selected if voice.category == query.category]
    for label in ("gender", "age", "accent"):
        wanted_label = getattr(query, label)
        if wanted_label:
            selected = [
                voice for voice in selected if voice.labels.get(label, "").lower() == wanted_label.lower()
            ]
    if query.use_cases:
        use_cases = {use_case.lower() for use_case in query.use_cases}
        selected = [voice for voice in selected if voice.labels.get("use_case", "").lower() in use_cases]
    if query.language:
        selected = [voice for voice in selected if query.language.lower() in voice.languages]
    if query.voice_ids:
        wanted = set(query.voice_ids)
        selected = [voice for voice in selected if voice.voice_id in wanted]
    if query.sort == "name":
        selected = sorted(selected, key=lambda voice: voice.name.lower())
    elif query.sort == "created_at_unix":
        selected = sorted(selected, key=lambda voice: voice.created_at_unix or 0)
    if query.sort_direction == "desc" or (query.sort == "created_at_unix" and query.sort_direction is None):
        selected = list(reversed(selected))
    try:
        offset = int(query.next_page_token or 0)
    except ValueError:
        raise InvalidRequest("next_page_token is not valid.", code="invalid_parameters") from None
    page = selected[offset : offset + query.page_size]
    next_offset = offset + len(page)
    return VoicePage(page, len(selected), str(next_offset) if next_offset < len(selected) else None)
