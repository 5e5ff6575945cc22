"""`/v1/text-to-voice` with the Parler-TTS engine installed (a tiny random model of its architecture): the
previews come from it, at its rate, one per seed; a preview made with `stream_previews` renders through it
when streamed; a saved preview is cloned into a voice the TTS endpoints speak."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.unit.parler_support import SAMPLE_RATE, write_tiny_parler
from vocalis.app import create_app
from vocalis.audio import decode
from vocalis.config import Settings

KEY = "sk_test_0123456789abcdef"
TEXT = "Every act of kindness, no matter how small, carries value and can make a difference in someone's day."
DESCRIPTION = "A deep-voiced middle-aged man with a calm, low voice, very clear audio"


@pytest.fixture(scope="module")
def parler_client(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[TestClient]:
    tiny = write_tiny_parler(tmp_path_factory.mktemp("parler"))
    settings = Settings(
        home=tmp_path_factory.mktemp("ttv-parler-home"),
        model_cache=model_cache,
        api_key=KEY,
        parler_path=tiny,
    )
    with TestClient(create_app(settings), headers={"xi-api-key": KEY}) as client:
        yield client


@pytest.mark.slow
def test_previews_come_from_parler_and_save_as_a_speakable_voice(parler_client: TestClient):
    response = parler_client.post(
        "/v1/text-to-voice/create-previews",
        params={"output_format": "pcm_16000"},
        json={"voice_description": DESCRIPTION, "text": TEXT, "seed": 7},
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-vocalis-engine"] == "parler-tts"
    previews = response.json()["previews"]
    assert len(previews) == 3
    audio = [base64.b64decode(p["audio_base_64"]) for p in previews]
    assert all(len(a) > 0 for a in audio)
    assert len(set(audio)) == 3  # three seeds, three renderings
    assert all(p["duration_secs"] > 0 for p in previews)

    saved = parler_client.post(
        "/v1/text-to-voice",
        json={
            "voice_name": "Calm man",
            "voice_description": DESCRIPTION,
            "generated_voice_id": previews[0]["generated_voice_id"],
        },
    )
    assert saved.status_code == 200, saved.text
    voice_id = saved.json()["voice_id"]
    # The Parler voice lives on as the local engines' closest voice to its preview.
    row = parler_client.app.state.services.voices.row(voice_id)
    assert row.speaker_data["method"] == "nearest-voice" and row.engine_spec["engine"] in ("kokoro", "piper")
    speech = parler_client.post(
        f"/v1/text-to-speech/{voice_id}", json={"text": "Who dares to cross my bridge?"}
    )
    assert speech.status_code == 200 and len(speech.content) > 1000


def test_a_streamed_preview_renders_through_parler(parler_client: TestClient):
    response = parler_client.post(
        "/v1/text-to-voice/design",
        params={"output_format": "mp3_44100_128"},
        json={"voice_description": DESCRIPTION, "text": TEXT, "seed": 3, "stream_previews": True},
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-vocalis-engine"] == "parler-tts"
    generated_voice_id = response.json()["previews"][0]["generated_voice_id"]
    streamed = parler_client.get(f"/v1/text-to-voice/{generated_voice_id}/stream")
    assert streamed.status_code == 200
    decoded = decode(streamed.content)
    assert decoded.samples.size > 0 and decoded.sample_rate in (SAMPLE_RATE, 44100)
