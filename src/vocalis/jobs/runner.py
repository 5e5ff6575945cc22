"""The in-process job runner: asyncio tasks, bounded concurrency, every state change written to `jobs`.

Restart policy: most jobs' input (uploaded audio, decoded samples) lives only in memory for the life of the
process, on purpose: keeping every upload on disk until its job ends would retain user audio that the
request may have asked us not to keep (zero retention), and SQLite rows are no place for large blobs.
Such a job cannot resume after a restart. `recover()` (called once by the server at start-up, never by the
CLI, which may run beside a live server) marks every job left `queued` or `processing` as `failed` with
an error that says why, so no job is silently lost; `stop()` does the same for jobs still running at
shutdown. Kinds whose input is already stored (professional voice training reads its samples from the blob
store) register a restart function with `resumable()`: at shutdown they go back to `queued`, and
`recover()` runs them again from their stored request, up to MAX_ATTEMPTS starts. This assumes one server
process per database, as the in-process runner does; several replicas need the distributed queue instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from vocalis.errors import VocalisError
from vocalis.store.jobs import JobRepository

logger = logging.getLogger(__name__)

INTERRUPTED_ERROR = (
    "The server restarted before this job finished; its audio was held only in memory, so the job "
    "cannot resume. Send the request again."
)
STOPPED_ERROR = "The server stopped before this job finished. Send the request again."
# Starts of a resumable job before it is failed: a job that takes the process down with it (out of memory)
# must not do so on every start-up.
MAX_ATTEMPTS = 5
GAVE_UP_ERROR = f"This job was started {MAX_ATTEMPTS} times without finishing; it is not started again."
# Progress is written when it moves by at least this much, so long files do not flood the database.
PROGRESS_STEP = 0.05


@dataclass
class JobContext:
    """What a running job may report back: progress (0..1, thread-safe) and intermediate results."""

    job_id: str
    runner: JobRunner
    _reported: float = 0.0

    def progress(self, fraction: float) -> None:
        # Called from engine worker threads; a small synchronous write is safe there (SQLite WAL).
        if fraction >= 1.0 or fraction - self._reported >= PROGRESS_STEP:
            self._reported = fraction
            self.runner.jobs.set_progress(self.job_id, fraction)

    async def set_result(self, result: dict[str, Any]) -> None:
        await asyncio.to_thread(self.runner.jobs.set_result, self.job_id, result)


JobFunction = Callable[[JobContext], Awaitable[dict[str, Any]]]
# (job_id, stored request) -> the work that runs the job again after a restart.
RestartFunction = Callable[[str, dict[str, Any]], JobFunction]


class JobRunner:
    def __init__(self, jobs: JobRepository, concurrency: int = 2):
        self.jobs = jobs
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: dict[str, tuple[asyncio.Task[None], str]] = {}  # job id -> (task, kind)
        self._restarts: dict[str, RestartFunction] = {}

    def resumable(self, kind: str, restart: RestartFunction) -> None:
        """Jobs of `kind` survive restarts: `restart(job_id, request)` gives the work that runs one again."""
        self._restarts[kind] = restart

    def recover(self) -> list[str]:
        """Run again the resumable jobs a previous process left unfinished and fail the others; returns the
        ids of the failed ones."""
        resumed, failed = 0, []
        for row in self.jobs.unfinished():
            restart = self._restarts.get(row.kind)
            if restart is not None and row.attempts < MAX_ATTEMPTS:
                self.jobs.requeue(
                    row.job_id
                )  # a crash left it `processing`, its progress that of the lost run
                self._schedule(row.job_id, row.kind, restart(row.job_id, row.request))
                resumed += 1
            else:
                error = INTERRUPTED_ERROR if restart is None else GAVE_UP_ERROR
                failed += self.jobs.fail_unfinished(error, [row.job_id])
        if resumed:
            logger.info("Resumed %d unfinished job(s) from a previous run.", resumed)
        if failed:
            logger.warning("Marked %d unfinished job(s) from a previous run as failed.", len(failed))
        return failed

    def submit(self, job_id: str, kind: str, request: dict[str, Any], work: JobFunction) -> str:
        """Persist a queued job and schedule `work` on the running event loop."""
        self.jobs.create(job_id, kind, request)
        self._schedule(job_id, kind, work)
        return job_id

    def _schedule(self, job_id: str, kind: str, work: JobFunction) -> None:
        task = asyncio.get_running_loop().create_task(self._run(job_id, kind, work), name=f"job-{job_id}")
        self._tasks[job_id] = (task, kind)
        task.add_done_callback(lambda _: self._tasks.pop(job_id, None))

    async def _run(self, job_id: str, kind: str, work: JobFunction) -> None:
        async with self._slots:
            await asyncio.to_thread(self.jobs.start, job_id)
            try:
                result = await work(JobContext(job_id, self))
            except asyncio.CancelledError:
                if kind in self._restarts:
                    await asyncio.to_thread(self.jobs.requeue, job_id)
                else:
                    await asyncio.to_thread(self.jobs.fail, job_id, STOPPED_ERROR)
                raise
            except VocalisError as error:
                await asyncio.to_thread(self.jobs.fail, job_id, error.message)
            except Exception as error:  # a job must end in a recorded state, whatever went wrong
                logger.exception("Job %s failed", job_id)
                await asyncio.to_thread(self.jobs.fail, job_id, f"{type(error).__name__}: {error}")
            else:
                await asyncio.to_thread(self.jobs.complete, job_id, result)

    async def stop(self) -> None:
        """Cancel running jobs (each records itself failed, or queued if resumable) and wait for them."""
        running = {job_id: kind for job_id, (_, kind) in self._tasks.items()}
        tasks = [task for task, _ in self._tasks.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # A task cancelled before its first step never reached `_run`'s handler; its row is still queued,
        # which is right for a resumable job and wrong for any other.
        stopped = [job_id for job_id, kind in running.items() if kind not in self._restarts]
        self.jobs.fail_unfinished(STOPPED_ERROR, stopped)
