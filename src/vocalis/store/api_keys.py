"""API keys: created once, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import func, select

from vocalis.store.database import Database
from vocalis.store.ids import new_id
from vocalis.store.tables import ApiKey


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass
class CreatedKey:
    key_id: str
    name: str
    key: str


class ApiKeyRepository:
    def __init__(self, database: Database):
        self.database = database

    def create(self, name: str, key: str | None = None) -> CreatedKey:
        """Store a new key (or register a given one; idempotent for the same key)."""
        key = key or "sk_" + secrets.token_hex(24)
        digest = hash_key(key)
        with self.database.session() as session:
            existing = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
            if existing is not None:
                existing.revoked_at_unix = None
                return CreatedKey(existing.key_id, existing.name, key)
            row = ApiKey(
                key_id=new_id(),
                name=name,
                key_hash=digest,
                key_preview=key[:3] + "…" + key[-4:],
                created_at_unix=int(time.time()),
            )
            session.add(row)
            return CreatedKey(row.key_id, row.name, key)

    def list(self) -> list[ApiKey]:
        with self.database.session() as session:
            return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at_unix)))

    def revoke(self, key_id: str) -> bool:
        with self.database.session() as session:
            row = session.get(ApiKey, key_id)
            if row is None or row.revoked_at_unix is not None:
                return False
            row.revoked_at_unix = int(time.time())
            return True

    def find_active(self, key: str) -> ApiKey | None:
        with self.database.session() as session:
            return session.scalar(
                select(ApiKey).where(ApiKey.key_hash == hash_key(key), ApiKey.revoked_at_unix.is_(None))
            )

    def any_active(self) -> bool:
        with self.database.session() as session:
            count = session.scalar(
                select(func.count()).select_from(ApiKey).where(ApiKey.revoked_at_unix.is_(None))
            )
            return bool(count)
