"""Asynchronous speech to text: workspace webhooks, signed deliveries to a real HTTP receiver, retries,
stored transcripts and recovery of jobs interrupted by a restart."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from elevenlabs import ElevenLabs
from elevenlabs.types import (
    MultichannelSpeechToTextResponseModel,
    SpeechToTextChunkResponseModel,
    SpeechToTextWebhookResponseModel,
    WebhookHmacSettings,
)
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from vocalis.app import create_app
from vocalis.cli import app as cli_app
from vocalis.config import Settings
from vocalis.jobs.runner import INTERRUPTED_ERROR
from vocalis.store.webhooks import WebhookRepository
from vocalis.webhooks import RetryPolicy, WebhookSender

# The SDK passes a per-request timeout, which TestClient ignores with a warning.
pytestmark = pytest.mark.filterwarnings("ignore:You should not use the 'timeout' argument")
FAST_RETRIES = RetryPolicy(delays=(0.05, 0.1, 0.2), timeout_seconds=5)


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that records each request and answers with scripted statuses."""

    statuses: list[int] = field(default_factory=list)  # answered in turn; 200 once exhausted
    requests: list[tuple[dict[str, str], str]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}/hooks/stt"

    def wait_for(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.requests) >= count, f"got {len(self.requests)} of {count} deliveries"


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    started: list[Receiver] = []

    def start(*statuses: int) -> Receiver:
        receiver = Receiver(list(statuses))

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["content-length"])).decode()
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args) -> None:
                pass

        receiver.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=receiver.server.serve_forever, daemon=True).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.server.shutdown()
        receiver.server.server_close()


@pytest.fixture
def fast_client(client: TestClient) -> TestClient:
    client.app.state.services.webhook_sender.policy = FAST_RETRIES
    return client


def sdk(client: TestClient) -> ElevenLabs:
    # TestClient is an httpx.Client, so the official SDK talks to the ASGI app directly.
    return ElevenLabs(
        base_url=str(client.base_url), api_key=client.headers["xi-api-key"], httpx_client=client
    )


def create_webhook(client: TestClient, url: str, name: str = "stt") -> tuple[str, str]:
    created = sdk(client).webhooks.create(settings=WebhookHmacSettings(name=name, webhook_url=url))
    return created.webhook_id, created.webhook_secret


def wait_for_job(client: TestClient, job_id: str, timeout: float = 30.0):
    jobs = client.app.state.services.jobs
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = jobs.get(job_id)
        if job.status in {"completed", "failed"}:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def post_async(client: TestClient, path: Path, **fields: str):
    return client.post(
        "/v1/speech-to-text",
        data={"model_id": "scribe_v1", "language_code": "en", "webhook": "true", **fields},
        files={"file": (path.name, path.read_bytes())},
    )


def test_webhook_crud_through_the_sdk(client: TestClient):
    eleven = sdk(client)
    assert eleven.webhooks.list().webhooks == []
    created = eleven.webhooks.create(
        settings=WebhookHmacSettings(name="ci", webhook_url="https://example.com/hook")
    )
    assert len(created.webhook_id) == 20 and created.webhook_secret.startswith("wsec_")
    (listed,) = eleven.webhooks.list().webhooks
    assert listed.webhook_id == created.webhook_id and listed.auth_type == "hmac"
    assert listed.webhook_url == "https://example.com/hook" and listed.is_disabled is False
    assert listed.usage is None and listed.events is None
    assert "secret" not in client.get("/v1/workspace/webhooks").text
    with_usages = eleven.webhooks.list(include_usages=True).webhooks[0]
    assert with_usages.events == ["speech_to_text"]
    assert [usage.usage_type for usage in with_usages.usage] == ["Speech to Text"]

    patched = eleven.webhooks.update(created.webhook_id, is_disabled=True, name="renamed", events=[])
    assert patched.status == "ok"
    listed = eleven.webhooks.list(include_usages=True).webhooks[0]
    assert (listed.name, listed.is_disabled, listed.events) == ("renamed", True, [])
    assert eleven.webhooks.delete(created.webhook_id).status == "ok"
    assert eleven.webhooks.list().webhooks == []


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("post", "", {"settings": {"name": "x", "webhook_url": "ftp://x"}}, 400, "invalid_webhook_url"),
        ("post", "", {"settings": {"name": " ", "webhook_url": "https://x"}}, 400, "invalid_parameters"),
        ("patch", "/nope", {"is_disabled": False, "name": "x"}, 404, "webhook_not_found"),
        ("delete", "/nope", None, 404, "webhook_not_found"),
    ],
)
def test_webhook_errors(
    client: TestClient, method: str, path: str, body: dict | None, status: int, code: str
):
    kwargs = {"json": body} if body is not None else {}
    response = client.request(method.upper(), f"/v1/workspace/webhooks{path}", **kwargs)
    assert response.status_code == status and response.json()["detail"]["status"] == code


