"""Pronunciation dictionaries: made from a PLS file or from rules; every change of rules is a new version
(as ElevenLabs does, so a TTS request pinned to a version always sounds the same); listed, renamed, archived,
downloaded per version as PLS; and turned into the lexicon a TTS request's locators ask for.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vocalis.errors import InvalidRequest, NotFound, VocalisError
from vocalis.pronunciation import pls
from vocalis.pronunciation.lexicon import Lexicon
from vocalis.pronunciation.rules import Rule
from vocalis.store.pronunciation_dictionaries import (
    ConcurrentChange,
    PronunciationDictionaryRepository,
    StoredDictionary,
)

MAX_PLS_BYTES = 2 << 20
MAX_RULES = 10_000
MAX_LOCATORS = 3  # ElevenLabs: up to three dictionaries per request
MAX_PAGE_SIZE = 100
SORTS = {"creation_time_unix": "created_at_ms", "name": "name"}
_DIRECTIONS = {"ascending": False, "asc": False, "descending": True, "desc": True}
_CACHED_LEXICONS = 64


@dataclass(frozen=True)
class Locator:
    """A TTS request's reference to a dictionary; no version means its latest."""

    pronunciation_dictionary_id: str
    version_id: str | None = None


@dataclass
class Page:
    dictionaries: list[StoredDictionary]
    next_cursor: str | None
    has_more: bool


def _checked_count(rules: Sequence[object]) -> None:
    if len(rules) > MAX_RULES:
        raise InvalidRequest(
            f"A pronunciation dictionary holds at most {MAX_RULES} rules; this one would have {len(rules)}.",
            code="too_many_rules",
        )


def _encode_cursor(value: object, dictionary_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([value, dictionary_id]).encode()).decode()


def _decode_cursor(cursor: str, sort: str) -> tuple[object, str]:
    try:
        value, dictionary_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if isinstance(dictionary_id, str) and isinstance(value, str if sort == "name" else int):
            return value, dictionary_id
    except (ValueError, TypeError):
        pass
    raise InvalidRequest(
        "cursor is not one this server returned for this sort order.", code="invalid_parameters"
    )


