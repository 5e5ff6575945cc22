"""Persisted background jobs: one row per job with its status, progress, request, result and error."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from vocalis.store.database import Database
from vocalis.store.tables import Job

UNFINISHED = ("queued", "processing")


class JobRepository:
    def __init__(self, database: Database):
        self.database = database

    def create(self, job_id: str, kind: str, request: dict[str, Any]) -> Job:
        now = int(time.time())
        row = Job(
            job_id=job_id,
            kind=kind,
            status="queued",
            progress=0.0,
            request=request,
            attempts=0,
            created_at_unix=now,
            updated_at_unix=now,
        )
        with self.database.session() as session:
            session.add(row)
        return row

    def get(self, job_id: str) -> Job | None:
        with self.database.session() as session:
            return session.get(Job, job_id)

    def _update(self, job_id: str, **fields: Any) -> None:
        with self.database.session() as session:
            row = session.get(Job, job_id)
            if row is None:
                return
            for name, value in fields.items():
                setattr(row, name, value)
            row.updated_at_unix = int(time.time())

    def start(self, job_id: str) -> None:
        with self.database.session() as session:
            row = session.get(Job, job_id)
            if row is not None:
                row.status = "processing"
                row.attempts += 1
                row.updated_at_unix = int(time.time())

    def set_progress(self, job_id: str, progress: float) -> None:
        self._update(job_id, progress=max(0.0, min(progress, 1.0)))

    def set_result(self, job_id: str, result: dict[str, Any]) -> None:
        """Record partial results (e.g. the stored transcript id) before the job finishes."""
        self._update(job_id, result=result)

    def complete(self, job_id: str, result: dict[str, Any]) -> None:
        self._update(job_id, status="completed", progress=1.0, result=result, error=None)

    def fail(self, job_id: str, error: str) -> None:
        self._update(job_id, status="failed", error=error)

    def requeue(self, job_id: str) -> None:
        """Put a job stopped part-way back in the queue, to run again from its stored request (and from the
        start, so its progress too)."""
        self._update(job_id, status="queued", progress=0.0)

    def unfinished(self) -> list[Job]:
        """Queued or processing jobs, oldest first."""
        query = select(Job).where(Job.status.in_(UNFINISHED)).order_by(Job.created_at_unix, Job.job_id)
        with self.database.session() as session:
            return list(session.scalars(query))

    def fail_unfinished(self, error: str, job_ids: list[str] | None = None) -> list[str]:
        """Mark queued or processing jobs (all, or those of `job_ids`) failed; returns their ids."""
        now = int(time.time())
        query = select(Job).where(Job.status.in_(UNFINISHED))
        if job_ids is not None:
            query = query.where(Job.job_id.in_(job_ids))
        with self.database.session() as session:
            rows = list(session.scalars(query))
            for row in rows:
                row.status = "failed"
                row.error = error
                row.updated_at_unix = now
            return [row.job_id for row in rows]