def test_unknown_event_is_refused(client: TestClient):
    webhook_id, _ = create_webhook(client, "https://example.com/hook")
    response = client.patch(
        f"/v1/workspace/webhooks/{webhook_id}", json={"is_disabled": False, "name": "x", "events": ["nope"]}
    )
    assert response.status_code == 400 and "nope" in response.json()["detail"]["message"]


def test_webhook_requests_are_refused_without_a_usable_webhook(client: TestClient, corpus: Path):
    path = corpus / "stt_en" / "cmu_goforward.wav"
    assert post_async(client, path).json()["detail"]["status"] == "webhook_not_configured"
    webhook_id, _ = create_webhook(client, "https://example.com/hook")
    client.patch(f"/v1/workspace/webhooks/{webhook_id}", json={"is_disabled": True, "name": "off"})
    assert post_async(client, path).json()["detail"]["status"] == "webhook_not_configured"
    assert post_async(client, path, webhook_id=webhook_id).json()["detail"]["status"] == "webhook_not_found"
    response = client.post(
        "/v1/speech-to-text",
        data={"model_id": "scribe_v1", "webhook_id": webhook_id},
        files={"file": (path.name, path.read_bytes())},
    )
    assert response.json()["detail"]["status"] == "invalid_parameters"


def test_bad_input_is_refused_at_once(client: TestClient, corpus: Path):
    create_webhook(client, "https://example.com/hook")
    not_audio = client.post(
        "/v1/speech-to-text",
        data={"model_id": "scribe_v1", "webhook": "true"},
        files={"file": ("x.wav", b"RIFF not really")},
    )
    assert not_audio.status_code == 400 and not_audio.json()["detail"]["status"] == "invalid_audio"
    path = corpus / "stt_en" / "cmu_goforward.wav"
    too_deep = post_async(client, path, webhook_metadata=json.dumps({"a": {"b": {"c": 1}}}))
    assert too_deep.status_code == 400 and too_deep.json()["detail"]["status"] == "invalid_parameters"
    assert post_async(client, path, webhook_metadata="[1]").status_code == 400
    assert client.app.state.services.jobs.fail_unfinished("unused") == []  # nothing was queued


@pytest.mark.slow
def test_signed_delivery_with_metadata_to_the_chosen_webhook(
    fast_client: TestClient, corpus: Path, receivers
):
    chosen, other = receivers(), receivers()
    webhook_id, secret = create_webhook(fast_client, chosen.url, "chosen")
    create_webhook(fast_client, other.url, "other")
    metadata = {"user_id": "123", "job": {"ref": "abc"}}
    path = corpus / "stt_en" / "cmu_goforward.wav"
    # The documented call: metadata as a JSON string (which the SDK encodes a second time).
    accepted = sdk(fast_client).speech_to_text.convert(
        model_id="scribe_v1",
        file=(path.name, path.read_bytes()),
        language_code="en",
        webhook=True,
        webhook_id=webhook_id,
        webhook_metadata=json.dumps(metadata),
    )
    assert isinstance(accepted, SpeechToTextWebhookResponseModel)
    assert accepted.transcription_id and accepted.request_id and accepted.message

    chosen.wait_for(1)
    job = wait_for_job(fast_client, accepted.transcription_id)
    assert job.status == "completed" and job.progress == 1.0 and job.attempts == 1
    headers, body = chosen.requests[0]
    assert headers["content-type"] == "application/json"
    assert re.fullmatch(r"t=\d+,v0=[0-9a-f]{64}", headers["elevenlabs-signature"])
    event = sdk(fast_client).webhooks.construct_event(body, headers["elevenlabs-signature"], secret)
    assert event["type"] == "speech_to_text_transcription"
    assert abs(event["event_timestamp"] - time.time()) < 60
    data = event["data"]
    assert data["request_id"] == accepted.request_id and data["webhook_metadata"] == metadata
    transcription = SpeechToTextChunkResponseModel.model_validate(data["transcription"])
    assert transcription.transcription_id == accepted.transcription_id
    assert "forward" in transcription.text.lower()
    assert other.requests == []  # webhook_id picks one webhook

    stored = fast_client.get(f"/v1/speech-to-text/transcripts/{accepted.transcription_id}")
    assert stored.status_code == 200 and stored.json() == data["transcription"]
    assert job.result["deliveries"] == [
        {"webhook_id": webhook_id, "delivered": True, "attempts": 1, "status_code": 200, "error": None}
    ]