class PronunciationDictionaries:
    def __init__(self, repository: PronunciationDictionaryRepository):
        self.repository = repository
        self._lexicons: OrderedDict[tuple[tuple[str, str], ...], Lexicon] = OrderedDict()
        self._lock = threading.Lock()

    # Dictionaries ------------------------------------------------------------------------------------
    def create(
        self,
        *,
        name: str,
        description: str | None,
        workspace_access: str | None,
        rules: Sequence[Rule],
        created_by: str,
    ) -> StoredDictionary:
        if not name.strip():
            raise InvalidRequest("name must not be empty.", code="invalid_parameters")
        _checked_count(rules)
        return self.repository.create(
            name=name.strip(),
            description=description,
            workspace_access=workspace_access,
            created_by=created_by,
            rules=[rule.to_json() for rule in rules],
        )

    def create_from_pls(
        self,
        *,
        name: str,
        description: str | None,
        workspace_access: str | None,
        data: bytes | None,
        created_by: str,
    ) -> StoredDictionary:
        """A dictionary from a PLS lexicon file (none: an empty dictionary to add rules to)."""
        if data is not None and len(data) > MAX_PLS_BYTES:
            raise InvalidRequest(
                f"The lexicon file is larger than {MAX_PLS_BYTES >> 20} MB.", code="file_too_large"
            )
        rules = pls.parse(data) if data else []
        return self.create(
            name=name,
            description=description,
            workspace_access=workspace_access,
            rules=rules,
            created_by=created_by,
        )

    def get(self, dictionary_id: str) -> StoredDictionary:
        stored = self.repository.get(dictionary_id)
        if stored is None:
            raise NotFound(
                f"Pronunciation dictionary {dictionary_id!r} was not found.",
                code="pronunciation_dictionary_not_found",
            )
        return stored

    def update(self, dictionary_id: str, *, name: str | None, archived: bool | None) -> StoredDictionary:
        """Rename or (un)archive; the version stays the same."""
        if name is not None and not name.strip():
            raise InvalidRequest("name must not be empty.", code="invalid_parameters")
        stored = self.repository.update(
            dictionary_id, name=name.strip() if name is not None else None, archived=archived
        )
        return stored if stored is not None else self.get(dictionary_id)

    def page(
        self,
        *,
        page_size: int,
        cursor: str | None,
        sort: str | None,
        sort_direction: str | None,
        include_archived: bool,
    ) -> Page:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidRequest(
                f"page_size must be between 1 and {MAX_PAGE_SIZE}.", code="invalid_parameters"
            )
        sort = sort or "creation_time_unix"
        if sort not in SORTS:
            raise InvalidRequest("sort must be 'creation_time_unix' or 'name'.", code="invalid_parameters")
        descending = _DIRECTIONS.get((sort_direction or "descending").lower())
        if descending is None:
            raise InvalidRequest(
                "sort_direction must be 'ascending' or 'descending'.", code="invalid_parameters"
            )
        items, has_more = self.repository.page(
            page_size=page_size,
            sort=SORTS[sort],
            descending=descending,
            include_archived=include_archived,
            after=_decode_cursor(cursor, sort) if cursor else None,
        )
        next_cursor = None
        if has_more:
            last = items[-1].dictionary
            next_cursor = _encode_cursor(
                last.name if sort == "name" else last.created_at_ms, last.dictionary_id
            )
        return Page(items, next_cursor, has_more)

    # Rules -------------------------------------------------------------------------------------------
    def _change(self, dictionary_id: str, change: Callable[[list[dict]], list[dict]]) -> StoredDictionary:
        try:
            stored = self.repository.change_rules(dictionary_id, change)
        except ConcurrentChange:
            raise VocalisError(
                "The dictionary is being changed by other requests; try again.",
                code="conflict",
                http_status=409,
            ) from None
        return stored if stored is not None else self.get(dictionary_id)

    def add_rules(self, dictionary_id: str, rules: Sequence[Rule]) -> StoredDictionary:
        """Add rules; one for a string the dictionary already has replaces that rule where it stands (a
        duplicate further down would never apply: the first matching rule wins)."""

        def change(current: list[dict]) -> list[dict]:
            updated = list(current)
            positions = {rule["string_to_replace"]: index for index, rule in enumerate(updated)}
            for rule in rules:
                if rule.string_to_replace in positions:
                    updated[positions[rule.string_to_replace]] = rule.to_json()
                else:
                    positions[rule.string_to_replace] = len(updated)
                    updated.append(rule.to_json())
            _checked_count(updated)
            return updated

        return self._change(dictionary_id, change)

    def remove_rules(self, dictionary_id: str, rule_strings: Sequence[str]) -> StoredDictionary:
        """Remove the rules for these strings (exact, case-sensitive); strings without a rule are ignored."""
        removed = {" ".join(string.split()) for string in rule_strings}
        return self._change(
            dictionary_id,
            lambda current: [rule for rule in current if rule["string_to_replace"] not in removed],
        )

    def set_rules(self, dictionary_id: str, rules: Sequence[Rule]) -> StoredDictionary:
        _checked_count(rules)
        return self._change(dictionary_id, lambda _current: [rule.to_json() for rule in rules])

    def download(self, dictionary_id: str, version_id: str) -> bytes:
        """The PLS file of one version."""
        self.get(dictionary_id)
        version = self.repository.version(dictionary_id, version_id)
        if version is None:
            raise NotFound(
                f"Pronunciation dictionary {dictionary_id!r} has no version {version_id!r}.",
                code="pronunciation_dictionary_version_not_found",
            )
        return pls.serialize([Rule.from_json(rule) for rule in version.rules])

    # Text to speech ----------------------------------------------------------------------------------
    def lexicon(self, locators: Sequence[Locator]) -> Lexicon | None:
        """The rules of the located dictionary versions as one lexicon, in locator order (None for none).

        Versions never change, so compiled lexicons are kept for the next request that names the same ones.
        InvalidRequest (400) for more than three locators or a dictionary or version that does not exist.
        """
        if not locators:
            return None
        if len(locators) > MAX_LOCATORS:
            raise InvalidRequest(
                f"At most {MAX_LOCATORS} pronunciation dictionaries can be used in one request, not "
                f"{len(locators)}.",
                code="too_many_pronunciation_dictionaries",
            )
        versions = tuple(self._located_version(locator) for locator in locators)
        with self._lock:
            lexicon = self._lexicons.get(versions)
            if lexicon is not None:
                self._lexicons.move_to_end(versions)
                return lexicon
        rules = []
        for dictionary_id, version_id in versions:
            version = self.repository.version(dictionary_id, version_id)
            rules += [Rule.from_json(rule) for rule in version.rules] if version is not None else []
        lexicon = Lexicon(rules)
        with self._lock:
            self._lexicons[versions] = lexicon
            while len(self._lexicons) > _CACHED_LEXICONS:
                self._lexicons.popitem(last=False)
        return lexicon

    def _located_version(self, locator: Locator) -> tuple[str, str]:
        dictionary_id = locator.pronunciation_dictionary_id
        dictionary = self.repository.dictionary(dictionary_id)
        if dictionary is None:
            raise InvalidRequest(
                f"Pronunciation dictionary {dictionary_id!r} was not found.",
                code="pronunciation_dictionary_not_found",
            )
        version_id = locator.version_id or dictionary.latest_version_id
        if version_id != dictionary.latest_version_id and not self.repository.has_version(
            dictionary_id, version_id
        ):
            raise InvalidRequest(
                f"Pronunciation dictionary {dictionary_id!r} has no version {version_id!r}.",
                code="pronunciation_dictionary_version_not_found",
            )
        return dictionary_id, version_id
