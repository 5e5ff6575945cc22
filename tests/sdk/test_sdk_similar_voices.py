"""`client.voices.find_similar_voices` through the official SDK against a live server: a premade voice's own
speech finds it first, `top_k` and `similarity_threshold` limit the list, bad input is refused; every JSON
body validated with the SDK's models and the OpenAPI spec."""

from __future__ import annotations

import io

import pytest
from elevenlabs.client import ElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.types import GetLibraryVoicesResponse
from sdk_support import GEORGE, assert_elevenlabs_error, assert_matches_spec, validate

pytestmark = pytest.mark.slow

# About 8 s of speech: long enough for the speaker encoders to settle on the voice rather than the words.
TEXT = (
    "Good morning. Today we will walk through the harbour, look at the old ships, and then have lunch by the "
    "water before the rain comes."
)


def _find(sdk: ElevenLabs, audio: bytes, **kwargs) -> tuple[GetLibraryVoicesResponse, list[float]]:
    raw = sdk.voices.with_raw_response.find_similar_voices(
        audio_file=("speech.mp3", audio, "audio/mpeg"), **kwargs
    )
    body = raw._response.json()
    assert_matches_spec("/v1/similar-voices", "post", body)
    header = raw.headers["x-vocalis-distances"]
    return validate(GetLibraryVoicesResponse, body), [float(d) for d in header.split(",") if d]


def test_a_premade_voices_speech_finds_it_first(sdk: ElevenLabs):
    speech = b"".join(sdk.text_to_speech.convert(GEORGE, text=TEXT, seed=1))
    found, distances = _find(sdk, speech, top_k=3)
    assert [voice.voice_id for voice in found.voices][0] == GEORGE
    assert len(found.voices) == 3 and found.has_more is True and found.last_sort_id is None
    george = found.voices[0]
    assert george.name == "George" and george.category == "premade" and george.gender == "male"
    assert george.accent == "british" and george.language == "en" and george.date_unix == 0
    assert george.usage_character_count_1_y == 0 and george.cloned_by_count == 0
    assert george.preview_url and george.preview_url.endswith(f"/v1/voices/{GEORGE}/preview")
    assert george.verified_languages and george.verified_languages[0].language == "en"
    assert distances == sorted(distances) and len(distances) == 3

    # A threshold between the closest two distances keeps George alone; the plain call parses the same.
    alone = sdk.voices.find_similar_voices(
        audio_file=("speech.mp3", speech, "audio/mpeg"),
        similarity_threshold=(distances[0] + distances[1]) / 2,
    )
    assert [voice.voice_id for voice in alone.voices] == [GEORGE] and alone.has_more is False


def test_bad_input_is_refused(sdk: ElevenLabs):
    with pytest.raises(ApiError) as not_audio:
        sdk.voices.find_similar_voices(audio_file=("notes.txt", io.BytesIO(b"just text"), "text/plain"))
    assert not_audio.value.status_code == 400
    assert_elevenlabs_error(not_audio.value.body, "invalid_audio")
    with pytest.raises(ApiError) as missing:
        sdk.voices.find_similar_voices(top_k=5)
    assert missing.value.status_code == 400
    assert_elevenlabs_error(missing.value.body, "invalid_parameters")
    for fields in ({"top_k": 101}, {"similarity_threshold": 2.5}):
        with pytest.raises(ApiError) as out_of_range:
            sdk.voices.find_similar_voices(audio_file=("x.wav", io.BytesIO(b"RIFF"), "audio/wav"), **fields)
        assert out_of_range.value.status_code == 400
        assert_elevenlabs_error(out_of_range.value.body, "invalid_parameters")
