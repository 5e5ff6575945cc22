"""Text to Dialogue over HTTP through the ASGI app, on the real engines (Kokoro and Piper in one dialogue)."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from vocalis.audio import decode

pytestmark = pytest.mark.slow

GEORGE = "JBFqnCBsd6RMkjVDRZzb"  # Piper-backed, 22.05 kHz
RACHEL = "21m00Tcm4TlvDq8ikWAM"  # Kokoro-backed, 24 kHz
INPUTS = [
    {"text": "[cheerfully] Hello, how are you?", "voice_id": RACHEL},
    {"text": "I'm doing well, thank you.", "voice_id": GEORGE},
]


def pcm(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0


def test_with_timestamps_joins_both_engines_with_voice_segments(client: TestClient):
    response = client.post(
        "/v1/text-to-dialogue/with-timestamps", params={"output_format": "pcm_16000"}, json={"inputs": INPUTS}
    )
    assert response.status_code == 200, response.text
    assert response.headers["character-cost"] == str(sum(len(line["text"]) for line in INPUTS))
    assert response.headers["x-vocalis-engine"] == "kokoro,piper"
    body = response.json()
    samples = pcm(base64.b64decode(body["audio_base64"]))
    duration = len(samples) / 16000
    characters = body["alignment"]["characters"]
    starts = body["alignment"]["character_start_times_seconds"]
    ends = body["alignment"]["character_end_times_seconds"]
    assert "".join(characters) == " ".join(line["text"] for line in INPUTS)
    assert all(b >= a - 1e-6 for a, b in zip(starts, starts[1:]))
    assert abs(ends[-1] - duration) < 0.05
    first, second = body["voice_segments"]
    assert [first["voice_id"], second["voice_id"]] == [RACHEL, GEORGE]
    assert [first["dialogue_input_index"], second["dialogue_input_index"]] == [0, 1]
    for segment, line in zip((first, second), INPUTS):
        spoken = characters[segment["character_start_index"] : segment["character_end_index"]]
        assert "".join(spoken) == line["text"]
    # Segments follow the audio: they cover it in order, each is speech, the gap between them is silence.
    assert first["start_time_seconds"] == 0.0
    assert abs(second["end_time_seconds"] - duration) < 0.05
    gap = (first["end_time_seconds"], second["start_time_seconds"])
    assert 0.25 <= gap[1] - gap[0] <= 0.35
    assert starts[first["character_end_index"]] == pytest.approx(gap[0], abs=0.002)  # the joining space

    def span(a: float, b: float) -> np.ndarray:
        return samples[int(a * 16000) : int(b * 16000)]

    assert rms(span(*gap)) < 1e-4
    for segment in (first, second):
        assert rms(span(segment["start_time_seconds"], segment["end_time_seconds"])) > 0.02

    history = client.get(f"/v1/history/{response.headers['history-item-id']}").json()
    assert history["request_id"] == response.headers["request-id"]
    assert history["text"] is None and history["voice_id"] is None
    assert [(line["text"], line["voice_id"]) for line in history["dialogue"]] == [
        (line["text"], line["voice_id"]) for line in INPUTS
    ]
    assert history["dialogue"][0]["voice_name"] == "Rachel"


def test_stream_with_timestamps_is_ndjson_that_adds_up(client: TestClient):
    inputs = [{"text": "One line here.", "voice_id": GEORGE}, {"text": "And another.", "voice_id": GEORGE}]
    with client.stream(
        "POST",
        "/v1/text-to-dialogue/stream/with-timestamps",
        params={"output_format": "mp3_44100_128", "enable_logging": "false"},
        json={"inputs": inputs, "seed": 3},
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        assert "history-item-id" not in response.headers
        lines = [json.loads(line) for line in response.iter_lines() if line]
    audio = b"".join(base64.b64decode(line["audio_base64"]) for line in lines)
    characters = "".join("".join(line["alignment"]["characters"]) for line in lines if line["alignment"])
    assert characters == "One line here. And another."
    segments = [segment for line in lines for segment in line["voice_segments"]]
    assert {segment["dialogue_input_index"] for segment in segments} == {0, 1}
    assert all(
        a["end_time_seconds"] <= b["start_time_seconds"] + 1e-6 for a, b in zip(segments, segments[1:])
    )
    assert decode(audio).duration_seconds == pytest.approx(segments[-1]["end_time_seconds"], abs=0.1)


def test_convert_and_stream_return_the_same_dialogue(client: TestClient):
    body = {"inputs": INPUTS, "seed": 11, "model_id": "eleven_v3"}
    params = {"output_format": "pcm_24000", "enable_logging": "false"}
    converted = client.post("/v1/text-to-dialogue", params=params, json=body)
    assert converted.status_code == 200, converted.text
    assert converted.headers["content-type"] == "audio/pcm"
    with client.stream("POST", "/v1/text-to-dialogue/stream", params=params, json=body) as response:
        chunks = [chunk for chunk in response.iter_bytes() if chunk]
    assert len(chunks) >= 2
    streamed = b"".join(chunks)
    # Same seed, same lines: the same speech (the stream only starts with a shorter first chunk).
    assert abs(len(streamed) - len(converted.content)) / len(converted.content) < 0.15
    assert rms(pcm(streamed)) == pytest.approx(rms(pcm(converted.content)), rel=0.2)


@pytest.mark.parametrize(
    ("body", "params", "status", "code"),
    [
        ({"inputs": []}, {}, 400, "invalid_parameters"),
        ({"inputs": [{"text": "Hi.", "voice_id": "no-such-voice"}]}, {}, 404, "voice_not_found"),
        (
            {"inputs": [{"text": "Hi.", "voice_id": GEORGE}, {"text": "  ", "voice_id": GEORGE}]},
            {},
            400,
            "empty_text",
        ),
        ({"inputs": [{"text": "a" * 6000, "voice_id": GEORGE}] * 2}, {}, 400, "max_character_limit_exceeded"),
        ({"inputs": INPUTS}, {"output_format": "mp3_1_2"}, 400, "invalid_output_format"),
        ({"inputs": INPUTS, "model_id": "eleven_nope"}, {}, 400, "model_not_found"),
        ({"inputs": [{"text": "Hi."}]}, {}, 422, "invalid_request"),
    ],
)
@pytest.mark.parametrize("path", ["/v1/text-to-dialogue", "/v1/text-to-dialogue/stream"])
def test_bad_requests_get_elevenlabs_errors(
    client: TestClient, path: str, body: dict, params: dict, status: int, code: str
):
    response = client.post(path, params=params, json=body)
    assert response.status_code == status
    detail = response.json()["detail"]
    assert detail["status"] == code and detail["message"]


def test_more_than_ten_voices_is_refused(client: TestClient):
    voices = [voice["voice_id"] for voice in client.get("/v1/voices").json()["voices"]][:11]
    assert len(voices) == 11
    response = client.post(
        "/v1/text-to-dialogue", json={"inputs": [{"text": "Hi.", "voice_id": voice} for voice in voices]}
    )
    assert response.status_code == 400
    assert "at most 10" in response.json()["detail"]["message"]
