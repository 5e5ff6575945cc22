"""Errors as the official SDK surfaces them: status codes and ElevenLabs' `{"detail": {...}}` bodies.

SDK 2.78 maps only a few statuses to typed errors (422 -> UnprocessableEntityError everywhere, 400 ->
BadRequestError only on `history.download`); every other status is a plain `ApiError` with `status_code`.
"""

from __future__ import annotations

import pytest
from elevenlabs import VoiceSettings
from elevenlabs.client import ElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.errors import BadRequestError, UnprocessableEntityError
from sdk_support import FAST_MODEL, GEORGE, assert_elevenlabs_error


def _convert_error(sdk: ElevenLabs, **kwargs) -> ApiError:
    arguments = {"voice_id": GEORGE, "text": "Hello.", "model_id": FAST_MODEL, **kwargs}
    with pytest.raises(ApiError) as caught:
        b"".join(sdk.text_to_speech.convert(**arguments))
    return caught.value


def test_unknown_voice_is_404(sdk: ElevenLabs):
    error = _convert_error(sdk, voice_id="doesNotExist0000000000")
    assert error.status_code == 404
    assert_elevenlabs_error(error.body, "voice_not_found")
    with pytest.raises(ApiError) as caught:
        sdk.voices.get("doesNotExist0000000000")
    assert caught.value.status_code == 404
    assert_elevenlabs_error(caught.value.body, "voice_not_found")
    with pytest.raises(ApiError) as caught:
        sdk.voices.settings.get("doesNotExist0000000000")
    assert caught.value.status_code == 404


def test_wrong_api_key_is_401(base_url: str):
    intruder = ElevenLabs(api_key="sk_wrong_key", base_url=base_url)
    with pytest.raises(ApiError) as caught:
        intruder.voices.get_all()
    assert caught.value.status_code == 401
    assert caught.value.body == {"detail": {"status": "invalid_api_key", "message": "Invalid API key."}}
    with pytest.raises(ApiError) as caught:
        b"".join(intruder.text_to_speech.convert(voice_id=GEORGE, text="Hello."))
    assert caught.value.status_code == 401
    assert_elevenlabs_error(caught.value.body, "invalid_api_key")


def test_unknown_model_is_400(sdk: ElevenLabs):
    error = _convert_error(sdk, model_id="eleven_nonexistent_v9")
    assert error.status_code == 400
    assert_elevenlabs_error(error.body, "model_not_found")


@pytest.mark.parametrize(("model_id", "limit"), [("eleven_multilingual_v2", 10_000), (FAST_MODEL, 40_000)])
def test_text_over_the_model_limit_is_400(sdk: ElevenLabs, model_id: str, limit: int):
    listed = {model.model_id: model for model in sdk.models.list()}
    assert listed[model_id].maximum_text_length_per_request == limit
    error = _convert_error(sdk, model_id=model_id, text="a" * (limit + 1))
    assert error.status_code == 400
    assert_elevenlabs_error(error.body, "max_character_limit_exceeded")
    assert str(limit) in error.body["detail"]["message"]


def test_out_of_range_speed_is_422(sdk: ElevenLabs):
    with pytest.raises(UnprocessableEntityError) as caught:
        b"".join(
            sdk.text_to_speech.convert(
                voice_id=GEORGE, text="Hello.", model_id=FAST_MODEL, voice_settings=VoiceSettings(speed=3.0)
            )
        )
    assert caught.value.status_code == 422
    assert_elevenlabs_error(caught.value.body, "invalid_request")
    assert "speed" in caught.value.body["detail"]["message"]
    with pytest.raises(UnprocessableEntityError) as caught:
        sdk.voices.settings.update(GEORGE, request=VoiceSettings(stability=1.5))
    assert_elevenlabs_error(caught.value.body, "invalid_request")


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"text": "   "}, "empty_text"),
        ({"output_format": "mp3_1_1"}, "invalid_output_format"),
        ({"optimize_streaming_latency": 7}, "invalid_parameters"),
        ({"apply_text_normalization": "on"}, "invalid_parameters"),  # refused for Flash, as on ElevenLabs
        ({"language_code": "es"}, "unsupported_language"),
    ],
)
def test_other_bad_requests_are_400(sdk: ElevenLabs, kwargs: dict, code: str):
    error = _convert_error(sdk, **kwargs)
    assert error.status_code == 400
    assert_elevenlabs_error(error.body, code)


def test_premade_voice_cannot_be_deleted(sdk: ElevenLabs):
    with pytest.raises(ApiError) as caught:
        sdk.voices.delete(GEORGE)
    assert caught.value.status_code == 400
    assert_elevenlabs_error(caught.value.body, "voice_not_deletable")
    assert sdk.voices.get(GEORGE).voice_id == GEORGE  # still there
    with pytest.raises(ApiError) as caught:
        sdk.voices.delete("doesNotExist0000000000")
    assert caught.value.status_code == 404


def test_history_errors(sdk: ElevenLabs):
    with pytest.raises(ApiError) as caught:
        sdk.history.get("doesNotExist0000000000")
    assert caught.value.status_code == 404
    assert_elevenlabs_error(caught.value.body, "history_item_not_found")
    with pytest.raises(ApiError) as caught:
        sdk.history.delete("doesNotExist0000000000")
    assert caught.value.status_code == 404
    with pytest.raises(ApiError) as caught:
        b"".join(sdk.history.download(history_item_ids=["doesNotExist0000000000"]))
    assert caught.value.status_code == 404
    with pytest.raises(BadRequestError) as caught:
        b"".join(sdk.history.download(history_item_ids=["doesNotExist0000000000"], output_format="nope"))
    assert_elevenlabs_error(caught.value.body, "invalid_output_format")
