"""Sound effects through the official ElevenLabs SDK against a live server, as a user calls it."""

from __future__ import annotations

import numpy as np
import pytest
from elevenlabs.client import ElevenLabs
from elevenlabs.core.api_error import ApiError
from sdk_support import assert_elevenlabs_error, pcm16, rms

from vocalis.audio import decode


def test_docs_example_verbatim(sdk: ElevenLabs):
    audio = sdk.text_to_sound_effects.convert(text="Cinematic Braam, Horror")
    decoded = decode(b"".join(audio))
    assert decoded.sample_rate == 44100
    assert 0.5 <= decoded.duration_seconds <= 30
    assert rms(decoded.samples) > 0.01


@pytest.mark.parametrize(
    ("seconds", "output_format"), [(0.5, "pcm_16000"), (2.5, "pcm_24000"), (6.0, "pcm_44100")]
)
def test_duration_is_exact(sdk: ElevenLabs, seconds: float, output_format: str):
    audio = sdk.text_to_sound_effects.convert(
        text="Footsteps on gravel",
        duration_seconds=seconds,
        output_format=output_format,
        prompt_influence=0.8,
    )
    samples = pcm16(b"".join(audio))
    assert len(samples) == round(seconds * int(output_format.split("_")[1]))
    # Peaks sit at -1 dBFS; resampling may overshoot between samples, into that headroom but not past it.
    assert 0.0 < np.max(np.abs(samples)) < 0.99


def test_loop_and_model_id(sdk: ElevenLabs):
    audio = sdk.text_to_sound_effects.convert(
        text="Rain on a window",
        loop=True,
        duration_seconds=3.0,
        model_id="eleven_text_to_sound_v2",
        output_format="pcm_44100",
    )
    samples = pcm16(b"".join(audio))
    assert len(samples) == 3 * 44100
    assert abs(samples[0] - samples[-1]) <= np.percentile(np.abs(np.diff(samples)), 99.5)


def test_seed_repeats_through_additional_body_parameters(sdk: ElevenLabs):
    def render(text: str, seed: int) -> bytes:
        return b"".join(
            sdk.text_to_sound_effects.convert(
                text=text,
                duration_seconds=1.0,
                output_format="pcm_22050",
                request_options={"additional_body_parameters": {"seed": seed}},
            )
        )

    assert render("a dog barking", 11) == render("a dog barking", 11)
    assert render("a dog barking", 11) != render("a laser blast", 11)


def test_raw_response_reports_engine_recipe_and_cost(sdk: ElevenLabs):
    with sdk.text_to_sound_effects.with_raw_response.convert(
        text="Glass shattering on concrete", duration_seconds=1.0
    ) as response:
        b"".join(response.data)
        headers = response.headers
    assert headers["x-vocalis-engine"] == "procedural-sfx"
    assert headers["x-vocalis-recipe"] == "glass_shatter"
    assert headers["character-cost"] == "40"


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"duration_seconds": 45.0}, 422),
        ({"prompt_influence": 2.0}, 422),
        ({"model_id": "no_such_model"}, 400),
    ],
)
def test_bad_input_raises_api_errors(sdk: ElevenLabs, kwargs: dict, status: int):
    with pytest.raises(ApiError) as raised:
        b"".join(sdk.text_to_sound_effects.convert(text="rain", **kwargs))
    assert raised.value.status_code == status
    assert_elevenlabs_error(raised.value.body, "invalid_request" if status == 422 else "model_not_found")
