"""The Stable Audio engine through its real loader, on a tiny pipeline of the same diffusers/transformers
classes with random weights that the test builds and saves itself (the real weights are gigabytes)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from stable_audio_support import TINY_RATE, write_tiny_pipeline

from vocalis.app import create_app
from vocalis.config import Settings
from vocalis.engines import text_to_audio
from vocalis.engines.protocols import SoundGenerator, SoundOptions

pytest.importorskip("diffusers", reason="the text-to-audio extra (diffusers) is absent")
pytest.importorskip("torchsde", reason="the text-to-audio extra (torchsde) is absent")

KEY = "sk_test_0123456789abcdef"


@pytest.fixture(scope="module")
def tiny_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_pipeline(tmp_path_factory.mktemp("stable-audio-tiny"))


def test_loader_reads_a_saved_pipeline_folder(tiny_pipeline: Path, tmp_path: Path):
    assert text_to_audio.is_pipeline_dir(tiny_pipeline)
    pipeline = text_to_audio.load_pipeline(tiny_pipeline)
    assert type(pipeline).__name__ == "StableAudioPipeline"
    assert pipeline.vae.config.sampling_rate == TINY_RATE
    (tmp_path / "not-audio").mkdir()
    (tmp_path / "not-audio" / "model_index.json").write_text(json.dumps({"_class_name": "AudioLDM2Pipeline"}))
    with pytest.raises(ValueError, match="not a Stable Audio pipeline"):
        text_to_audio.load_pipeline(tmp_path / "not-audio")


def test_generator_renders_the_asked_length_and_repeats_with_a_seed(tiny_pipeline: Path):
    engine = text_to_audio.StableAudioGenerator(tiny_pipeline, steps=2, device="cpu")
    assert isinstance(engine, SoundGenerator)
    assert engine.max_seconds == pytest.approx(2.048)
    first = engine.generate("rain on the glass", SoundOptions(duration_seconds=1.5, seed=7))
    again = engine.generate("rain on the glass", SoundOptions(duration_seconds=1.5, seed=7))
    other = engine.generate("rain on the glass", SoundOptions(duration_seconds=1.5, seed=8))
    assert first.sample_rate == TINY_RATE
    assert first.audio.shape == (int(1.5 * TINY_RATE),)
    assert np.all(np.isfinite(first.audio))
    np.testing.assert_array_equal(first.audio, again.audio)
    assert not np.allclose(first.audio, other.audio)
    engine.unload()


def test_sound_generation_api_serves_it(tiny_pipeline: Path, tmp_path: Path, model_cache: Path):
    settings = Settings(
        home=tmp_path / "home",
        model_cache=model_cache,
        api_key=KEY,
        sound_effects_model_path=tiny_pipeline,
        sound_effects_steps=2,
    )
    with TestClient(create_app(settings), headers={"xi-api-key": KEY}) as client:
        response = client.post(
            "/v1/sound-generation",
            params={"output_format": "pcm_16000"},
            json={
                "text": "a dog bark",
                "duration_seconds": 1.2,
                "model_id": "eleven_text_to_sound_v2",
                "seed": 3,
            },
        )
        assert response.status_code == 200, response.text
        assert response.headers["x-vocalis-engine"] == "stable-audio-open"
        assert len(response.content) == 2 * round(1.2 * 16000)
        # The offline engine stays available under its own id.
        procedural = client.post("/v1/sound-generation", json={"text": "rain", "model_id": "procedural-sfx"})
        assert procedural.headers["x-vocalis-engine"] == "procedural-sfx"
        too_long = client.post("/v1/sound-generation", json={"text": "rain", "duration_seconds": 5})
        assert too_long.status_code == 400
        assert too_long.json()["detail"]["status"] == "invalid_duration"
