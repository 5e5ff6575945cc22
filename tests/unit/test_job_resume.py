"""Resumable jobs (professional voice training): back in the queue when the server stops, run again from
their stored request by the next server, failed after too many starts; other jobs still fail."""

from __future__ import annotations

import asyncio
from pathlib import Path

from vocalis.jobs import JobContext, JobRunner
from vocalis.jobs.runner import GAVE_UP_ERROR, INTERRUPTED_ERROR, MAX_ATTEMPTS, STOPPED_ERROR
from vocalis.store.database import Database
from vocalis.store.jobs import JobRepository


def test_resumable_jobs_survive_a_restart(tmp_path: Path):
    database = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    database.migrate()
    jobs = JobRepository(database)
    finished: list[str] = []

    async def forever(_context: JobContext) -> dict:
        await asyncio.Event().wait()
        return {}

    def restart(job_id: str, request: dict):
        async def work(context: JobContext) -> dict:
            context.progress(0.5)
            finished.append(request["voice_id"])
            return {"voice_id": request["voice_id"]}

        return work

    async def first_server() -> None:
        runner = JobRunner(jobs, concurrency=1)
        runner.resumable("training", restart)
        runner.submit("train", "training", {"voice_id": "v1"}, forever)
        runner.submit("queued", "training", {"voice_id": "v2"}, forever)  # waits for the single slot
        runner.submit("stt", "speech_to_text", {}, forever)
        await asyncio.sleep(0.2)
        assert jobs.get("train").status == "processing"
        await runner.stop()

    asyncio.run(first_server())
    assert [jobs.get(job_id).status for job_id in ("train", "queued")] == ["queued", "queued"]
    assert (jobs.get("stt").status, jobs.get("stt").error) == ("failed", STOPPED_ERROR)

    # A crash leaves rows `processing`; one job has already been started too often.
    jobs.start("queued")
    jobs.create("crashy", "training", {"voice_id": "v3"})
    for _ in range(MAX_ATTEMPTS):
        jobs.start("crashy")
    jobs.create("upload", "speech_to_text", {})

    async def second_server() -> list[str]:
        runner = JobRunner(jobs, concurrency=1)
        runner.resumable("training", restart)
        failed = runner.recover()
        for _ in range(100):
            if len(finished) == 2:
                break
            await asyncio.sleep(0.05)
        await runner.stop()
        return failed

    failed = asyncio.run(second_server())
    assert sorted(finished) == ["v1", "v2"]
    for job_id, voice_id in (("train", "v1"), ("queued", "v2")):
        job = jobs.get(job_id)
        assert (job.status, job.progress, job.result) == ("completed", 1.0, {"voice_id": voice_id})
    assert jobs.get("train").attempts == 2
    assert sorted(failed) == ["crashy", "upload"]
    assert jobs.get("crashy").error == GAVE_UP_ERROR and jobs.get("upload").error == INTERRUPTED_ERROR
    database.close()
