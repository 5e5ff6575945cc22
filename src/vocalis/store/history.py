"""Generation history (`/v1/history`) and character usage records."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, BinaryIO

from sqlalchemy import func, or_, select, tuple_

from vocalis.store.blobs import BlobStore
from vocalis.store.database import Database
from vocalis.store.tables import HistoryItem, UsageEvent


class HistoryRepository:
    def __init__(self, database: Database, blobs: BlobStore):
        self.database = database
        self.blobs = blobs

    def total_characters(self) -> int:
        with self.database.session() as session:
            return int(session.scalar(select(func.coalesce(func.sum(UsageEvent.characters), 0))) or 0)

    def record_usage(self, characters: int, model_id: str | None, voice_id: str | None, key_id: str | None):
        with self.database.session() as session:
            session.add(
                UsageEvent(
                    time_unix=int(time.time()),
                    characters=characters,
                    model_id=model_id,
                    voice_id=voice_id,
                    key_id=key_id,
                )
            )

    def usage_events(self, start_unix: int, end_unix: int) -> list[UsageEvent]:
        with self.database.session() as session:
            query = (
                select(UsageEvent)
                .where(UsageEvent.time_unix >= start_unix, UsageEvent.time_unix < end_unix)
                .order_by(UsageEvent.time_unix)
            )
            return list(session.scalars(query))

    def add(
        self,
        *,
        history_item_id: str,
        request_id: str,
        audio: bytes | BinaryIO,
        content_type: str,
        output_format: str,
        text: str | None,
        voice_id: str | None,
        voice_name: str | None,
        voice_category: str | None,
        model_id: str,
        settings: dict[str, Any],
        alignments: dict[str, Any] | None,
        characters_before: int,
        source: str = "TTS",
        dialogue: list[dict[str, Any]] | None = None,
        characters: int | None = None,
    ) -> HistoryItem:
        """Store one generation; it cost `characters` (by default the length of its text)."""
        blob_key = f"history/{history_item_id}"
        now_ms = time.time_ns() // 1_000_000
        self.blobs.put(blob_key, audio)
        row = HistoryItem(
            history_item_id=history_item_id,
            request_id=request_id,
            voice_id=voice_id,
            voice_name=voice_name,
            voice_category=voice_category,
            model_id=model_id,
            text=text,
            date_unix=int(now_ms // 1000),
            created_at_ms=now_ms,
            character_count_change_from=characters_before,
            character_count_change_to=characters_before
            + (len(text or "") if characters is None else characters),
            content_type=content_type,
            output_format=output_format,
            state="created",
            settings=settings,
            source=source,
            audio_blob_key=blob_key,
            alignments=alignments,
            dialogue=dialogue,
        )
        try:
            with self.database.session() as session:
                session.add(row)
        except BaseException:
            self.blobs.delete(blob_key)
            raise
        return row

    def get(self, history_item_id: str) -> HistoryItem | None:
        with self.database.session() as session:
            return session.get(HistoryItem, history_item_id)

    def by_request_ids(self, request_ids: Sequence[str]) -> list[HistoryItem]:
        with self.database.session() as session:
            rows = session.scalars(select(HistoryItem).where(HistoryItem.request_id.in_(list(request_ids))))
            found = {row.request_id: row for row in rows}
        return [found[request_id] for request_id in request_ids if request_id in found]

    def list(
        self,
        *,
        page_size: int,
        start_after_history_item_id: str | None = None,
        voice_id: str | None = None,
        model_id: str | None = None,
        date_before_unix: int | None = None,
        date_after_unix: int | None = None,
        sort_direction: str = "desc",
        search: str | None = None,
        source: str | None = None,
    ) -> tuple[list[HistoryItem], bool]:
        """One page in creation order (newest first by default) and whether more remain."""
        newest_first = sort_direction != "asc"
        with self.database.session() as session:
            query = select(HistoryItem)
            if start_after_history_item_id:
                anchor = session.get(HistoryItem, start_after_history_item_id)
                if anchor is not None:
                    key = (HistoryItem.created_at_ms, HistoryItem.history_item_id)
                    anchor_key = (anchor.created_at_ms, anchor.history_item_id)
                    query = query.where(
                        tuple_(*key) < tuple_(*anchor_key)
                        if newest_first
                        else tuple_(*key) > tuple_(*anchor_key)
                    )
            if voice_id:
                query = query.where(HistoryItem.voice_id == voice_id)
            if model_id:
                query = query.where(HistoryItem.model_id == model_id)
            if date_before_unix is not None:
                query = query.where(HistoryItem.date_unix < date_before_unix)
            if date_after_unix is not None:
                query = query.where(HistoryItem.date_unix >= date_after_unix)
            if source:
                query = query.where(HistoryItem.source == source)
            if search:
                pattern = f"%{search}%"
                query = query.where(
                    or_(HistoryItem.text.ilike(pattern), HistoryItem.voice_name.ilike(pattern))
                )
            order = (HistoryItem.created_at_ms, HistoryItem.history_item_id)
            query = query.order_by(*(column.desc() if newest_first else column.asc() for column in order))
            rows = list(session.scalars(query.limit(page_size + 1)))
        return rows[:page_size], len(rows) > page_size

    def audio(self, item: HistoryItem) -> bytes:
        return self.blobs.get(item.audio_blob_key)

    def delete(self, history_item_id: str) -> bool:
        with self.database.session() as session:
            row = session.get(HistoryItem, history_item_id)
            if row is None:
                return False
            blob_key = row.audio_blob_key
            session.delete(row)
        self.blobs.delete(blob_key)
        return True
