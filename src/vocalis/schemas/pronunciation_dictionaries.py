"""Bodies and responses of `/v1/pronunciation-dictionaries`, field names as in ElevenLabs' API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

WorkspaceAccess = Literal["admin", "editor", "viewer"]


class AliasRuleRequest(BaseModel):
    type: Literal["alias"]
    string_to_replace: str
    alias: str
    case_sensitive: bool | None = None
    word_boundaries: bool | None = None


class PhonemeRuleRequest(BaseModel):
    type: Literal["phoneme"]
    string_to_replace: str
    phoneme: str
    alphabet: str
    case_sensitive: bool | None = None
    word_boundaries: bool | None = None


RuleRequest = Annotated[AliasRuleRequest | PhonemeRuleRequest, Field(discriminator="type")]


class AddFromRulesRequest(BaseModel):
    rules: list[RuleRequest]
    name: str
    description: str | None = None
    workspace_access: WorkspaceAccess | None = None


class RulesRequest(BaseModel):
    rules: list[RuleRequest]


class RemoveRulesRequest(BaseModel):
    rule_strings: list[str]


class UpdateDictionaryRequest(BaseModel):
    archived: bool | None = None
    name: str | None = None


class AddPronunciationDictionaryResponse(BaseModel):
    id: str
    name: str
    created_by: str
    creation_time_unix: int
    version_id: str
    version_rules_num: int
    description: str | None = None
    permission_on_resource: WorkspaceAccess | None = "admin"


class PronunciationDictionaryMetadata(BaseModel):
    id: str
    latest_version_id: str
    latest_version_rules_num: int
    name: str
    permission_on_resource: WorkspaceAccess | None = "admin"
    created_by: str
    creation_time_unix: int
    archived_time_unix: int | None = None
    description: str | None = None


class RuleResponse(BaseModel):
    type: Literal["alias", "phoneme"]
    string_to_replace: str
    alias: str | None = None
    phoneme: str | None = None
    alphabet: str | None = None
    case_sensitive: bool | None = None
    word_boundaries: bool | None = None


class PronunciationDictionaryWithRules(PronunciationDictionaryMetadata):
    rules: list[RuleResponse]


class PronunciationDictionariesPage(BaseModel):
    pronunciation_dictionaries: list[PronunciationDictionaryMetadata]
    next_cursor: str | None = None
    has_more: bool


class PronunciationDictionaryRulesResponse(BaseModel):
    id: str
    version_id: str
    version_rules_num: int
