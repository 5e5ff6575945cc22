"""Text to speech over HTTP through the ASGI app, on the real engines."""

from __future__ import annotations

import base64
import io
import json
import zipfile

import numpy as np
import pytest
from fastapi.testclient import TestClient

from vocalis.audio import decode

pytestmark = pytest.mark.slow

GEORGE = "JBFqnCBsd6RMkjVDRZzb"  # Piper-backed
RACHEL = "21m00Tcm4TlvDq8ikWAM"  # Kokoro-backed
TEXT = "The first move is what sets everything in motion."


def pcm(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768


def test_convert_returns_mp3_with_headers_and_history(client: TestClient):
    response = client.post(
        f"/v1/text-to-speech/{GEORGE}",
        params={"output_format": "mp3_44100_128"},
        json={"text": TEXT, "model_id": "eleven_multilingual_v2"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/mpeg"
    assert response.headers["character-cost"] == str(len(TEXT))
    assert int(response.headers["maximum-concurrent-requests"]) >= 1
    audio = decode(response.content)
    assert audio.sample_rate == 44100
    assert 1.5 < audio.duration_seconds < 8
    history = client.get("/v1/history").json()["history"]
    assert history[0]["request_id"] == response.headers["request-id"]
    assert history[0]["history_item_id"] == response.headers["history-item-id"]
    assert history[0]["text"] == TEXT and history[0]["voice_id"] == GEORGE
    assert client.get(f"/v1/history/{history[0]['history_item_id']}/audio").content == response.content


@pytest.mark.parametrize("voice_id", [GEORGE, RACHEL])
def test_with_timestamps_alignment_spells_text_and_follows_audio(client: TestClient, voice_id: str):
    text = "Hello there. It costs $5 today!"
    response = client.post(
        f"/v1/text-to-speech/{voice_id}/with-timestamps",
        params={"output_format": "pcm_24000"},
        json={"text": text},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    samples = pcm(base64.b64decode(body["audio_base64"]))
    duration = len(samples) / 24000
    alignment, normalized = body["alignment"], body["normalized_alignment"]
    assert "".join(alignment["characters"]) == text
    assert "five dollars" in "".join(normalized["characters"])
    starts, ends = alignment["character_start_times_seconds"], alignment["character_end_times_seconds"]
    assert all(b >= a - 1e-6 for a, b in zip(starts, starts[1:]))
    assert all(end >= start for start, end in zip(starts, ends))
    assert abs(ends[-1] - duration) < 0.35
    # Timings follow the audio: the space between sentences sits in a quieter stretch than the words.
    gap = text.index(" It")
    gap_start, gap_end = starts[gap - 1], ends[gap]
    word_start, word_end = starts[0], ends[4]

    def rms(a: float, b: float) -> float:
        part = samples[int(a * 24000) : max(int(b * 24000), int(a * 24000) + 1)]
        return float(np.sqrt(np.mean(part**2)))

    assert rms(gap_start + 0.02, gap_end) < rms(word_start, word_end)


def test_stream_sends_several_chunks(client: TestClient):
    text = "This is the first sentence. Here comes a second one. And a third sentence ends the stream."
    with client.stream(
        "POST",
        f"/v1/text-to-speech/{RACHEL}/stream",
        params={"output_format": "pcm_24000"},
        json={"text": text},
    ) as response:
        assert response.status_code == 200
        chunks = [chunk for chunk in response.iter_bytes() if chunk]
    assert len(chunks) >= 3
    assert len(b"".join(chunks)) / 2 / 24000 > 3


def test_stream_with_timestamps_is_ndjson(client: TestClient):
    text = "One sentence here. Another sentence there."
    with client.stream(
        "POST",
        f"/v1/text-to-speech/{GEORGE}/stream/with-timestamps",
        params={"output_format": "mp3_44100_128"},
        json={"text": text},
    ) as response:
        lines = [json.loads(line) for line in response.iter_lines() if line]
    assert len(lines) >= 2
    characters = "".join(c for line in lines if line["alignment"] for c in line["alignment"]["characters"])
    assert characters == text
    audio = decode(b"".join(base64.b64decode(line["audio_base64"]) for line in lines))
    assert audio.duration_seconds > 1.5


def test_seed_makes_output_repeatable(client: TestClient):
    def render(seed: int) -> bytes:
        return client.post(
            f"/v1/text-to-speech/{GEORGE}",
            params={"output_format": "pcm_22050"},
            json={"text": "Repeat after me.", "seed": seed, "voice_settings": {"stability": 0.2}},
        ).content

    assert render(7) == render(7)
    assert render(7) != render(8)


def test_speed_setting_changes_duration(client: TestClient):
    def duration(speed: float) -> float:
        response = client.post(
            f"/v1/text-to-speech/{RACHEL}",
            params={"output_format": "pcm_24000"},
            json={"text": TEXT, "voice_settings": {"speed": speed}},
        )
        return len(response.content) / 2 / 24000

    assert duration(0.7) > duration(1.2) * 1.3


def test_break_tag_inserts_silence(client: TestClient):
    def render(text: str) -> np.ndarray:
        return pcm(
            client.post(
                f"/v1/text-to-speech/{GEORGE}", params={"output_format": "pcm_16000"}, json={"text": text}
            ).content
        )

    plain = render("Wait for it. Now.")
    paused = render('Wait for it. <break time="1.5s" /> Now.')
    assert 1.2 < (len(paused) - len(plain)) / 16000 < 1.9
    frame = 160
    energy = np.sqrt(np.mean(paused[: len(paused) // frame * frame].reshape(-1, frame) ** 2, axis=1))
    longest = run = 0
    for quiet in energy < 0.005:
        run = run + 1 if quiet else 0
        longest = max(longest, run)
    assert longest * frame / 16000 >= 1.3


def test_enable_logging_false_keeps_no_history(client: TestClient):
    response = client.post(
        f"/v1/text-to-speech/{GEORGE}",
        params={"enable_logging": False, "output_format": "pcm_16000"},
        json={"text": "Nothing is stored."},
    )
    assert response.status_code == 200
    assert "history-item-id" not in response.headers
    assert client.get("/v1/history").json()["history"] == []
    assert client.get("/v1/user/subscription").json()["character_count"] == len("Nothing is stored.")


@pytest.mark.parametrize(
    ("path", "params", "body", "status", "code"),
    [
        (f"/v1/text-to-speech/nope{GEORGE}", {}, {"text": "hi"}, 404, "voice_not_found"),
        (f"/v1/text-to-speech/{GEORGE}", {}, {"text": "hi", "model_id": "nope"}, 400, "model_not_found"),
        (f"/v1/text-to-speech/{GEORGE}", {}, {"text": "   "}, 400, "empty_text"),
        (f"/v1/text-to-speech/{GEORGE}", {}, {"text": "a" * 10_001}, 400, "max_character_limit_exceeded"),
        (
            f"/v1/text-to-speech/{GEORGE}",
            {"output_format": "mp3_1_1"},
            {"text": "hi"},
            400,
            "invalid_output_format",
        ),
        (
            f"/v1/text-to-speech/{GEORGE}",
            {},
            {"text": "hi", "voice_settings": {"stability": 2}},
            422,
            "invalid_request",
        ),
        (
            f"/v1/text-to-speech/{GEORGE}",
            {},
            {"text": "hi", "model_id": "eleven_flash_v2_5", "apply_text_normalization": "on"},
            400,
            "invalid_parameters",
        ),
        (
            f"/v1/text-to-speech/{GEORGE}/stream",
            {"optimize_streaming_latency": 9},
            {"text": "hi"},
            400,
            "invalid_parameters",
        ),
        (
            f"/v1/text-to-speech/{GEORGE}",
            {},
            {"text": "hola", "language_code": "es"},
            400,
            "unsupported_language",
        ),
        (f"/v1/text-to-speech/{GEORGE}", {}, {"model_id": "eleven_flash_v2_5"}, 422, "invalid_request"),
    ],
)
def test_bad_input_gets_elevenlabs_errors(client: TestClient, path, params, body, status, code):
    response = client.post(path, params=params, json=body)
    assert response.status_code == status, response.text
    assert response.json()["detail"]["status"] == code
    assert response.json()["detail"]["message"]


def test_history_download_zip_and_delete(client: TestClient):
    ids = []
    for text in ("First clip.", "Second clip."):
        response = client.post(
            f"/v1/text-to-speech/{GEORGE}", json={"text": text, "model_id": "eleven_flash_v2_5"}
        )
        ids.append(response.headers["history-item-id"])
    archive = client.post("/v1/history/download", json={"history_item_ids": ids})
    assert archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as opened:
        assert sorted(opened.namelist()) == sorted(f"{item}.mp3" for item in ids)
    single = client.post("/v1/history/download", json={"history_item_ids": [ids[0]], "output_format": "wav"})
    assert single.headers["content-type"] == "audio/wav"
    assert decode(single.content).duration_seconds > 0.5
    assert client.delete(f"/v1/history/{ids[0]}").json() == {"status": "ok"}
    assert client.get(f"/v1/history/{ids[0]}").status_code == 404
    assert client.post("/v1/history/download", json={"history_item_ids": [ids[0]]}).status_code == 404
    page = client.get("/v1/history", params={"page_size": 1}).json()
    assert page["has_more"] is False and page["history"][0]["history_item_id"] == ids[1]


def test_character_stats_count_generations(client: TestClient):
    import time

    client.post(
        f"/v1/text-to-speech/{GEORGE}", params={"output_format": "pcm_16000"}, json={"text": "Count me."}
    )
    now_ms = int(time.time() * 1000)
    stats = client.get(
        "/v1/usage/character-stats", params={"start_unix": now_ms - 86_400_000, "end_unix": now_ms + 1000}
    ).json()
    assert sum(stats["usage"]["All"]) == len("Count me.")
    by_model = client.get(
        "/v1/usage/character-stats",
        params={
            "start_unix": now_ms - 3_600_000,
            "end_unix": now_ms + 1000,
            "breakdown_type": "model",
            "aggregation_interval": "cumulative",
        },
    ).json()
    assert by_model["usage"] == {"eleven_multilingual_v2": [float(len("Count me."))]}


def test_openai_speech_endpoint(client: TestClient):
    response = client.post(
        "/v1/audio/speech",
        json={
            "model": "tts-1",
            "input": "Hello from an OpenAI client.",
            "voice": "onyx",
            "response_format": "wav",
        },
    )
    assert response.status_code == 200, response.text
    assert decode(response.content).duration_seconds > 1
    sse = client.post(
        "/v1/audio/speech",
        json={
            "model": "tts-1-hd",
            "input": "Streaming events.",
            "voice": "nova",
            "response_format": "pcm",
            "stream_format": "sse",
        },
    )
    events = [json.loads(line[6:]) for line in sse.text.splitlines() if line.startswith("data: ")]
    assert events[-1]["type"] == "speech.audio.done"
    assert sum(len(base64.b64decode(e["audio"])) for e in events[:-1]) > 24000
    assert (
        client.post("/v1/audio/speech", json={"model": "tts-1", "input": "x", "voice": "nobody"}).status_code
        == 404
    )


def test_voice_preview_is_generated_and_cached(client: TestClient):
    first = client.get(f"/v1/voices/{RACHEL}/preview")
    assert first.status_code == 200 and first.headers["content-type"] == "audio/mpeg"
    assert decode(first.content).duration_seconds > 1
    assert client.get(f"/v1/voices/{RACHEL}/preview").content == first.content


def test_request_context_fields_shape_the_output(client: TestClient):
    def render(**fields) -> tuple[bytes, dict]:
        response = client.post(
            f"/v1/text-to-speech/{GEORGE}/with-timestamps",
            params={"output_format": "pcm_16000"},
            json={"text": "The weather today is sunny", "voice_settings": {"stability": 0.3}, **fields},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return base64.b64decode(body["audio_base64"]), body["alignment"]

    first = client.post(f"/v1/text-to-speech/{GEORGE}", json={"text": "It was a long winter."})
    request_id = first.headers["request-id"]
    # Stitched requests share a seed derived from the requests they follow, so they repeat exactly.
    stitched_a, _ = render(previous_request_ids=[request_id])
    stitched_b, _ = render(previous_request_ids=[request_id])
    assert stitched_a == stitched_b
    # An unfinished sentence that continues in the next request is spoken with continuing intonation.
    plain, _ = render(seed=3)
    continued, alignment = render(seed=3, next_text="and warm.")
    assert plain != continued
    assert "".join(alignment["characters"]) == "The weather today is sunny"


@pytest.mark.parametrize("text", ["[laughs]", "...", "—", '<break time="0.5s" />'])
def test_text_with_nothing_to_say_still_returns_valid_audio(client: TestClient, text: str):
    response = client.post(f"/v1/text-to-speech/{GEORGE}/with-timestamps", json={"text": text})
    assert response.status_code == 200, response.text
    body = response.json()
    assert decode(base64.b64decode(body["audio_base64"])).duration_seconds > 0.05
    assert "".join(body["alignment"]["characters"]) == text


def test_malformed_json_is_a_clear_422(client: TestClient):
    response = client.post(
        f"/v1/text-to-speech/{GEORGE}", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "not valid JSON" in response.json()["detail"]["message"]


@pytest.mark.parametrize("voice_id", [GEORGE, RACHEL])
def test_stability_controls_take_to_take_variation(client: TestClient, voice_id: str):
    def render(stability: float, seed: int) -> np.ndarray:
        response = client.post(
            f"/v1/text-to-speech/{voice_id}",
            params={"output_format": "pcm_16000"},
            json={
                "text": "Every take sounds a little different.",
                "seed": seed,
                "voice_settings": {"stability": stability},
            },
        )
        return pcm(response.content)

    # Full stability: the same delivery whatever the seed. Low stability: takes differ.
    assert np.array_equal(render(1.0, 1), render(1.0, 2))
    assert not np.array_equal(render(0.0, 1), render(0.0, 2))
