"""`/v1/pronunciation-dictionaries`: create from a PLS file or rules, add/remove/set rules (each change a new
version), list, get, rename or archive, download a version as PLS."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response

from vocalis.accounts.identity import user_id
from vocalis.api.dependencies import KeyIdDependency, ServicesDependency
from vocalis.pronunciation.dictionaries import MAX_PLS_BYTES
from vocalis.pronunciation.rules import Rule, make_rule
from vocalis.schemas.pronunciation_dictionaries import (
    AddFromRulesRequest,
    AddPronunciationDictionaryResponse,
    PronunciationDictionariesPage,
    PronunciationDictionaryMetadata,
    PronunciationDictionaryRulesResponse,
    PronunciationDictionaryWithRules,
    RemoveRulesRequest,
    RuleRequest,
    RulesRequest,
    UpdateDictionaryRequest,
    WorkspaceAccess,
)
from vocalis.store.pronunciation_dictionaries import StoredDictionary

router = APIRouter(prefix="/v1/pronunciation-dictionaries", tags=["pronunciation dictionaries"])


def _rules(requested: list[RuleRequest]) -> list[Rule]:
    return [make_rule(**rule.model_dump()) for rule in requested]


def _created(stored: StoredDictionary) -> AddPronunciationDictionaryResponse:
    dictionary = stored.dictionary
    return AddPronunciationDictionaryResponse(
        id=dictionary.dictionary_id,
        name=dictionary.name,
        created_by=dictionary.created_by,
        creation_time_unix=dictionary.created_at_ms // 1000,
        version_id=stored.latest.version_id,
        version_rules_num=stored.latest.rules_num,
        description=dictionary.description,
    )


def _metadata(stored: StoredDictionary) -> PronunciationDictionaryMetadata:
    dictionary = stored.dictionary
    return PronunciationDictionaryMetadata(
        id=dictionary.dictionary_id,
        latest_version_id=stored.latest.version_id,
        latest_version_rules_num=stored.latest.rules_num,
        name=dictionary.name,
        created_by=dictionary.created_by,
        creation_time_unix=dictionary.created_at_ms // 1000,
        archived_time_unix=dictionary.archived_at_unix,
        description=dictionary.description,
    )


def _version(stored: StoredDictionary) -> PronunciationDictionaryRulesResponse:
    return PronunciationDictionaryRulesResponse(
        id=stored.dictionary.dictionary_id,
        version_id=stored.latest.version_id,
        version_rules_num=stored.latest.rules_num,
    )


@router.post("/add-from-file", response_model=AddPronunciationDictionaryResponse)
async def add_from_file(
    services: ServicesDependency,
    _key: KeyIdDependency,
    name: Annotated[str, Form()],
    file: Annotated[UploadFile | None, File()] = None,
    description: Annotated[str | None, Form()] = None,
    workspace_access: Annotated[WorkspaceAccess | None, Form()] = None,
) -> AddPronunciationDictionaryResponse:
    # One byte past the limit is enough to tell a file is too large without reading all of it.
    data = await file.read(MAX_PLS_BYTES + 1) if file is not None else None
    stored = services.pronunciation_dictionaries.create_from_pls(
        name=name,
        description=description,
        workspace_access=workspace_access,
        data=data,
        created_by=user_id(services.settings.home_dir),
    )
    return _created(stored)


@router.post("/add-from-rules", response_model=AddPronunciationDictionaryResponse)
def add_from_rules(
    body: AddFromRulesRequest, services: ServicesDependency, _key: KeyIdDependency
) -> AddPronunciationDictionaryResponse:
    stored = services.pronunciation_dictionaries.create(
        name=body.name,
        description=body.description,
        workspace_access=body.workspace_access,
        rules=_rules(body.rules),
        created_by=user_id(services.settings.home_dir),
    )
    return _created(stored)


@router.post("/{pronunciation_dictionary_id}/add-rules", response_model=PronunciationDictionaryRulesResponse)
def add_rules(
    pronunciation_dictionary_id: str, body: RulesRequest, services: ServicesDependency, _key: KeyIdDependency
) -> PronunciationDictionaryRulesResponse:
    return _version(
        services.pronunciation_dictionaries.add_rules(pronunciation_dictionary_id, _rules(body.rules))
    )


@router.post(
    "/{pronunciation_dictionary_id}/remove-rules", response_model=PronunciationDictionaryRulesResponse
)
def remove_rules(
    pronunciation_dictionary_id: str,
    body: RemoveRulesRequest,
    services: ServicesDependency,
    _key: KeyIdDependency,
) -> PronunciationDictionaryRulesResponse:
    return _version(
        services.pronunciation_dictionaries.remove_rules(pronunciation_dictionary_id, body.rule_strings)
    )


@router.post("/{pronunciation_dictionary_id}/set-rules", response_model=PronunciationDictionaryRulesResponse)
def set_rules(
    pronunciation_dictionary_id: str, body: RulesRequest, services: ServicesDependency, _key: KeyIdDependency
) -> PronunciationDictionaryRulesResponse:
    return _version(
        services.pronunciation_dictionaries.set_rules(pronunciation_dictionary_id, _rules(body.rules))
    )


@router.get("", response_model=PronunciationDictionariesPage)
def list_dictionaries(
    services: ServicesDependency,
    _key: KeyIdDependency,
    cursor: str | None = None,
    page_size: int = 30,
    sort: str | None = None,
    sort_direction: str | None = None,
    include_archived: bool = False,
) -> PronunciationDictionariesPage:
    page = services.pronunciation_dictionaries.page(
        page_size=page_size,
        cursor=cursor,
        sort=sort,
        sort_direction=sort_direction,
        include_archived=include_archived,
    )
    return PronunciationDictionariesPage(
        pronunciation_dictionaries=[_metadata(stored) for stored in page.dictionaries],
        next_cursor=page.next_cursor,
        has_more=page.has_more,
    )


@router.get(
    "/{pronunciation_dictionary_id}",
    response_model=PronunciationDictionaryWithRules,
    response_model_exclude_none=True,
)
def get_dictionary(
    pronunciation_dictionary_id: str, services: ServicesDependency, _key: KeyIdDependency
) -> PronunciationDictionaryWithRules:
    stored = services.pronunciation_dictionaries.get(pronunciation_dictionary_id)
    return PronunciationDictionaryWithRules(**_metadata(stored).model_dump(), rules=stored.latest.rules)


@router.patch("/{pronunciation_dictionary_id}", response_model=PronunciationDictionaryMetadata)
def update_dictionary(
    pronunciation_dictionary_id: str,
    body: UpdateDictionaryRequest,
    services: ServicesDependency,
    _key: KeyIdDependency,
) -> PronunciationDictionaryMetadata:
    stored = services.pronunciation_dictionaries.update(
        pronunciation_dictionary_id, name=body.name, archived=body.archived
    )
    return _metadata(stored)


@router.get("/{dictionary_id}/{version_id}/download", response_class=Response)
def download(
    dictionary_id: str, version_id: str, services: ServicesDependency, _key: KeyIdDependency
) -> Response:
    """The PLS file of one version (`text/plain`, as ElevenLabs' API declares it)."""
    lexicon = services.pronunciation_dictionaries.download(dictionary_id, version_id)
    return Response(
        lexicon,
        media_type="text/plain; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{dictionary_id}_{version_id}.pls"'},
    )
