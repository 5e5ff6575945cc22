"""`use_multi_channel` speech to text through the ASGI app, on a two-channel file built from two corpus
recordings: a different reader on each channel, the second one starting later."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
from e2e.quality import word_errors
from fastapi.testclient import TestClient

from vocalis.audio import decode_channel
from vocalis.engines.registry import EngineRegistry
from vocalis.services import engine_factories
from vocalis.transcription.service import TranscriptionRequest, TranscriptionService

pytestmark = pytest.mark.slow

RATE = 16000
# (recording, where it starts on the channel in seconds): channel 0 starts at once, channel 1 later.
SOURCES = (("librispeech_1995-1837-0001.wav", 0.0), ("picovoice_leopard_en_test.wav", 4.0))


def reference(corpus: Path, name: str) -> str:
    return json.loads((corpus / "stt_en" / f"{name}.json").read_text())["ground_truth"]["transcript"]


@pytest.fixture(scope="module")
def stereo(corpus: Path) -> bytes:
    """FLAC, 16 kHz, one recording per channel at its offset, half a second of silence at the end."""
    tracks = [
        (soundfile.read(corpus / "stt_en" / name, dtype="float32")[0], start) for name, start in SOURCES
    ]
    length = max(int(start * RATE) + len(samples) for samples, start in tracks) + RATE // 2
    mix = np.zeros((length, len(tracks)), np.float32)
    for channel, (samples, start) in enumerate(tracks):
        mix[int(start * RATE) : int(start * RATE) + len(samples), channel] = samples
    buffer = io.BytesIO()
    soundfile.write(buffer, mix, RATE, format="FLAC")
    return buffer.getvalue()


def post(client: TestClient, data: bytes, name: str = "call.flac", **fields):
    form = {"model_id": "scribe_v1", "language_code": "en", "use_multi_channel": "true", **fields}
    return client.post("/v1/speech-to-text", data=form, files={"file": (name, data)})


def test_each_channel_is_its_own_transcript_and_speaker(client: TestClient, corpus: Path, stereo: bytes):
    formats = [{"format": "srt", "include_speakers": True}, {"format": "segmented_json"}]
    response = post(client, stereo, additional_formats=json.dumps(formats))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"transcripts", "transcription_id", "audio_duration_secs"}
    assert body["audio_duration_secs"] == pytest.approx(len(soundfile.read(io.BytesIO(stereo))[0]) / RATE)
    assert [transcript["channel_index"] for transcript in body["transcripts"]] == [0, 1]
    for channel, (transcript, (name, start)) in enumerate(zip(body["transcripts"], SOURCES, strict=True)):
        errors, count = word_errors(reference(corpus, name), transcript["text"])
        assert errors / count <= 0.15, (name, transcript["text"])
        assert transcript["language_code"] == "eng"
        assert transcript["audio_duration_secs"] == body["audio_duration_secs"]
        assert {word["speaker_id"] for word in transcript["words"]} == {f"speaker_{channel}"}
        assert {word["channel_index"] for word in transcript["words"]} == {channel}
        spoken = [word for word in transcript["words"] if word["type"] == "word"]
        # Times are the file's, not the channel's: channel 1 speaks from its offset on.
        assert start - 0.3 <= spoken[0]["start"] <= start + 0.8
        duration = len(soundfile.read(corpus / "stt_en" / name)[0]) / RATE
        assert spoken[-1]["end"] <= start + duration + 0.1
        srt, segmented = transcript["additional_formats"]
        assert srt["requested_format"] == "srt" and f"[speaker_{channel}]" in srt["content"]
        assert f"speaker_{1 - channel}" not in srt["content"]
        assert json.loads(segmented["content"])["segments"][0]["start_time"] >= start - 0.3

    stored = client.get(f"/v1/speech-to-text/transcripts/{body['transcription_id']}")
    assert stored.status_code == 200 and stored.json() == body


def test_combined_output_orders_both_channels_by_time(client: TestClient, corpus: Path, stereo: bytes):
    formats = [{"format": "txt", "include_speakers": True, "include_timestamps": False}]
    response = post(
        client,
        stereo,
        multichannel_output_style="combined",
        additional_formats=json.dumps(formats),
        timestamps_granularity="character",
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "transcripts" not in body and body["channel_index"] is None
    starts = [word["start"] for word in body["words"] if word["type"] != "spacing"]
    assert starts == sorted(starts)
    assert all(word["speaker_id"] == f"speaker_{word['channel_index']}" for word in body["words"])
    for channel, (name, _) in enumerate(SOURCES):
        heard = " ".join(
            w["text"] for w in body["words"] if w["type"] == "word" and w["channel_index"] == channel
        )
        errors, count = word_errors(reference(corpus, name), heard)
        assert errors / count <= 0.15, (name, heard)
    word = next(w for w in body["words"] if w["type"] == "word")
    assert "".join(c["text"] for c in word["characters"]) == word["text"]
    txt = body["additional_formats"][0]["content"]
    assert txt.startswith("speaker_0: ") and "speaker_1: " in txt


def test_mono_audio_gets_the_single_channel_response(client: TestClient, corpus: Path):
    path = corpus / "stt_en" / "cmu_cards_005.wav"
    encoded = post(client, path.read_bytes(), path.name)
    assert encoded.status_code == 200, encoded.text
    samples, _ = soundfile.read(path, dtype="int16")
    raw = post(client, samples.tobytes(), "cards.pcm", file_format="pcm_s16le_16")  # mono by definition
    assert raw.status_code == 200, raw.text
    for body in (encoded.json(), raw.json()):
        assert "transcripts" not in body and body["channel_index"] is None
        assert "spades" in body["text"].lower()


def _silent_wav(channels: int) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, np.zeros((RATE, channels), np.float32), RATE, format="WAV")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fields", "channels", "code"),
    [
        ({}, 6, "too_many_channels"),
        ({"diarize": "true"}, 2, "invalid_parameters"),
        ({"num_speakers": "2"}, 2, "invalid_parameters"),
        ({"multichannel_output_style": "interleaved"}, 2, "invalid_parameters"),
        (
            {"multichannel_output_style": "combined", "timestamps_granularity": "none"},
            2,
            "invalid_parameters",
        ),
        ({}, 2, "no_speech_detected"),
    ],
)
def test_bad_multichannel_requests_are_refused(client: TestClient, fields: dict, channels: int, code: str):
    response = post(client, _silent_wav(channels), "silence.wav", tag_audio_events="false", **fields)
    assert response.status_code == 400, response.text
    assert response.json()["detail"]["status"] == code


def test_progress_runs_once_over_all_channels(settings, stereo: bytes):
    registry = EngineRegistry(engine_factories(settings))
    request = TranscriptionRequest("scribe_v1", language_code="en", use_multi_channel=True)
    reported: list[float] = []
    try:
        results = asyncio.run(
            TranscriptionService(registry).transcribe_channels(
                lambda channel: decode_channel(stereo, channel).samples, 2, request, reported.append
            )
        )
    finally:
        registry.close()
    assert [result.channel_index for result in results] == [0, 1]
    # Channel 0 covers the first half of the job and ends exactly there; channel 1 the second half.
    assert reported == sorted(reported) and reported[-1] == 1.0
    halfway = reported.index(0.5)
    assert 0 < halfway < len(reported) - 1 and all(value > 0.5 for value in reported[halfway + 1 :])
