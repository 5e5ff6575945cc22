"""Voice changer through the official SDK (`speech_to_speech.convert` / `.stream`, which 2.x sends to
`/v1/voice-changer/...`) against a real server: corpus speech keeps its words and length and moves to the
target voice, the stream's first audio arrives long before its end, models and history validate with the
SDK's models, bad input is an ElevenLabs error.

`pytest -s` prints the figures.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
from elevenlabs.client import ElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.types import GetSpeechHistoryResponse, Model
from sdk_support import GEORGE, RACHEL, assert_elevenlabs_error, assert_matches_spec, validate, validate_list

from tests.e2e.isolation_quality import MP3_SLACK_SECONDS
from tests.e2e.voice_changer_quality import SAMPLE_RATE, Speech, corpus_speech, judge, load

pytestmark = pytest.mark.slow

MAX_WER = 0.10
MIN_SIMILARITY_GAIN = 0.2
TARGET_TEXT = "The museum opens at nine in the morning, and the guided tours leave every half hour."


@pytest.fixture(scope="module")
def speech(corpus: Path) -> dict[str, Speech]:
    return {found.name: found for found in corpus_speech(corpus)}


def test_convert_keeps_the_words_in_the_target_voice(sdk: ElevenLabs, speech: dict[str, Speech]):
    clip = speech["librispeech_61-70968-0000"]
    with clip.path.open("rb") as audio:
        mp3 = b"".join(
            sdk.speech_to_speech.convert(
                voice_id=RACHEL,
                audio=audio,
                model_id="eleven_multilingual_sts_v2",
                output_format="mp3_44100_128",
                voice_settings=json.dumps({"stability": 0.5, "similarity_boost": 0.75}),
                seed=1,
            )
        )
    source, output = load(clip.path), load(mp3)
    assert 0 <= (len(output) - len(source)) / SAMPLE_RATE <= MP3_SLACK_SECONDS
    target = load(
        b"".join(sdk.text_to_speech.convert(RACHEL, text=TARGET_TEXT, output_format="mp3_44100_128"))
    )
    figures = judge(clip, source, output[: len(source)], target)
    print(
        f"\n{clip.name} in Rachel's voice: WER {figures.errors}/{figures.words}, median word boundary error "
        f"{figures.median_boundary_error * 1000:.0f} ms (MP3), similarity "
        + ", ".join(
            f"{name} {figures.similarity_before[name]:.2f} -> {figures.similarity_after[name]:.2f}"
            for name in figures.similarity_before
        )
    )
    assert figures.wer < MAX_WER
    for name, before in figures.similarity_before.items():
        assert figures.similarity_after[name] > before + MIN_SIMILARITY_GAIN, name


def test_stream_starts_long_before_the_end(sdk: ElevenLabs, speech: dict[str, Speech]):
    """Three utterances a second apart (about 20 s): audio leaves as each phrase is spoken."""
    # The engines load first, as on a server that already served a request.
    warm = speech["librivox_sense_and_sensibility_0930"].path.read_bytes()
    assert b"".join(sdk.speech_to_speech.convert(voice_id=GEORGE, audio=("warm.wav", warm)))
    names = (
        "librivox_sense_and_sensibility_0920",
        "jfk_inaugural_excerpt",
        "librivox_sense_and_sensibility_0930",
    )
    pause = np.zeros(SAMPLE_RATE, np.float32)
    joined = np.concatenate([part for name in names for part in (load(speech[name].path), pause)])
    wav = io.BytesIO()
    soundfile.write(wav, joined, SAMPLE_RATE, format="WAV")
    started = time.monotonic()
    arrivals, received = [], bytearray()
    for chunk in sdk.speech_to_speech.stream(voice_id=GEORGE, audio=("long.wav", wav.getvalue()), seed=3):
        arrivals.append(time.monotonic() - started)
        received += chunk
    total = arrivals[-1]
    seconds = len(joined) / SAMPLE_RATE
    print(f"\n{seconds:.1f} s stream: first bytes after {arrivals[0]:.2f} s, done after {total:.2f} s")
    assert arrivals[0] < 0.5 * total
    assert 0 <= (len(load(bytes(received))) - len(joined)) / SAMPLE_RATE <= MP3_SLACK_SECONDS


def test_models_and_history_validate_with_the_sdk(sdk: ElevenLabs):
    body = sdk.models.with_raw_response.list()._response.json()
    assert_matches_spec("/v1/models", "get", body)
    models = {model.model_id: model for model in validate_list(Model, body)}
    for model_id in ("eleven_english_sts_v2", "eleven_multilingual_sts_v2"):
        assert models[model_id].can_do_voice_conversion and not models[model_id].can_do_text_to_speech
    raw = sdk.history.with_raw_response.list(source="STS")._response.json()
    assert_matches_spec("/v1/history", "get", raw)
    history = validate(GetSpeechHistoryResponse, raw)
    assert history.history and all(item.source == "STS" for item in history.history)
    assert {item.voice_id for item in history.history} >= {RACHEL, GEORGE}


def test_bad_input_through_the_sdk(sdk: ElevenLabs, speech: dict[str, Speech]):
    audio = speech["librivox_sense_and_sensibility_0930"].path.read_bytes()
    cases = [
        (dict(voice_id="no-such-voice", audio=("a.wav", audio)), 404, "voice_not_found"),
        (dict(voice_id=GEORGE, audio=("notes.txt", b"not audio at all")), 400, "invalid_audio"),
        (dict(voice_id=GEORGE, audio=("a.wav", audio), model_id="eleven_flash_v2_5"), 400, None),
        (dict(voice_id=GEORGE, audio=("a.wav", audio), output_format="mp3_8000_8"), 400, None),
    ]
    for call in (sdk.speech_to_speech.convert, sdk.speech_to_speech.stream):
        for fields, status, code in cases:
            with pytest.raises(ApiError) as refused:
                b"".join(call(**fields))
            assert refused.value.status_code == status, fields
            assert_elevenlabs_error(refused.value.body, code or refused.value.body["detail"]["status"])
