"""The Text-to-Dialogue WebSockets (`stream-input`, `multi-stream-input`) through the ASGI app, on the real
engines (Kokoro and Piper voices in one dialogue)."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from fastapi.testclient import TestClient
from test_text_to_speech_websockets import receive_all, spelled

pytestmark = pytest.mark.slow

GEORGE = "JBFqnCBsd6RMkjVDRZzb"  # Piper-backed, 22.05 kHz
RACHEL = "21m00Tcm4TlvDq8ikWAM"  # Kokoro-backed, 24 kHz
SINGLE = "/v1/text-to-dialogue/stream-input"
MULTI = "/v1/text-to-dialogue/multi-stream-input"
PCM = "output_format=pcm_16000&sync_alignment=true"
GEORGE_ONLY = {"voices": [GEORGE]}


def receive_until(ws, key: str) -> list[dict]:
    """Messages up to and including the first that has `key`."""
    messages = [ws.receive_json()]
    while key not in messages[-1]:
        messages.append(ws.receive_json())
    return messages


def pcm(messages: list[dict]) -> np.ndarray:
    audio = b"".join(base64.b64decode(m["audio"]) for m in messages if m.get("audio"))
    return np.frombuffer(audio, dtype="<i2").astype(np.float32) / 32768


def line(text: str, voice_id: str = GEORGE, **extra) -> dict:
    return {"text": text, "voice_id": voice_id, **extra}


def test_two_engines_speak_in_turns_with_a_gap_and_one_history_item(client: TestClient):
    first, second = "Hello there, how are you today?", "I am fine, thank you."
    with client.websocket_connect(f"{SINGLE}?{PCM}") as ws:
        ws.send_json({"voices": [RACHEL, GEORGE], "inputs": [line(first, RACHEL)]})
        ws.send_json({"inputs": [line(second, GEORGE)]})
        ws.send_json({"close_socket": True})
        messages, code = receive_all(ws)
    assert code == 1000
    assert messages[-1] == {"is_final": True}
    # Each turn's audio is complete before the next voice speaks: one marker per turn.
    markers = [index for index, m in enumerate(messages) if m.get("is_final_audio_for_turn")]
    assert len(markers) == 2 and markers[-1] == len(messages) - 2
    turns = (messages[: markers[0]], messages[markers[0] + 1 : markers[1]])
    # The second turn opens with the gap, spelled by the one space that joins the lines.
    assert spelled(turns[0]) == first and spelled(turns[1]) == " " + second
    samples = pcm(messages)
    first_seconds = len(pcm(turns[0])) / 16000
    gap = samples[int(first_seconds * 16000) + 400 : int((first_seconds + 0.25) * 16000)]
    assert float(np.sqrt(np.mean(gap**2))) < 1e-3
    assert 1.5 < first_seconds < 4.0 and 2.5 < len(samples) / 16000 < 7.0
    for message in messages:
        if alignment := message.get("alignment"):
            assert set(alignment) == {"chars", "char_start_times_ms", "char_durations_ms"}
            # Times are relative to the message's own audio.
            seconds = len(base64.b64decode(message["audio"])) / 2 / 16000
            assert min(alignment["char_start_times_ms"]) < 400
            end = alignment["char_start_times_ms"][-1] + alignment["char_durations_ms"][-1]
            assert end <= seconds * 1000 + 150

    [item] = client.get("/v1/history").json()["history"]
    assert item["voice_id"] is None
    assert [(entry["text"], entry["voice_id"]) for entry in item["dialogue"]] == [
        (first, RACHEL),
        (second, GEORGE),
    ]


def test_text_waits_for_about_forty_characters_or_a_flush(client: TestClient):
    with client.websocket_connect(f"{SINGLE}?{PCM}") as ws:
        ws.send_json({"voices": [GEORGE], "inputs": [line("Short words. ")]})
        ws.send_json({"inputs": [line("More words. ")], "flush": True})
        flushed = receive_until(ws, "is_final_audio_for_turn")
        # The same voice, no new_turn: the turn goes on without a gap; new_turn starts one.
        ws.send_json({"inputs": [line("Still the same turn. ")], "flush": True})
        same_turn = receive_until(ws, "is_final_audio_for_turn")
        ws.send_json({"inputs": [line("A new turn.", new_turn=True)]})
        ws.send_json({"close_socket": True})
        rest, code = receive_all(ws)
    assert code == 1000 and rest[-1] == {"is_final": True}
    assert spelled(flushed).split() == ["Short", "words.", "More", "words."]
    assert spelled(same_turn) == "Still the same turn. "
    assert spelled(rest) == " A new turn."
    [item] = client.get("/v1/history").json()["history"]
    assert [entry["text"] for entry in item["dialogue"]] == [
        "Short words. More words. Still the same turn. ",
        "A new turn.",
    ]


def test_alignment_only_with_sync_alignment_and_the_api_key_in_the_first_message(settings):
    from vocalis.app import create_app

    with TestClient(create_app(settings)) as anonymous:
        with anonymous.websocket_connect(f"{SINGLE}?output_format=pcm_16000") as ws:
            ws.send_json({"voices": [GEORGE]})
            messages, code = receive_all(ws)
        assert code == 1008 and messages[-1]["error"] == "needs_authorization"
        with anonymous.websocket_connect(f"{SINGLE}?output_format=pcm_16000") as ws:
            ws.send_json({"voices": [GEORGE], "xi_api_key": settings.api_key, "inputs": [line("Hi there.")]})
            ws.send_json({"close_socket": True})
            messages, code = receive_all(ws)
    assert code == 1000 and len(pcm(messages)) > 0.3 * 16000
    assert not any("alignment" in m for m in messages)


def test_multi_stream_contexts_are_independent_and_close_context_speaks_the_rest(client: TestClient):
    with client.websocket_connect(f"{MULTI}?{PCM}") as ws:
        ws.send_json({"context_id": "one", "voices": [GEORGE], "voice_settings": {"stability": 0.5}})
        ws.send_json({"context_id": "two", "voices": [GEORGE], "inputs": [line("Second context. ")]})
        ws.send_json({"context_id": "one", "inputs": [line("First context. ")]})
        ws.send_json({"context_id": "one", "keep_alive": True})
        ws.send_json({"context_id": "two", "close_context": True})
        ws.send_json({"context_id": "two", "flush": True})  # for a closed context: nothing left to do
        ws.send_json({"context_id": "one", "flush": True})
        ws.send_json({"close_socket": True})
        messages, code = receive_all(ws)
    assert code == 1000
    for context_id, text in (("one", "First context. "), ("two", "Second context. ")):
        mine = [m for m in messages if m.get("context_id") == context_id]
        assert spelled(mine) == text
        assert mine[-1] == {"is_final": True, "context_id": context_id}
        assert {"is_final_audio_for_turn": True, "context_id": context_id} in mine
    assert all("context_id" in m for m in messages)


@pytest.mark.parametrize(
    ("path", "frames", "error", "code", "param"),
    [
        (SINGLE, ["{not json"], "invalid_message", 1007, None),
        (SINGLE, [b"\x00\x01"], "invalid_message", 1003, None),
        (SINGLE, [{"inputs": [line("Hi.")]}], "invalid_message", 1008, "voices"),
        (SINGLE, [{"voices": []}], "invalid_message", 1007, "voices"),
        (SINGLE, [{"voices": ["no_such_voice"]}], "voice_not_found", 1008, "voices"),
        (SINGLE, [{"voices": [f"v{n}" for n in range(11)]}], "too_many_voices", 1008, "voices"),
        (SINGLE, [{**GEORGE_ONLY, "inputs": [line("Hi.", RACHEL)]}], "voice_not_registered", 1008, "inputs"),
        (SINGLE, [{**GEORGE_ONLY, "inputs": [{"text": 5}]}], "invalid_message", 1007, "inputs"),
        (SINGLE, [GEORGE_ONLY, GEORGE_ONLY], "invalid_message", 1008, "voices"),
        (SINGLE + "?output_format=mp3_1_1", [GEORGE_ONLY], "invalid_output_format", 1008, None),
        (MULTI, [GEORGE_ONLY], "invalid_message", 1008, "context_id"),
        (MULTI, [{"context_id": "a", "inputs": [line("Hi.")]}], "context_not_open", 1008, "context_id"),
        (MULTI, [{"context_id": "a", "voices": [GEORGE]}] * 2, "context_already_registered", 1008, "voices"),
        (
            MULTI,
            [{"context_id": f"c{n}", "voices": [GEORGE]} for n in range(6)],
            "max_active_contexts_exceeded",
            1008,
            None,
        ),
    ],
)
def test_bad_input_gets_an_error_message_and_a_close_code(
    client: TestClient, path: str, frames: list, error: str, code: int, param: str | None
):
    with client.websocket_connect(path) as ws:
        for frame in frames:
            if isinstance(frame, bytes):
                ws.send_bytes(frame)
            elif isinstance(frame, str):
                ws.send_text(frame)
            else:
                ws.send_json(frame)
        messages, close_code = receive_all(ws)
    assert close_code == code
    assert messages[-1]["error"] == error and messages[-1]["code"] == code and messages[-1]["message"]
    assert messages[-1].get("param") == param


@pytest.mark.parametrize("path", [SINGLE, MULTI])
def test_an_idle_socket_closes_after_the_inactivity_timeout(client: TestClient, path: str):
    with client.websocket_connect(f"{path}?inactivity_timeout=1") as ws:
        ws.send_json({"context_id": "idle", "voices": [GEORGE]})
        messages, code = receive_all(ws)
    assert code == 1008 and messages[-1]["error"] == "input_timeout_exceeded"
    assert "keep_alive" in messages[-1]["message"]
