"""The TTS WebSockets (`stream-input`, `multi-stream-input`) through the ASGI app, on the real engines."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

pytestmark = pytest.mark.slow

GEORGE = "JBFqnCBsd6RMkjVDRZzb"  # Piper-backed
SINGLE = f"/v1/text-to-speech/{GEORGE}/stream-input"
MULTI = f"/v1/text-to-speech/{GEORGE}/multi-stream-input"
PCM = "output_format=pcm_16000&model_id=eleven_flash_v2_5"
SENTENCES = ["The quick brown fox jumps over the lazy dog. ", "Then it runs back home before the rain. "]


def receive_all(ws) -> tuple[list[dict], int]:
    """Every message until the server closes; and the close code."""
    messages = []
    while True:
        try:
            messages.append(ws.receive_json())
        except WebSocketDisconnect as closed:
            return messages, closed.code


def pcm_seconds(messages: list[dict]) -> float:
    audio = b"".join(base64.b64decode(m["audio"]) for m in messages if m.get("audio"))
    return len(np.frombuffer(audio, dtype="<i2")) / 16000


def spelled(messages: list[dict], key: str = "alignment") -> str:
    return "".join("".join(m[key]["chars"]) for m in messages if m.get(key))


def test_stream_input_speaks_the_text_with_alignment_and_final(client: TestClient):
    with client.websocket_connect(f"{SINGLE}?{PCM}") as ws:
        ws.send_json({"text": " ", "voice_settings": {"stability": 0.5, "speed": 1.0}})
        for sentence in SENTENCES:
            ws.send_json({"text": sentence})
        ws.send_json({"text": ""})
        messages, code = receive_all(ws)
    assert code == 1000
    assert messages[-1] == {"isFinal": True, "is_final": True}
    audio_messages = [m for m in messages if m.get("audio")]
    assert all(m["isFinal"] is False for m in audio_messages)
    assert 3.0 < pcm_seconds(messages) < 9.0
    assert spelled(messages).split() == "".join(SENTENCES).split()
    assert spelled(messages, "normalizedAlignment").split() == "".join(SENTENCES).split()
    for message in audio_messages:
        alignment = message["alignment"]
        if alignment:
            assert (
                len(alignment["chars"])
                == len(alignment["charStartTimesMs"])
                == len(alignment["charsDurationsMs"])
            )
            # Times are relative to the chunk: they start near zero and stay within its audio.
            seconds = len(base64.b64decode(message["audio"])) / 2 / 16000
            assert min(alignment["charStartTimesMs"]) < 400
            end = alignment["charStartTimesMs"][-1] + alignment["charsDurationsMs"][-1]
            assert end <= seconds * 1000 + 150


def test_stream_input_waits_for_the_schedule_then_flush_generates(client: TestClient):
    with client.websocket_connect(f"{SINGLE}?{PCM}") as ws:
        ws.send_json({"text": " ", "generation_config": {"chunk_length_schedule": [300]}})
        ws.send_json({"text": "Short words. "})
        ws.send_json({"text": "More words. ", "flush": True})
        flushed = [ws.receive_json(), ws.receive_json()]
        ws.send_json({"text": ""})
        messages, code = receive_all(ws)
    assert spelled(flushed).split() == ["Short", "words.", "More", "words."]
    assert code == 1000 and messages[-1]["isFinal"] is True


def test_stream_input_records_one_history_item(client: TestClient):
    with client.websocket_connect(f"{SINGLE}?{PCM}") as ws:
        ws.send_json({"text": " "})
        ws.send_json({"text": SENTENCES[0]})
        ws.send_json({"text": ""})
        receive_all(ws)
    [item] = client.get("/v1/history").json()["history"]
    assert item["text"] == SENTENCES[0] and item["voice_id"] == GEORGE
    audio = client.get(f"/v1/history/{item['history_item_id']}/audio").content
    assert len(audio) > 16000  # one second of 16-bit PCM at least


def test_unknown_model_ids_fall_back_to_the_default(client: TestClient):
    with client.websocket_connect(f"{SINGLE}?output_format=pcm_16000&model_id=Ellipsis") as ws:
        ws.send_json({"text": " "})
        ws.send_json({"text": "Hello. "})
        ws.send_json({"text": ""})
        messages, code = receive_all(ws)
    assert code == 1000 and pcm_seconds(messages) > 0.3


@pytest.mark.parametrize(
    ("path", "frames", "error", "code"),
    [
        (SINGLE, ["{not json"], "invalid_message", 1007),
        (SINGLE, [b"\x00\x01"], "invalid_message", 1003),
        (SINGLE, ['{"text": "Hello before init"}'], "invalid_message", 1008),
        (
            SINGLE,
            ['{"text": " ", "generation_config": {"chunk_length_schedule": [10]}}'],
            "invalid_parameters",
            1008,
        ),
        (SINGLE + "?output_format=mp3_1_1", ['{"text": " "}'], "invalid_output_format", 1008),
        (SINGLE + "?inactivity_timeout=999", [], "invalid_parameters", 1008),
        ("/v1/text-to-speech/no_such_voice/stream-input", ['{"text": " "}'], "voice_not_found", 1008),
        (SINGLE + "?language_code=xx", ['{"text": " "}'], "unsupported_language", 1008),
    ],
)
def test_bad_input_gets_an_error_message_and_a_close_code(
    client: TestClient, path: str, frames: list, error: str, code: int
):
    with client.websocket_connect(path) as ws:
        for frame in frames:
            if isinstance(frame, bytes):
                ws.send_bytes(frame)
            else:
                ws.send_text(frame)
        messages, close_code = receive_all(ws)
    assert close_code == code
    assert messages[-1]["error"] == error and messages[-1]["code"] == code and messages[-1]["message"]


def test_an_idle_socket_closes_after_the_inactivity_timeout(client: TestClient):
    with client.websocket_connect(f"{SINGLE}?inactivity_timeout=1") as ws:
        ws.send_json({"text": " "})
        messages, code = receive_all(ws)
    assert code == 1008 and messages[-1]["error"] == "input_timeout_exceeded"


def test_the_api_key_can_come_in_the_first_message(settings, client: TestClient):
    from vocalis.app import create_app

    with TestClient(create_app(settings)) as anonymous:
        with anonymous.websocket_connect(f"{SINGLE}?{PCM}") as ws:
            ws.send_json({"text": " "})
            messages, code = receive_all(ws)
        assert code == 1008 and messages[-1]["error"] == "needs_authorization"
        with anonymous.websocket_connect(f"{SINGLE}?{PCM}") as ws:
            ws.send_json({"text": " ", "xi_api_key": "sk_wrong"})
            messages, code = receive_all(ws)
        assert code == 1008 and messages[-1]["error"] == "invalid_api_key"
        with anonymous.websocket_connect(f"{SINGLE}?{PCM}") as ws:
            ws.send_json({"text": " ", "xi_api_key": client.headers["xi-api-key"]})
            ws.send_json({"text": "Hi there. "})
            ws.send_json({"text": ""})
            messages, code = receive_all(ws)
        assert code == 1000 and pcm_seconds(messages) > 0.3


def test_multi_stream_contexts_are_independent(client: TestClient):
    with client.websocket_connect(f"{MULTI}?{PCM}") as ws:
        ws.send_json({"text": " ", "context_id": "one", "voice_settings": {"speed": 1.1}})
        ws.send_json({"text": SENTENCES[0], "context_id": "one"})
        ws.send_json({"text": SENTENCES[1], "context_id": "two", "flush": True})
        ws.send_json({"context_id": "one", "text": ""})  # keep-alive, not a close
        ws.send_json({"context_id": "one", "flush": True})
        ws.send_json({"context_id": "two", "close_context": True})
        ws.send_json({"close_socket": True})
        messages, code = receive_all(ws)
    assert code == 1000
    for context_id, sentence in (("one", SENTENCES[0]), ("two", SENTENCES[1])):
        mine = [m for m in messages if m.get("contextId") == context_id]
        assert spelled(mine).split() == sentence.split()
        assert mine[-1] == {"isFinal": True, "is_final": True, "contextId": context_id}
        assert all(m["is_final"] is False for m in mine[:-1])


def test_close_context_drops_unflushed_text(client: TestClient):
    with client.websocket_connect(f"{MULTI}?{PCM}") as ws:
        ws.send_json({"text": " ", "context_id": "barge"})
        ws.send_json({"text": "This text is never flushed. ", "context_id": "barge"})
        ws.send_json({"context_id": "barge", "close_context": True})
        assert ws.receive_json() == {"isFinal": True, "is_final": True, "contextId": "barge"}
        ws.send_json({"text": "A new turn. ", "context_id": "next", "flush": True})
        ws.send_json({"close_socket": True})
        messages, code = receive_all(ws)
    assert code == 1000
    assert spelled(messages).split() == ["A", "new", "turn."]


def test_a_sixth_context_is_refused(client: TestClient):
    with client.websocket_connect(f"{MULTI}?{PCM}") as ws:
        for number in range(6):
            ws.send_json({"text": " ", "context_id": f"c{number}"})
        messages, code = receive_all(ws)
    assert code == 1008 and messages[-1]["error"] == "max_active_contexts_exceeded"