@pytest.mark.slow
def test_multichannel_transcript_is_delivered_and_stored(fast_client: TestClient, corpus: Path, receivers):
    receiver = receivers()
    webhook_id, secret = create_webhook(fast_client, receiver.url)
    path = corpus / "diarization" / "stereo_two_channel_speakers.wav"  # one talker per channel
    response = post_async(fast_client, path, webhook_id=webhook_id, use_multi_channel="true")
    assert response.status_code == 200, response.text
    transcription_id = response.json()["transcription_id"]

    receiver.wait_for(1)
    job = wait_for_job(fast_client, transcription_id)
    assert job.status == "completed" and job.progress == 1.0 and job.request["channels"] == 2
    headers, body = receiver.requests[0]
    event = sdk(fast_client).webhooks.construct_event(body, headers["elevenlabs-signature"], secret)
    transcription = MultichannelSpeechToTextResponseModel.model_validate(event["data"]["transcription"])
    assert transcription.transcription_id == transcription_id
    left, right = transcription.transcripts
    assert (left.channel_index, right.channel_index) == (0, 1)
    assert "wizard" in left.text.lower() and "horizon" in right.text.lower()
    assert {w.speaker_id for w in right.words} == {"speaker_1"}
    stored = fast_client.get(f"/v1/speech-to-text/transcripts/{transcription_id}")
    assert stored.json() == event["data"]["transcription"]


@pytest.mark.slow
def test_server_errors_are_retried_and_client_errors_are_not(
    fast_client: TestClient, corpus: Path, receivers
):
    flaky, refusing = receivers(500, 500, 200), receivers(400)
    flaky_id, flaky_secret = create_webhook(fast_client, flaky.url, "flaky")
    refusing_id, _ = create_webhook(fast_client, refusing.url, "refusing")
    response = post_async(fast_client, corpus / "stt_en" / "cmu_goforward.wav", webhook_metadata="null")
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"message", "request_id", "transcription_id"}
    transcription_id = response.json()["transcription_id"]

    job = wait_for_job(fast_client, transcription_id)
    assert job.status == "completed"  # the transcript is done whatever the receivers answered
    outcomes = {delivery["webhook_id"]: delivery for delivery in job.result["deliveries"]}
    assert outcomes[flaky_id]["delivered"] and outcomes[flaky_id]["attempts"] == 3
    assert not outcomes[refusing_id]["delivered"] and outcomes[refusing_id]["attempts"] == 1
    assert outcomes[refusing_id]["status_code"] == 400
    assert len(flaky.requests) == 3 and len(refusing.requests) == 1
    headers, body = flaky.requests[-1]
    event = sdk(fast_client).webhooks.construct_event(body, headers["elevenlabs-signature"], flaky_secret)
    assert event["data"]["webhook_metadata"] is None
    assert fast_client.get(f"/v1/speech-to-text/transcripts/{transcription_id}").status_code == 200
    refusing_row = next(w for w in sdk(fast_client).webhooks.list().webhooks if w.webhook_id == refusing_id)
    assert refusing_row.most_recent_failure_error_code == 400
    assert refusing_row.most_recent_failure_timestamp is not None


def test_sender_retry_policy(tmp_path: Path, receivers):
    from vocalis.store.database import Database

    database = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    database.migrate()
    webhooks = WebhookRepository(database)
    sender = WebhookSender(webhooks, FAST_RETRIES)
    always_failing = receivers(500, 500, 500, 500, 500)
    failing_id = webhooks.create("down", always_failing.url).webhook_id
    no_retry_id = webhooks.create("no retry", receivers(503).url).webhook_id
    webhooks.update(no_retry_id, retry_enabled=False)
    unreachable_id = webhooks.create("closed", "http://127.0.0.1:9/hook").webhook_id

    async def deliver_all():
        return await asyncio.gather(
            *(sender.deliver(w, '{"a": 1}') for w in (failing_id, no_retry_id, unreachable_id, "gone"))
        )

    failing, no_retry, unreachable, gone = asyncio.run(deliver_all())
    assert (failing.delivered, failing.attempts, failing.status_code) == (False, 4, 500)
    assert (no_retry.attempts, no_retry.status_code) == (1, 503)
    assert unreachable.attempts == 4 and unreachable.status_code is None and "Connect" in unreachable.error
    assert gone.attempts == 0 and gone.error == "webhook deleted or disabled"
    assert webhooks.get(failing_id).most_recent_failure_error_code == 500
    database.close()


