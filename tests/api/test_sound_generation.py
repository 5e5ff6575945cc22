"""`POST /v1/sound-generation` through the ASGI app, on the procedural engine: exact durations in every
codec, recipe choice, loudness, loops, seeds, and the errors of bad requests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from vocalis.app import create_app
from vocalis.audio import decode
from vocalis.config import Settings
from vocalis.sound_effects import dsp

KEY = "sk_test_0123456789abcdef"


@pytest.fixture(scope="module")
def sfx_client(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[TestClient]:
    """One app for the module, so the prompt matcher's model loads once."""
    settings = Settings(home=tmp_path_factory.mktemp("sfx-home"), model_cache=model_cache, api_key=KEY)
    with TestClient(create_app(settings), headers={"xi-api-key": KEY}) as client:
        yield client


def generate(client: TestClient, output_format: str = "pcm_44100", **body) -> tuple[bytes, dict[str, str]]:
    response = client.post("/v1/sound-generation", params={"output_format": output_format}, json=body)
    assert response.status_code == 200, response.text
    return response.content, dict(response.headers)


def pcm(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2").astype(np.float64) / 32768


@pytest.mark.parametrize(
    ("output_format", "seconds"),
    [("pcm_44100", 0.5), ("pcm_16000", 1.25), ("pcm_22050", 3.0), ("pcm_48000", 2.2), ("ulaw_8000", 1.7)],
)
def test_raw_formats_are_exactly_as_long_as_asked(sfx_client: TestClient, output_format: str, seconds: float):
    data, headers = generate(sfx_client, output_format, text="wind howling", duration_seconds=seconds)
    rate = int(output_format.split("_")[1])
    samples = len(data) // (1 if output_format.startswith("ulaw") else 2)
    assert samples == round(seconds * rate)
    assert headers["content-type"].startswith("audio/")
    assert headers["character-cost"] == str(round(40 * seconds))


@pytest.mark.parametrize("output_format", ["mp3_44100_128", "opus_48000_64"])
def test_compressed_formats_decode_to_the_asked_duration(sfx_client: TestClient, output_format: str):
    data, headers = generate(sfx_client, output_format, text="car engine idling", duration_seconds=2.0)
    assert headers["content-type"] == ("audio/mpeg" if output_format.startswith("mp3") else "audio/ogg")
    # MP3 frames and the encoder's priming add a few tens of milliseconds; Ogg Opus trims them.
    assert decode(data).duration_seconds == pytest.approx(2.0, abs=0.08)


def test_prompt_chooses_the_recipe(sfx_client: TestClient):
    for text, recipe in {
        "Glass shattering on concrete": "glass_shatter",
        "A dog barking in the distance": "dog_bark",
        "Police car siren passing by": "siren",
        "Cinematic Braam, Horror": "braam",
    }.items():
        _, headers = generate(sfx_client, text=text, duration_seconds=0.5)
        assert headers["x-vocalis-engine"] == "procedural-sfx"
        assert headers["x-vocalis-recipe"] == recipe
        assert headers["x-vocalis-matcher"] in ("all-minilm-l6-v2", "keywords")


def test_automatic_duration_comes_from_the_recipe_and_prompt(sfx_client: TestClient):
    three, headers = generate(sfx_client, text="three knocks on a door")
    eight, _ = generate(sfx_client, text="eight knocks on a door")
    assert headers["character-cost"] == "200"
    assert 0.5 <= len(three) / 2 / 44100 < len(eight) / 2 / 44100 <= 30
    named, _ = generate(sfx_client, text="a 4 second whoosh")
    assert len(named) / 2 / 44100 == pytest.approx(4.0, abs=1e-4)


def test_loudness_is_sane_and_never_clips(sfx_client: TestClient):
    for text in ("heavy rain", "explosion", "a mouse click", "distant thunder", "crowd murmuring", "gunshot"):
        audio = pcm(generate(sfx_client, text=text, duration_seconds=2.0, seed=5)[0])
        assert np.max(np.abs(audio)) <= 0.9  # -1 dBFS ceiling
        assert -36.0 <= dsp.loudness_lufs(audio, 44100) <= -12.0, text


def test_loop_joins_end_to_start(sfx_client: TestClient):
    for text in ("rain on a window", "campfire crackling", "sci-fi drone"):
        audio = pcm(generate(sfx_client, text=text, duration_seconds=3.0, loop=True, seed=9)[0])
        steps = np.abs(np.diff(audio))
        assert abs(audio[0] - audio[-1]) <= np.percentile(steps, 99.5), text
        # No level step at the seam either: the last and first 50 ms are equally loud.
        edge = 2205
        tail, head = np.sqrt(np.mean(audio[-edge:] ** 2)), np.sqrt(np.mean(audio[:edge] ** 2))
        assert 0.5 < head / tail < 2.0, text


def test_a_seed_repeats_and_prompts_differ(sfx_client: TestClient):
    first, headers = generate(sfx_client, text="dog barking", duration_seconds=1.0, seed=123)
    assert headers["x-vocalis-seed"] == "123"
    again, _ = generate(sfx_client, text="dog barking", duration_seconds=1.0, seed=123)
    other_seed, _ = generate(sfx_client, text="dog barking", duration_seconds=1.0, seed=124)
    other_prompt, _ = generate(sfx_client, text="laser blast", duration_seconds=1.0, seed=123)
    assert first == again
    assert first != other_seed and first != other_prompt
    unseeded, headers = generate(sfx_client, text="dog barking", duration_seconds=1.0)
    replay, _ = generate(
        sfx_client, text="dog barking", duration_seconds=1.0, seed=int(headers["x-vocalis-seed"])
    )
    assert unseeded == replay


@pytest.mark.parametrize(
    ("body", "params", "status", "code"),
    [
        ({"text": "rain", "duration_seconds": 0.4}, {}, 422, "invalid_request"),
        ({"text": "rain", "duration_seconds": 30.5}, {}, 422, "invalid_request"),
        ({"text": "rain", "prompt_influence": 1.5}, {}, 422, "invalid_request"),
        ({"text": "   "}, {}, 400, "empty_text"),
        ({"duration_seconds": 2}, {}, 422, "invalid_request"),
        ({"text": "rain"}, {"output_format": "mp3_1_2"}, 400, "invalid_output_format"),
        ({"text": "rain", "model_id": "stable-audio-open"}, {}, 400, "model_not_found"),
        ({"text": "rain", "model_id": "nope"}, {}, 400, "model_not_found"),
    ],
)
def test_bad_requests_are_refused_clearly(
    sfx_client: TestClient, body: dict, params: dict, status: int, code: str
):
    response = sfx_client.post("/v1/sound-generation", params=params, json=body)
    assert response.status_code == status
    detail = response.json()["detail"]
    assert detail["status"] == code and detail["message"]


def test_needs_an_api_key(sfx_client: TestClient):
    response = sfx_client.post("/v1/sound-generation", json={"text": "rain"}, headers={"xi-api-key": "wrong"})
    assert response.status_code == 401
