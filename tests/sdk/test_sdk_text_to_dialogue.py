"""Text to Dialogue through the official ElevenLabs SDK against a live server, exactly as a user calls it."""

from __future__ import annotations

import base64
import json
import time

import pytest
from elevenlabs.client import ElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.types import (
    AudioWithTimestampsAndVoiceSegmentsResponseModel,
    DialogueInput,
    SpeechHistoryItemResponse,
    StreamingAudioChunkWithTimestampsAndVoiceSegmentsResponseModel,
)
from sdk_support import GEORGE, RACHEL, assert_elevenlabs_error, assert_matches_spec, pcm16, rms, validate

from vocalis.audio import decode

pytestmark = pytest.mark.slow

LINES = [
    DialogueInput(text="[cheerfully] Hello, how are you?", voice_id=RACHEL),
    DialogueInput(text="I'm doing well, thank you!", voice_id=GEORGE),
]
JOINED = " ".join(line.text for line in LINES)


def test_issue_example_verbatim(sdk: ElevenLabs):
    audio = sdk.text_to_dialogue.convert(
        inputs=[
            {"text": "[cheerfully] Hello, how are you?", "voice_id": "9BWtsMINqrJLrRacOk9x"},
            {"text": "[stuttering] I'm... I'm doing well, thank you", "voice_id": "IKne3meq5aSn9XLyUdCD"},
        ]
    )
    decoded = decode(b"".join(audio))
    assert decoded.sample_rate == 44100
    assert 2.0 < decoded.duration_seconds < 10
    assert rms(decoded.samples) > 0.01


def test_stream_sends_the_first_line_before_the_dialogue_is_done(sdk: ElevenLabs):
    lines = [
        DialogueInput(text="Good morning, did you sleep well?", voice_id=RACHEL),
        DialogueInput(text="Not really, the neighbours were loud.", voice_id=GEORGE),
        DialogueInput(text="Oh no. I'm sorry to hear that.", voice_id=RACHEL),
        DialogueInput(text="It's fine, I will have a coffee.", voice_id=GEORGE),
    ]
    started = time.monotonic()
    arrivals: list[float] = []
    chunks: list[bytes] = []
    with sdk.text_to_dialogue.with_raw_response.stream(
        inputs=lines, output_format="pcm_24000", enable_logging=False
    ) as response:
        assert response.headers["content-type"] == "audio/pcm"
        for chunk in response.data:
            arrivals.append(time.monotonic() - started)
            chunks.append(chunk)
    samples = pcm16(b"".join(chunks))
    print(
        f"\ndialogue stream: first bytes {arrivals[0]:.2f} s, last {arrivals[-1]:.2f} s, "
        f"audio {len(samples) / 24000:.1f} s"
    )
    assert arrivals[0] < 0.5 * arrivals[-1]
    assert len(samples) / 24000 > 6
    assert rms(samples) > 0.02


def test_convert_with_timestamps_matches_the_sdk_model(sdk: ElevenLabs):
    response = sdk.text_to_dialogue.with_raw_response.convert_with_timestamps(
        inputs=LINES, output_format="pcm_16000", seed=4, settings={"stability": 0.5}
    )
    headers = response.headers
    body = validate(AudioWithTimestampsAndVoiceSegmentsResponseModel, response._response.json())
    assert response.data.voice_segments == body.voice_segments
    samples = pcm16(base64.b64decode(body.audio_base_64))
    assert body.alignment is not None and "".join(body.alignment.characters) == JOINED
    segments = body.voice_segments
    assert [segment.voice_id for segment in segments] == [RACHEL, GEORGE]
    assert segments[-1].end_time_seconds == pytest.approx(len(samples) / 16000, abs=0.05)
    assert headers["character-cost"] == str(sum(len(line.text) for line in LINES))

    history = sdk.history.with_raw_response.get(headers["history-item-id"])._response.json()
    item = validate(SpeechHistoryItemResponse, history)
    assert_matches_spec("/v1/history/{history_item_id}", "get", history)
    assert item.dialogue is not None
    assert [(line.text, line.voice_id) for line in item.dialogue] == [
        (line.text, line.voice_id) for line in LINES
    ]
    assert item.request_id == headers["request-id"]


def test_stream_with_timestamps_yields_sdk_chunks(sdk: ElevenLabs, http):
    chunks = list(sdk.text_to_dialogue.stream_with_timestamps(inputs=LINES, output_format="mp3_22050_32"))
    assert len(chunks) >= 3
    assert all(
        isinstance(chunk, StreamingAudioChunkWithTimestampsAndVoiceSegmentsResponseModel) for chunk in chunks
    )
    text = "".join("".join(chunk.alignment.characters) for chunk in chunks if chunk.alignment)
    assert text == JOINED
    assert {segment.dialogue_input_index for chunk in chunks for segment in chunk.voice_segments} == {0, 1}
    assert decode(b"".join(base64.b64decode(chunk.audio_base_64) for chunk in chunks)).duration_seconds > 2
    # Strict validation of every raw line.
    body = {"inputs": [line.model_dump() for line in LINES]}
    with http.stream("POST", "/v1/text-to-dialogue/stream/with-timestamps", json=body) as response:
        for line in response.iter_lines():
            if line:
                validate(StreamingAudioChunkWithTimestampsAndVoiceSegmentsResponseModel, json.loads(line))


def test_errors_reach_the_sdk_in_elevenlabs_shape(sdk: ElevenLabs):
    with pytest.raises(ApiError) as caught:
        b"".join(sdk.text_to_dialogue.convert(inputs=[]))
    assert caught.value.status_code == 400
    assert_elevenlabs_error(caught.value.body, "invalid_parameters")
    with pytest.raises(ApiError) as caught:
        b"".join(sdk.text_to_dialogue.stream(inputs=[DialogueInput(text="Hi.", voice_id="doesNotExist0000")]))
    assert caught.value.status_code == 404
    assert_elevenlabs_error(caught.value.body, "voice_not_found")
    with pytest.raises(ApiError) as caught:
        sdk.text_to_dialogue.convert_with_timestamps(inputs=LINES, output_format="mp3_8000_8")
    assert caught.value.status_code == 400
    assert_elevenlabs_error(caught.value.body, "invalid_output_format")
