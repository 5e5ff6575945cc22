"""Pronunciation dictionaries and their immutable rule versions."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select, update

from vocalis.store.database import Database
from vocalis.store.ids import new_id
from vocalis.store.tables import PronunciationDictionary, PronunciationDictionaryVersion

Rules = list[dict[str, Any]]
# Two writers changing the rules of one dictionary at once: the loser reads the winner's version and retries.
_MAX_ATTEMPTS = 20


@dataclass
class StoredDictionary:
    """A dictionary with its latest version."""

    dictionary: PronunciationDictionary
    latest: PronunciationDictionaryVersion


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class ConcurrentChange(Exception):
    """The dictionary kept changing under a rule update; the caller may try again."""


class PronunciationDictionaryRepository:
    def __init__(self, database: Database):
        self.database = database

    def create(
        self,
        *,
        name: str,
        description: str | None,
        workspace_access: str | None,
        created_by: str,
        rules: Rules,
    ) -> StoredDictionary:
        now = _now_ms()
        dictionary_id, version_id = new_id(), new_id()
        version = PronunciationDictionaryVersion(
            version_id=version_id,
            dictionary_id=dictionary_id,
            created_at_ms=now,
            rules=rules,
            rules_num=len(rules),
        )
        dictionary = PronunciationDictionary(
            dictionary_id=dictionary_id,
            name=name,
            description=description,
            created_by=created_by,
            created_at_ms=now,
            archived_at_unix=None,
            workspace_access=workspace_access,
            latest_version_id=version_id,
        )
        with self.database.session() as session:
            session.add(dictionary)
            session.flush()  # the dictionary row first: the version refers to it
            session.add(version)
        return StoredDictionary(dictionary, version)

    def get(self, dictionary_id: str) -> StoredDictionary | None:
        with self.database.session() as session:
            dictionary = session.get(PronunciationDictionary, dictionary_id)
            if dictionary is None:
                return None
            latest = session.get(PronunciationDictionaryVersion, dictionary.latest_version_id)
            return StoredDictionary(dictionary, latest) if latest is not None else None

    def dictionary(self, dictionary_id: str) -> PronunciationDictionary | None:
        """The dictionary row alone (its rules are not read)."""
        with self.database.session() as session:
            return session.get(PronunciationDictionary, dictionary_id)

    def has_version(self, dictionary_id: str, version_id: str) -> bool:
        with self.database.session() as session:
            found = session.scalar(
                select(PronunciationDictionaryVersion.version_id).where(
                    PronunciationDictionaryVersion.version_id == version_id,
                    PronunciationDictionaryVersion.dictionary_id == dictionary_id,
                )
            )
        return found is not None

    def version(self, dictionary_id: str, version_id: str) -> PronunciationDictionaryVersion | None:
        with self.database.session() as session:
            version = session.get(PronunciationDictionaryVersion, version_id)
            return version if version is not None and version.dictionary_id == dictionary_id else None

    def change_rules(self, dictionary_id: str, change: Callable[[Rules], Rules]) -> StoredDictionary | None:
        """Write `change(latest rules)` as a new latest version; None when the dictionary does not exist.

        The latest version moves only if nobody moved it since it was read (compare and set), so concurrent
        changes are applied one after the other instead of one overwriting the other.
        """
        for _ in range(_MAX_ATTEMPTS):
            current = self.get(dictionary_id)
            if current is None:
                return None
            rules = change(list(current.latest.rules))
            version = PronunciationDictionaryVersion(
                version_id=new_id(),
                dictionary_id=dictionary_id,
                created_at_ms=_now_ms(),
                rules=rules,
                rules_num=len(rules),
            )
            with self.database.session() as session:
                session.add(version)
                session.flush()
                moved = session.execute(
                    update(PronunciationDictionary)
                    .where(
                        PronunciationDictionary.dictionary_id == dictionary_id,
                        PronunciationDictionary.latest_version_id == current.latest.version_id,
                    )
                    .values(latest_version_id=version.version_id)
                )
                if moved.rowcount == 1:  # type: ignore[attr-defined]
                    current.dictionary.latest_version_id = version.version_id
                    return StoredDictionary(current.dictionary, version)
                session.rollback()
        raise ConcurrentChange(dictionary_id)

    def update(
        self, dictionary_id: str, *, name: str | None, archived: bool | None
    ) -> StoredDictionary | None:
        """Rename or (un)archive without making a new version; None when the dictionary does not exist."""
        with self.database.session() as session:
            dictionary = session.get(PronunciationDictionary, dictionary_id)
            if dictionary is None:
                return None
            if name is not None:
                dictionary.name = name
            if archived is not None and archived != (dictionary.archived_at_unix is not None):
                dictionary.archived_at_unix = int(time.time()) if archived else None
        return self.get(dictionary_id)

    def page(
        self,
        *,
        page_size: int,
        sort: str,
        descending: bool,
        include_archived: bool,
        after: tuple[Any, str] | None,
    ) -> tuple[list[StoredDictionary], bool]:
        """One page in `sort` order ("name" or "created_at_ms", ties by id), starting after the (sort value,
        id) pair `after`; and whether more follow."""
        column = PronunciationDictionary.name if sort == "name" else PronunciationDictionary.created_at_ms
        key = PronunciationDictionary.dictionary_id
        query = select(PronunciationDictionary, PronunciationDictionaryVersion).join(
            PronunciationDictionaryVersion,
            PronunciationDictionaryVersion.version_id == PronunciationDictionary.latest_version_id,
        )
        if not include_archived:
            query = query.where(PronunciationDictionary.archived_at_unix.is_(None))
        if after is not None:
            value, last_id = after
            if descending:
                query = query.where(or_(column < value, and_(column == value, key < last_id)))
            else:
                query = query.where(or_(column > value, and_(column == value, key > last_id)))
        order = (column.desc(), key.desc()) if descending else (column.asc(), key.asc())
        with self.database.session() as session:
            rows = session.execute(query.order_by(*order).limit(page_size + 1)).all()
        items = [StoredDictionary(dictionary, version) for dictionary, version in rows[:page_size]]
        return items, len(rows) > page_size
