"""Workspace webhooks: where finished work is announced, and the HMAC secret each delivery is signed with."""

from __future__ import annotations

import secrets
import time
from typing import Any

from sqlalchemy import select

from vocalis.store.database import Database
from vocalis.store.ids import new_id
from vocalis.store.tables import Webhook

SPEECH_TO_TEXT_EVENT = "speech_to_text"


class WebhookRepository:
    def __init__(self, database: Database):
        self.database = database

    def create(
        self,
        name: str,
        webhook_url: str,
        *,
        auth_type: str = "hmac",
        request_headers: dict[str, str] | None = None,
        events: list[str] | None = None,
    ) -> Webhook:
        """Store a new webhook with a fresh secret; the caller shows the secret to the user once."""
        row = Webhook(
            webhook_id=new_id(),
            name=name,
            webhook_url=webhook_url,
            secret="wsec_" + secrets.token_hex(32),
            auth_type=auth_type,
            is_disabled=False,
            retry_enabled=True,
            request_headers=request_headers,
            # Subscribed to speech-to-text by default so `webhook=true` works right after creation.
            events=[SPEECH_TO_TEXT_EVENT] if events is None else events,
            created_at_unix=int(time.time()),
        )
        with self.database.session() as session:
            session.add(row)
        return row

    def list(self) -> list[Webhook]:
        with self.database.session() as session:
            return list(session.scalars(select(Webhook).order_by(Webhook.created_at_unix, Webhook.name)))

    def get(self, webhook_id: str) -> Webhook | None:
        with self.database.session() as session:
            return session.get(Webhook, webhook_id)

    def subscribed(self, event: str) -> list[Webhook]:
        """Enabled webhooks that listen to `event`."""
        return [row for row in self.list() if not row.is_disabled and event in (row.events or [])]

    def update(self, webhook_id: str, **fields: Any) -> bool:
        """Set the given columns (None values are left unchanged); False when the webhook does not exist."""
        with self.database.session() as session:
            row = session.get(Webhook, webhook_id)
            if row is None:
                return False
            for name, value in fields.items():
                if value is not None:
                    setattr(row, name, value)
            return True

    def record_failure(self, webhook_id: str, status_code: int | None) -> None:
        """Remember the latest failed delivery (reported as `most_recent_failure_*` in the list)."""
        with self.database.session() as session:
            row = session.get(Webhook, webhook_id)
            if row is not None:
                row.most_recent_failure_error_code = status_code
                row.most_recent_failure_timestamp = int(time.time())

    def delete(self, webhook_id: str) -> bool:
        with self.database.session() as session:
            row = session.get(Webhook, webhook_id)
            if row is None:
                return False
            session.delete(row)
            return True
