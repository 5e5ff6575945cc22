"""Text to speech through the official ElevenLabs SDK against a live server, exactly as a user calls it."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest
from elevenlabs import VoiceSettings
from elevenlabs.client import AsyncElevenLabs, ElevenLabs
from elevenlabs.types import (
    AudioWithTimestampsResponse,
    SpeechHistoryItemResponse,
    StreamingAudioChunkWithTimestampsResponse,
)
from sdk_support import (
    FAST_MODEL,
    GEORGE,
    RACHEL,
    LiveServer,
    assert_matches_spec,
    pcm16,
    rms,
    ulaw,
    validate,
)

from vocalis.audio import decode

pytestmark = pytest.mark.slow

SHORT = "Hello from the official SDK."
SENTENCES = "This is the first sentence. Here comes a second one. And a third sentence ends the stream."


def test_issue_example_verbatim(sdk: ElevenLabs):
    client = sdk
    audio = client.text_to_speech.convert(
        text="The first move is what sets everything in motion.",
        voice_id="JBFqnCBsd6RMkjVDRZzb",
        model_id="eleven_multilingual_v2",
        output_format="mp3_44100_128",
    )
    data = b"".join(chunk for chunk in audio)
    decoded = decode(data)
    assert decoded.sample_rate == 44100
    assert 1.5 < decoded.duration_seconds < 8
    assert rms(decoded.samples) > 0.01


def test_raw_response_headers_and_history_link(sdk: ElevenLabs, server: LiveServer):
    with sdk.text_to_speech.with_raw_response.convert(
        voice_id=GEORGE, text=SHORT, model_id=FAST_MODEL, output_format="mp3_44100_128"
    ) as response:
        assert response.status_code == 200
        headers = response.headers
        audio = b"".join(response.data)
    assert headers["content-type"] == "audio/mpeg"
    request_id = headers["request-id"]
    assert len(request_id) >= 16
    assert headers["character-cost"] == str(len(SHORT))
    assert headers["current-concurrent-requests"] == "1"  # the suite runs one request at a time
    assert headers["maximum-concurrent-requests"] == str(server.settings.engine_concurrency)
    # The httpx response is there too, as the SDK docs describe.
    assert response._response.headers["request-id"] == request_id

    raw = sdk.history.with_raw_response.get(headers["history-item-id"])
    item = validate(SpeechHistoryItemResponse, raw._response.json())
    assert_matches_spec("/v1/history/{history_item_id}", "get", raw._response.json())
    assert item.request_id == request_id
    assert item.text == SHORT and item.voice_id == GEORGE and item.model_id == FAST_MODEL
    assert b"".join(sdk.history.get_audio(item.history_item_id)) == audio


def test_convert_with_every_request_option(sdk: ElevenLabs):
    text = "Good morning. It costs $5 today!"
    with sdk.text_to_speech.with_raw_response.convert(
        voice_id=GEORGE,
        text=text,
        model_id=FAST_MODEL,
        output_format="pcm_16000",
        voice_settings=VoiceSettings(
            stability=0.4, similarity_boost=0.8, style=0.0, use_speaker_boost=True, speed=1.1
        ),
        seed=1234,
        previous_text="We had a long night.",
        next_text="Let us get started.",
        apply_text_normalization="auto",
        enable_logging=False,
        optimize_streaming_latency=2,
    ) as response:
        headers = response.headers
        samples = pcm16(b"".join(response.data))
    assert headers["content-type"] == "audio/pcm"
    assert 1.0 < len(samples) / 16000 < 6
    assert rms(samples) > 0.01
    # Zero retention: no history item, and the request id is nowhere in the history.
    assert "history-item-id" not in headers
    history = sdk.history.list(page_size=1000)
    assert headers["request-id"] not in {item.request_id for item in history.history}


def test_voice_settings_speed_and_seed_are_honoured(sdk: ElevenLabs):
    def render(speed: float, seed: int) -> bytes:
        audio = sdk.text_to_speech.convert(
            voice_id=GEORGE,
            text=SHORT,
            model_id=FAST_MODEL,
            output_format="pcm_16000",
            voice_settings=VoiceSettings(stability=0.2, speed=speed),
            seed=seed,
            enable_logging=False,
        )
        return b"".join(audio)

    slow, again, other_seed, fast = render(0.8, 7), render(0.8, 7), render(0.8, 8), render(1.2, 7)
    assert slow == again
    assert slow != other_seed
    assert len(slow) > len(fast) * 1.25


def test_request_stitching_with_previous_request_ids(sdk: ElevenLabs):
    with sdk.text_to_speech.with_raw_response.convert(
        voice_id=GEORGE, text="This is the first part.", model_id=FAST_MODEL, output_format="pcm_16000"
    ) as first:
        first_id = first.headers["request-id"]
        b"".join(first.data)
    with sdk.text_to_speech.with_raw_response.convert(
        voice_id=GEORGE,
        text="And this is the second part.",
        model_id=FAST_MODEL,
        output_format="pcm_16000",
        previous_request_ids=[first_id],
    ) as second:
        assert second.status_code == 200
        second_id = second.headers["request-id"]
        samples = pcm16(b"".join(second.data))
    assert second_id != first_id
    assert len(samples) / 16000 > 1.0
    # Re-render the first part knowing what follows it.
    audio = sdk.text_to_speech.convert(
        voice_id=GEORGE,
        text="This is the first part.",
        model_id=FAST_MODEL,
        output_format="pcm_16000",
        next_request_ids=[second_id],
    )
    assert len(b"".join(audio)) > 16000


@pytest.mark.parametrize(
    ("output_format", "content_type"),
    [
        ("mp3_44100_128", "audio/mpeg"),
        ("mp3_22050_32", "audio/mpeg"),
        ("pcm_16000", "audio/pcm"),
        ("ulaw_8000", "audio/basic"),
        ("opus_48000_64", "audio/ogg"),
    ],
)
def test_output_formats(sdk: ElevenLabs, output_format: str, content_type: str):
    with sdk.text_to_speech.with_raw_response.convert(
        voice_id=GEORGE, text=SHORT, model_id=FAST_MODEL, output_format=output_format, enable_logging=False
    ) as response:
        assert response.headers["content-type"] == content_type
        data = b"".join(response.data)
    codec, rate = output_format.split("_")[:2]
    if codec == "pcm":
        samples, sample_rate = pcm16(data), int(rate)
    elif codec == "ulaw":
        samples, sample_rate = ulaw(data), int(rate)
    else:
        decoded = decode(data)
        samples, sample_rate = decoded.samples, decoded.sample_rate
        assert sample_rate == int(rate)
    assert 0.8 < len(samples) / sample_rate < 6
    assert rms(samples) > 0.01


@pytest.mark.parametrize("latency", [0, 4])
def test_stream_arrives_in_several_chunks(sdk: ElevenLabs, latency: int):
    started = time.monotonic()
    arrivals: list[float] = []
    chunks: list[bytes] = []
    for chunk in sdk.text_to_speech.stream(
        voice_id=GEORGE,
        text=SENTENCES,
        model_id=FAST_MODEL,
        output_format="pcm_16000",
        optimize_streaming_latency=latency,
        enable_logging=False,
    ):
        arrivals.append(time.monotonic() - started)
        chunks.append(chunk)
    assert len(chunks) >= 3
    assert all(chunks)
    assert arrivals[0] < arrivals[-1]
    assert len(b"".join(chunks)) / 2 / 16000 > 3


def test_stream_raw_response_is_chunked_with_headers(sdk: ElevenLabs):
    with sdk.text_to_speech.with_raw_response.stream(
        voice_id=GEORGE, text=SENTENCES, model_id=FAST_MODEL, output_format="mp3_44100_128"
    ) as response:
        headers = response.headers
        audio = b"".join(response.data)
    assert headers["content-type"] == "audio/mpeg"
    assert headers.get("transfer-encoding") == "chunked" and "content-length" not in headers
    assert headers["character-cost"] == str(len(SENTENCES))
    assert {"request-id", "current-concurrent-requests", "maximum-concurrent-requests"} <= set(headers)
    assert decode(audio).duration_seconds > 3
    # A finished stream is in the history, with its audio.
    item = sdk.history.get(headers["history-item-id"])
    assert item.request_id == headers["request-id"]
    assert b"".join(sdk.history.get_audio(item.history_item_id)) == audio


@pytest.mark.parametrize(("voice_id", "model_id"), [(GEORGE, FAST_MODEL), (RACHEL, "eleven_multilingual_v2")])
def test_convert_with_timestamps(sdk: ElevenLabs, voice_id: str, model_id: str):
    text = "Hello there. It costs $5 today!"
    raw = sdk.text_to_speech.with_raw_response.convert_with_timestamps(
        voice_id, text=text, model_id=model_id, output_format="mp3_44100_128"
    )
    body = raw._response.json()
    result = validate(AudioWithTimestampsResponse, body)
    assert_matches_spec("/v1/text-to-speech/{voice_id}/with-timestamps", "post", body)
    assert raw.headers["character-cost"] == str(len(text))
    assert raw.data.audio_base_64 == result.audio_base_64  # what SDK users read
    assert result.alignment is not None and result.normalized_alignment is not None
    assert "".join(result.alignment.characters) == text
    assert "five dollars" in "".join(result.normalized_alignment.characters)
    starts = result.alignment.character_start_times_seconds
    ends = result.alignment.character_end_times_seconds
    assert len(starts) == len(ends) == len(text)
    assert all(later >= earlier - 1e-6 for earlier, later in zip(starts, starts[1:]))
    audio = decode(base64.b64decode(result.audio_base_64))
    assert audio.sample_rate == 44100
    assert abs(ends[-1] - audio.duration_seconds) < 0.5


def test_stream_with_timestamps(sdk: ElevenLabs):
    chunks = list(
        sdk.text_to_speech.stream_with_timestamps(
            voice_id=GEORGE, text=SENTENCES, model_id=FAST_MODEL, output_format="mp3_44100_128"
        )
    )
    assert len(chunks) >= 3
    spelled = "".join(c for chunk in chunks if chunk.alignment for c in chunk.alignment.characters)
    assert spelled == SENTENCES
    audio = decode(b"".join(base64.b64decode(chunk.audio_base_64) for chunk in chunks))
    assert audio.duration_seconds > 3


def test_stream_with_timestamps_lines_validate(sdk: ElevenLabs):
    # The SDK silently drops lines it cannot parse, so validate the raw NDJSON lines it would read.
    with sdk.text_to_speech.with_raw_response.stream_with_timestamps(
        voice_id=GEORGE, text="One sentence here. Another sentence there.", model_id=FAST_MODEL
    ) as response:
        assert response.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in response._response.iter_lines() if line]
    assert len(lines) >= 2
    for line in lines:
        validate(StreamingAudioChunkWithTimestampsResponse, line)
        assert_matches_spec("/v1/text-to-speech/{voice_id}/stream/with-timestamps", "post", line)
    spelled = "".join(c for line in lines if line["alignment"] for c in line["alignment"]["characters"])
    assert spelled == "One sentence here. Another sentence there."


async def test_async_client_convert_and_stream(async_sdk: AsyncElevenLabs):
    audio = b"".join(
        [
            chunk
            async for chunk in async_sdk.text_to_speech.convert(
                voice_id=GEORGE, text=SHORT, model_id=FAST_MODEL, output_format="mp3_44100_128"
            )
        ]
    )
    assert decode(audio).duration_seconds > 0.8
    chunks = [
        chunk
        async for chunk in async_sdk.text_to_speech.stream(
            voice_id=GEORGE, text=SENTENCES, model_id=FAST_MODEL, output_format="pcm_16000"
        )
    ]
    assert len(chunks) >= 3
    result = await async_sdk.text_to_speech.convert_with_timestamps(
        voice_id=GEORGE, text=SHORT, model_id=FAST_MODEL
    )
    assert "".join(result.alignment.characters) == SHORT


def test_voice_preview_url_is_playable(sdk: ElevenLabs):
    voice = sdk.voices.get(GEORGE)
    assert voice.preview_url
    response = httpx.get(voice.preview_url, timeout=60)  # public, like ElevenLabs' preview URLs
    assert response.status_code == 200 and response.headers["content-type"] == "audio/mpeg"
    assert decode(response.content).duration_seconds > 1


@pytest.mark.parametrize(("mode", "spoken"), [("on", True), ("off", False)])
def test_apply_text_normalization(sdk: ElevenLabs, mode: str, spoken: bool):
    text = "It costs $5 today."
    result = sdk.text_to_speech.convert_with_timestamps(
        voice_id=GEORGE, text=text, model_id="eleven_multilingual_v2", apply_text_normalization=mode
    )
    assert "".join(result.alignment.characters) == text
    normalized = "".join(result.normalized_alignment.characters)
    assert ("five dollars" in normalized) is spoken
    if not spoken:
        assert "$5" in normalized
