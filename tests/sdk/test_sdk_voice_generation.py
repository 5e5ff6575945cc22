"""The legacy voice generation API (`/v1/voice-generation/...`, in ElevenLabs' OpenAPI spec but no longer in
the SDK) against a live server over HTTP: the parameters, a generated voice of the asked gender, its
`generated_voice_id` header, saving it; responses validated with the OpenAPI schemas and the SDK's `Voice`."""

from __future__ import annotations

import httpx
import pytest
from elevenlabs.types import Voice
from sdk_support import assert_elevenlabs_error, assert_matches_spec, validate

from tests.e2e.quality import transcribe, word_errors
from tests.unit.test_premade_voices import median_f0
from vocalis.audio import decode, resample

pytestmark = pytest.mark.slow

TEXT = (
    "Every act of kindness, no matter how small, carries value and can make a difference, as no gesture of "
    "goodwill is ever wasted."
)


def test_parameters_list_what_generate_voice_takes(http: httpx.Client):
    response = http.get("/v1/voice-generation/generate-voice/parameters")
    assert response.status_code == 200
    body = response.json()
    assert_matches_spec("/v1/voice-generation/generate-voice/parameters", "get", body)
    assert {option["code"] for option in body["genders"]} == {"female", "male"}
    assert {option["code"] for option in body["ages"]} == {"young", "middle_aged", "old"}
    assert {"british", "american"} <= {option["code"] for option in body["accents"]}
    assert (body["minimum_characters"], body["maximum_characters"]) == (100, 1000)
    assert (body["minimum_accent_strength"], body["maximum_accent_strength"]) == (0.3, 2.0)


@pytest.mark.parametrize(
    ("gender", "age", "pitch_range"), [("male", "old", (60, 130)), ("female", "young", (170, 340))]
)
def test_generated_voice_speaks_the_text_and_is_saved(
    http: httpx.Client, gender: str, age: str, pitch_range: tuple[float, float]
):
    asked = {"gender": gender, "age": age, "accent": "british", "accent_strength": 1.0, "text": TEXT}
    response = http.post("/v1/voice-generation/generate-voice", json=asked)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/mpeg"
    assert response.headers["character-cost"] == str(len(TEXT))
    generated_voice_id = response.headers["generated_voice_id"]
    audio = decode(response.content)
    speech = resample(audio.samples, audio.sample_rate, 16000)
    assert pitch_range[0] < median_f0(speech, 16000) < pitch_range[1]
    wrong, total = word_errors(TEXT, transcribe(speech))
    assert wrong / total < 0.1, transcribe(speech)

    saved = http.post(
        "/v1/voice-generation/create-voice",
        json={
            "voice_name": f"Generated {gender}",
            "voice_description": f"An {age} {gender} voice",
            "generated_voice_id": generated_voice_id,
            "labels": {"language": "en"},
        },
    )
    assert saved.status_code == 200, saved.text
    assert_matches_spec("/v1/voice-generation/create-voice", "post", saved.json())
    voice = validate(Voice, saved.json())
    assert voice.category == "generated"
    assert voice.labels == {"gender": gender, "age": age, "accent": "british", "language": "en"}
    # The saved voice is the generated one: the same preview, streamed by the text-to-voice API.
    streamed = http.get(f"/v1/text-to-voice/{generated_voice_id}/stream")
    assert streamed.content == response.content
    assert http.delete(f"/v1/voices/{voice.voice_id}").status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"gender": "robot"},
        {"age": "ancient"},
        {"accent": "martian"},
        {"accent_strength": 2.5},
        {"text": "Too short."},
    ],
)
def test_bad_generation_requests(http: httpx.Client, change: dict):
    asked = {"gender": "male", "age": "old", "accent": "british", "accent_strength": 1.0, "text": TEXT}
    response = http.post("/v1/voice-generation/generate-voice", json={**asked, **change})
    assert response.status_code == 422
    assert_elevenlabs_error(response.json(), "invalid_request")


def test_saving_an_unknown_generated_voice(http: httpx.Client):
    response = http.post(
        "/v1/voice-generation/create-voice",
        json={"voice_name": "X", "voice_description": "x", "generated_voice_id": "NoSuchVoice"},
    )
    assert response.status_code == 404
    assert_elevenlabs_error(response.json(), "generated_voice_not_found")
