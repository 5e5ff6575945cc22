"""The official `openai` client's `audio.speech` against the same live server."""

from __future__ import annotations

import openai
import pytest
from sdk_support import pcm16, rms

from vocalis.audio import decode

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def openai_client(base_url: str, api_key: str) -> openai.OpenAI:
    return openai.OpenAI(api_key=api_key, base_url=f"{base_url}/v1", max_retries=0)


def test_speech_create(openai_client: openai.OpenAI):
    response = openai_client.audio.speech.create(
        model="tts-1", voice="alloy", input="Hello from an OpenAI client on a local server."
    )
    audio = decode(response.content)
    assert audio.sample_rate == 44100
    assert 1.5 < audio.duration_seconds < 8
    assert rms(audio.samples) > 0.01


def test_speech_streaming_response(openai_client: openai.OpenAI):
    text = "Streaming starts early. The rest of the audio follows. Then it ends."
    with openai_client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="echo", input=text, response_format="pcm"
    ) as response:
        assert response.status_code == 200
        assert response.headers["request-id"]
        chunks = [chunk for chunk in response.iter_bytes(chunk_size=4096) if chunk]
    assert len(chunks) >= 3
    samples = pcm16(b"".join(chunks))
    assert 2.5 < len(samples) / 24000 < 12  # pcm is 24 kHz s16le, as with OpenAI
    assert rms(samples) > 0.01


@pytest.mark.parametrize(
    ("response_format", "sample_rate"), [("wav", 24000), ("opus", 48000), ("flac", 24000)]
)
def test_speech_response_formats(openai_client: openai.OpenAI, response_format: str, sample_rate: int):
    response = openai_client.audio.speech.create(
        model="tts-1", voice="echo", input="Another format.", response_format=response_format, speed=1.25
    )
    audio = decode(response.content)
    assert audio.sample_rate == sample_rate
    assert 0.4 < audio.duration_seconds < 4


def test_unknown_voice_is_openai_not_found(openai_client: openai.OpenAI):
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client.audio.speech.create(model="tts-1", voice="nobody-at-all", input="Hi.")
    assert caught.value.status_code == 404


def test_wrong_key_is_openai_authentication_error(base_url: str):
    intruder = openai.OpenAI(api_key="sk-wrong", base_url=f"{base_url}/v1", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        intruder.audio.speech.create(model="tts-1", voice="alloy", input="Hi.")
