"""A client that leaves mid-stream stops its synthesis; a full engine answers 429 through the SDK."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from elevenlabs.client import ElevenLabs
from elevenlabs.core.api_error import ApiError
from sdk_support import FAST_MODEL, GEORGE, TEST_API_KEY, LiveServer, assert_elevenlabs_error, live_server

from vocalis.config import Settings

pytestmark = pytest.mark.slow

SENTENCE = "The quick brown fox jumps over the lazy dog while the band keeps playing in the park. "
LONG_TEXT = SENTENCE * 18  # about 1500 characters: tens of seconds of speech, many seconds of synthesis
assert 1400 <= len(LONG_TEXT) <= 1700


def _concurrency_header(http: httpx.Client) -> str:
    response = http.post(
        f"/v1/text-to-speech/{GEORGE}",
        params={"output_format": "pcm_16000", "enable_logging": False},
        json={"text": "Hi.", "model_id": FAST_MODEL},
    )
    assert response.status_code == 200, response.text
    return response.headers["current-concurrent-requests"]


def test_client_disconnect_stops_synthesis(http: httpx.Client):
    with http.stream(
        "POST",
        f"/v1/text-to-speech/{GEORGE}/stream",
        params={"output_format": "pcm_16000"},
        json={"text": LONG_TEXT, "model_id": FAST_MODEL},
    ) as response:
        assert response.status_code == 200
        request_id = response.headers["request-id"]
        first = next(response.iter_bytes())
        assert first
    left_at = time.monotonic()

    # (b) the engine is free again within ~2 s: a new request is the only one running.
    seen = []
    while True:
        seen.append(_concurrency_header(http))
        if seen[-1] == "1" or time.monotonic() - left_at > 2.0:
            break
        time.sleep(0.1)
    assert seen[-1] == "1", f"engine still busy 2 s after the client left: {seen}"

    # (a) the abandoned request never reaches the history.
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        listed = http.get("/v1/history", params={"page_size": 1000}).json()["history"]
        assert request_id not in {item["request_id"] for item in listed}
        time.sleep(0.2)


@pytest.fixture
def tight_server(tmp_path: Path, model_cache: Path) -> Iterator[LiveServer]:
    """A server whose engines take one request at a time and queue none."""
    settings = Settings(
        home=tmp_path / "home",
        model_cache=model_cache,
        api_key=TEST_API_KEY,
        engine_concurrency=1,
        engine_queue_size=0,
    )
    with live_server(settings) as running:
        yield running


def test_full_engine_answers_429(tight_server: LiveServer):
    sdk = ElevenLabs(api_key=TEST_API_KEY, base_url=tight_server.url, timeout=60)
    with tight_server.http() as http:
        with http.stream(
            "POST",
            f"/v1/text-to-speech/{GEORGE}/stream",
            params={"output_format": "pcm_16000", "enable_logging": False},
            json={"text": LONG_TEXT, "model_id": FAST_MODEL},
        ) as holding:
            assert holding.status_code == 200
            assert holding.headers["maximum-concurrent-requests"] == "1"
            # Keep the iterator referenced: a dropped httpx iterator closes the connection (a disconnect).
            chunks = holding.iter_bytes()
            assert next(chunks)
            with pytest.raises(ApiError) as caught:
                b"".join(sdk.text_to_speech.convert(voice_id=GEORGE, text="Let me in.", model_id=FAST_MODEL))
            assert caught.value.status_code == 429
            assert_elevenlabs_error(caught.value.body, "too_many_concurrent_requests")
        # Once the first client has gone, the engine takes requests again.
        deadline = time.monotonic() + 2.0
        while True:
            try:
                audio = b"".join(
                    sdk.text_to_speech.convert(
                        voice_id=GEORGE, text="Let me in.", model_id=FAST_MODEL, output_format="pcm_16000"
                    )
                )
                break
            except ApiError as error:
                if error.status_code != 429 or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert len(audio) > 8000
