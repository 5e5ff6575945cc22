"""Voices and voice settings through the official SDK, every JSON body validated with the SDK's models."""

from __future__ import annotations

import pytest
from elevenlabs import VoiceSettings
from elevenlabs.client import ElevenLabs
from elevenlabs.types import (
    EditVoiceSettingsResponseModel,
    GetVoicesResponse,
    GetVoicesV2Response,
    Voice,
)
from elevenlabs.types import (
    VoiceSettings as VoiceSettingsModel,
)
from sdk_support import FAST_MODEL, GEORGE, RACHEL, assert_matches_spec, validate

ARIA = "9BWtsMINqrJLrRacOk9x"  # premade; no other test of the suite uses it
LIAM = "TX3LPaxmHKxFdv7VOQHJ"  # premade, Piper-backed; only the settings-in-TTS test uses it
DEFAULTS = {"stability": 0.5, "use_speaker_boost": True, "similarity_boost": 0.75, "style": 0.0, "speed": 1.0}


def _search(sdk: ElevenLabs, **kwargs) -> GetVoicesV2Response:
    raw = sdk.voices.with_raw_response.search(**kwargs)
    body = raw._response.json()
    assert_matches_spec("/v2/voices", "get", body)
    return validate(GetVoicesV2Response, body)


def test_get_all(sdk: ElevenLabs):
    raw = sdk.voices.with_raw_response.get_all()
    body = raw._response.json()
    listed = validate(GetVoicesResponse, body)
    assert_matches_spec("/v1/voices", "get", body)
    voices = {voice.voice_id: voice for voice in listed.voices}
    george = voices[GEORGE]
    assert george.name == "George" and george.category == "premade"
    assert george.labels and george.labels["accent"] == "british"
    assert george.settings is not None and george.settings.stability is not None
    assert voices[RACHEL].is_legacy is True
    # The plain SDK call gives the same voices.
    assert [voice.voice_id for voice in sdk.voices.get_all().voices] == list(voices)
    without_legacy = sdk.voices.get_all(show_legacy=False).voices
    assert RACHEL not in {voice.voice_id for voice in without_legacy}
    assert 0 < len(without_legacy) < len(listed.voices)


def test_search_sort_and_page_through_everything(sdk: ElevenLabs):
    total = len(sdk.voices.get_all().voices)
    seen: list[str] = []
    names: list[str] = []
    token = None
    pages = 0
    while True:
        page = _search(sdk, page_size=7, sort="name", sort_direction="asc", next_page_token=token)
        pages += 1
        assert page.total_count == total
        assert len(page.voices) <= 7
        seen += [voice.voice_id for voice in page.voices]
        names += [voice.name for voice in page.voices]
        if not page.has_more:
            assert page.next_page_token is None
            break
        assert page.next_page_token
        token = page.next_page_token
    assert pages == -(-total // 7)
    assert len(seen) == len(set(seen)) == total
    assert names == sorted(names, key=str.lower)
    descending = _search(sdk, page_size=3, sort="name", sort_direction="desc")
    assert [voice.name for voice in descending.voices] == sorted(names, key=str.lower, reverse=True)[:3]


def test_search_filters(sdk: ElevenLabs):
    found = _search(sdk, search="george")
    assert [voice.voice_id for voice in found.voices] == [GEORGE]
    british = _search(sdk, search="british", page_size=100)
    assert british.voices and all(voice.labels["accent"] == "british" for voice in british.voices)
    everything = _search(sdk, page_size=100).total_count
    assert _search(sdk, voice_type="default", page_size=100).total_count == everything
    assert _search(sdk, voice_type="personal").total_count == 0
    assert _search(sdk, category="premade", page_size=100).total_count == everything
    assert _search(sdk, category="cloned").total_count == 0
    chosen = _search(sdk, voice_ids=[GEORGE, RACHEL], include_total_count=True)
    assert {voice.voice_id for voice in chosen.voices} == {GEORGE, RACHEL}


def test_search_label_filters_of_sdk_2_78(sdk: ElevenLabs):
    female = _search(sdk, gender="female", page_size=100)
    assert female.voices and all(voice.labels["gender"] == "female" for voice in female.voices)
    british = _search(sdk, accent="british", page_size=100)
    assert british.voices and all(voice.labels["accent"] == "british" for voice in british.voices)


def test_get_voice(sdk: ElevenLabs):
    raw = sdk.voices.with_raw_response.get(GEORGE)
    body = raw._response.json()
    voice = validate(Voice, body)
    assert_matches_spec("/v1/voices/{voice_id}", "get", body)
    assert voice.voice_id == GEORGE and voice.name == "George"
    assert voice.preview_url and voice.preview_url.endswith(f"/v1/voices/{GEORGE}/preview")
    assert voice.verified_languages and {lang.model_id for lang in voice.verified_languages} >= {FAST_MODEL}
    assert sdk.voices.get(GEORGE, with_settings=True).settings is not None


def test_default_settings(sdk: ElevenLabs):
    raw = sdk.voices.settings.with_raw_response.get_default()
    body = raw._response.json()
    validate(VoiceSettingsModel, body)
    assert_matches_spec("/v1/voices/settings/default", "get", body)
    assert body == DEFAULTS
    assert sdk.voices.settings.get_default().similarity_boost == 0.75


def test_settings_get_update_roundtrip(sdk: ElevenLabs):
    raw = sdk.voices.settings.with_raw_response.get(ARIA)
    validate(VoiceSettingsModel, raw._response.json())
    assert_matches_spec("/v1/voices/{voice_id}/settings", "get", raw._response.json())
    before = sdk.voices.settings.get(ARIA)
    try:
        edited = sdk.voices.settings.with_raw_response.update(
            ARIA, request=VoiceSettings(stability=0.9, similarity_boost=0.6, speed=1.1)
        )
        body = edited._response.json()
        validate(EditVoiceSettingsResponseModel, body)
        assert_matches_spec("/v1/voices/{voice_id}/settings/edit", "post", body)
        assert body == {"status": "ok"}
        after = sdk.voices.settings.get(ARIA)
        assert (after.stability, after.similarity_boost, after.speed) == (0.9, 0.6, 1.1)
        assert after.style == before.style and after.use_speaker_boost == before.use_speaker_boost
        assert sdk.voices.get(ARIA).settings.stability == 0.9
        assert sdk.voices.settings.get(GEORGE).stability == DEFAULTS["stability"]  # other voices untouched
    finally:
        sdk.voices.settings.update(ARIA, request=before)
    assert sdk.voices.settings.get(ARIA).model_dump(exclude_none=True) == before.model_dump(exclude_none=True)


@pytest.mark.slow
def test_stored_settings_apply_to_speech(sdk: ElevenLabs):
    def duration() -> float:
        audio = sdk.text_to_speech.convert(
            voice_id=LIAM,
            text="Stored settings shape every request.",
            model_id=FAST_MODEL,
            output_format="pcm_16000",
            seed=3,
            enable_logging=False,
        )
        return len(b"".join(audio)) / 2 / 16000

    normal = duration()
    try:
        sdk.voices.settings.update(LIAM, request=VoiceSettings(speed=1.2))
        faster = duration()
    finally:
        sdk.voices.settings.update(LIAM, request=VoiceSettings(speed=1.0))
    assert faster < normal * 0.9
