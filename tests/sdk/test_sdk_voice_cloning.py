"""Instant voice cloning through the official SDK against a live server: `voices.ivc.create`, `voices.get`,
`voices.update`, `voices.samples.audio.get`, `samples.delete`, speech in the new voice, `voices.delete`; every
JSON body validated with the SDK's models and the OpenAPI spec."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from elevenlabs.client import ElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.types import (
    AddVoiceIvcResponseModel,
    DeleteSampleResponse,
    DeleteVoiceResponseModel,
    EditVoiceResponseModel,
    Voice,
)
from sdk_support import assert_elevenlabs_error, assert_matches_spec, validate

from vocalis.audio import decode

pytestmark = pytest.mark.slow


def _get(sdk: ElevenLabs, voice_id: str) -> Voice:
    body = sdk.voices.with_raw_response.get(voice_id)._response.json()
    assert_matches_spec("/v1/voices/{voice_id}", "get", body)
    return validate(Voice, body)


def test_clone_speak_edit_and_delete(sdk: ElevenLabs, corpus: Path):
    folder = corpus / "voice_reference"
    first, second = folder / "ljspeech_LJ050-0131.wav", folder / "librispeech_198-209-0000.ogg"
    raw = sdk.voices.ivc.with_raw_response.create(
        name="Narrator",
        files=[
            ("lj.wav", first.read_bytes(), "audio/wav"),
            ("heather.ogg", second.read_bytes(), "audio/ogg"),
        ],
        description="Two readers, one voice",
        labels={"language": "en"},
    )
    body = raw._response.json()
    assert_matches_spec("/v1/voices/add", "post", body)
    voice_id = validate(AddVoiceIvcResponseModel, body).voice_id

    voice = _get(sdk, voice_id)
    assert voice.category == "cloned" and voice.name == "Narrator" and voice.is_owner
    assert voice.labels is not None and voice.labels["language"] == "en"
    assert voice.labels["vocalis_clone_method"] == "nearest-voice"
    assert voice.samples is not None and [s.file_name for s in voice.samples] == ["lj.wav", "heather.ogg"]
    assert voice.samples[1].mime_type == "audio/ogg" and voice.samples[1].duration_secs == pytest.approx(
        13.91, 0.01
    )

    audio = b"".join(sdk.text_to_speech.convert(voice_id, text="Shall we begin the reading?"))
    assert decode(audio).duration_seconds > 1.0
    sample_audio = b"".join(sdk.voices.samples.audio.get(voice_id, voice.samples[0].sample_id))
    assert sample_audio == first.read_bytes()

    edited = sdk.voices.with_raw_response.update(voice_id, name="Narrator two", description="Renamed")
    assert validate(EditVoiceResponseModel, edited._response.json()).status == "ok"
    assert_matches_spec("/v1/voices/{voice_id}/edit", "post", edited._response.json())
    deleted = sdk.samples.with_raw_response.delete(voice_id, voice.samples[0].sample_id)
    assert validate(DeleteSampleResponse, deleted._response.json()).status == "ok"
    voice = _get(sdk, voice_id)
    assert voice.name == "Narrator two" and voice.description == "Renamed"
    assert voice.samples is not None and [s.file_name for s in voice.samples] == ["heather.ogg"]

    removed = sdk.voices.with_raw_response.delete(voice_id)
    assert validate(DeleteVoiceResponseModel, removed._response.json()).status == "ok"
    with pytest.raises(ApiError) as missing:
        sdk.voices.get(voice_id)
    assert missing.value.status_code == 404


def test_bad_files_are_refused(sdk: ElevenLabs):
    with pytest.raises(ApiError) as refused:
        sdk.voices.ivc.create(name="Bad", files=[("notes.txt", io.BytesIO(b"just text"), "text/plain")])
    assert refused.value.status_code == 400
    assert_elevenlabs_error(refused.value.body, "invalid_audio")
    with pytest.raises(ApiError) as premade:
        sdk.voices.update("JBFqnCBsd6RMkjVDRZzb", name="Mine")
    assert premade.value.status_code == 400
    assert_elevenlabs_error(premade.value.body, "voice_not_editable")