def test_unfinished_jobs_are_failed_on_restart(settings: Settings):
    with TestClient(create_app(settings), headers={"xi-api-key": settings.api_key}) as client:
        jobs = client.app.state.services.jobs
        jobs.create("interrupted1", "speech_to_text", {"request_id": "r1"})
        jobs.start("interrupted1")
        jobs.create("interrupted2", "speech_to_text", {"request_id": "r2"})
        running = client.get("/v1/speech-to-text/transcripts/interrupted1")
        assert running.status_code == 404
        assert running.json()["detail"]["status"] == "transcript_not_ready"
        # Simulate a crash: the rows stay unfinished because no runner task owns them.
    with TestClient(create_app(settings), headers={"xi-api-key": settings.api_key}) as client:
        jobs = client.app.state.services.jobs
        for job_id in ("interrupted1", "interrupted2"):
            job = jobs.get(job_id)
            assert job.status == "failed" and job.error == INTERRUPTED_ERROR
        failed = client.get("/v1/speech-to-text/transcripts/interrupted1")
        assert failed.status_code == 404 and failed.json()["detail"]["status"] == "transcription_failed"
        assert "restarted" in failed.json()["detail"]["message"]


def test_cli_webhooks_create_list_delete(tmp_path: Path, model_cache: Path):
    runner = CliRunner()
    env = {"VOCALIS_HOME": str(tmp_path / "home"), "VOCALIS_MODEL_CACHE": str(model_cache), "COLUMNS": "200"}
    created = runner.invoke(cli_app, ["webhooks", "create", "--name", "ci", "--url", "https://x/h"], env=env)
    assert created.exit_code == 0, created.output
    webhook_id = re.search(r"webhook_id: (\w+)", created.output).group(1)
    assert re.search(r"secret: wsec_[0-9a-f]{64}", created.output)
    listed = runner.invoke(cli_app, ["webhooks", "list"], env=env)
    assert webhook_id in listed.output and "speech_to_text" in listed.output and "wsec_" not in listed.output
    assert runner.invoke(cli_app, ["webhooks", "delete", webhook_id], env=env).exit_code == 0
    assert runner.invoke(cli_app, ["webhooks", "delete", webhook_id], env=env).exit_code == 1
    bad = runner.invoke(cli_app, ["webhooks", "create", "--name", "x", "--url", "ftp://x"], env=env)
    assert bad.exit_code != 0


def test_runner_records_failures_progress_and_shutdown(tmp_path: Path):
    from vocalis.errors import InvalidRequest
    from vocalis.jobs import JobContext, JobRunner
    from vocalis.jobs.runner import STOPPED_ERROR
    from vocalis.store.database import Database
    from vocalis.store.jobs import JobRepository

    database = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    database.migrate()
    jobs = JobRepository(database)

    async def refused(context: JobContext) -> dict:
        context.progress(0.5)
        raise InvalidRequest("No speech was found in the audio.")

    async def forever(_context: JobContext) -> dict:
        await asyncio.Event().wait()
        return {}

    async def scenario() -> None:
        runner = JobRunner(jobs, concurrency=1)
        runner.submit("refused", "test", {}, refused)
        await asyncio.sleep(0.2)
        runner.submit("running", "test", {}, forever)
        runner.submit("waiting", "test", {}, forever)  # never gets the single slot
        await asyncio.sleep(0.1)
        assert jobs.get("running").status == "processing" and jobs.get("waiting").status == "queued"
        await runner.stop()

    asyncio.run(scenario())
    refused_job = jobs.get("refused")
    assert refused_job.status == "failed" and refused_job.progress == 0.5
    assert refused_job.error == "No speech was found in the audio." and refused_job.attempts == 1
    for job_id in ("running", "waiting"):
        assert (jobs.get(job_id).status, jobs.get(job_id).error) == ("failed", STOPPED_ERROR)
    database.close()
