"""The TTS WebSockets against a real server: the SDK's `convert_realtime` over wss://, raw clients sending the
SDK's message models, every server message validated with the SDK's models and the AsyncAPI schemas,
transcripts of the audio, 20 sockets at once, and a client that stops reading."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import time
from functools import cache
from pathlib import Path

import pytest
import websockets
import yaml
from e2e import quality
from elevenlabs.client import ElevenLabs
from elevenlabs.types import (
    AudioOutput,
    AudioOutputMulti,
    CloseConnection,
    FinalOutput,
    FinalOutputMulti,
    InitializeConnection,
    InitializeConnectionMulti,
    RealtimeVoiceSettings,
    SendText,
    SendTextMulti,
)
from sdk_support import FAST_MODEL, GEORGE, TEST_API_KEY, LiveServer, live_server, pcm16, validate
from websockets.client import ClientProtocol
from websockets.protocol import State
from websockets.uri import parse_uri

from vocalis.audio import decode, resample
from vocalis.config import Settings

pytestmark = pytest.mark.slow

ASYNCAPI = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "elevenlabs" / "api-asyncapi.yml"
TEXT = [
    "The weather today is sunny with a gentle breeze from the west. ",
    "Later this evening we expect clear skies and a cool night across the region. ",
]
HEADERS = {"xi-api-key": TEST_API_KEY}


@cache
def asyncapi_schemas() -> dict:
    return yaml.safe_load(ASYNCAPI.read_text())["components"]["schemas"]


def assert_matches_asyncapi(name: str, message: dict) -> None:
    import jsonschema

    schemas = asyncapi_schemas()
    document = {"$ref": f"#/components/schemas/{name}", "components": {"schemas": schemas}}
    jsonschema.validate(message, document)
    for key in message:
        assert key in schemas[name]["properties"] or key in ("isFinal", "is_final"), (name, key)


def ws_url(server: LiveServer, path: str, **query: str) -> str:
    base = server.url.replace("http", "ws", 1)
    return f"{base}{path}?" + "&".join(f"{key}={value}" for key, value in query.items())


def dump(model) -> str:
    return json.dumps(model.model_dump(by_alias=True, exclude_none=True))


def words_heard(pcm: bytes, rate: int) -> str:
    samples = pcm16(pcm)
    return quality.transcribe(resample(samples, rate, quality.SAMPLE_RATE))


def assert_intelligible(text: str, heard: str) -> None:
    errors, words = quality.word_errors(text, heard)
    assert errors / words < 0.05, (text, heard)


async def receive_all(ws) -> list[dict]:
    messages = []
    async for frame in ws:
        messages.append(json.loads(frame))
    return messages


def test_convert_realtime_over_wss(tls_server: LiveServer, monkeypatch: pytest.MonkeyPatch):
    """The SDK's `convert_realtime` always dials wss://; the README's certificate recipe makes it work."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_server.settings.ssl_certfile))
    client = ElevenLabs(api_key=TEST_API_KEY, base_url=f"https://localhost:{tls_server.port}")

    def words():
        for sentence in TEXT:
            yield from (word + " " for word in sentence.split())

    audio = b"".join(
        client.text_to_speech.convert_realtime(
            voice_id=GEORGE,
            text=words(),
            model_id=FAST_MODEL,
            output_format="mp3_44100_128",
            voice_settings=RealtimeVoiceSettings(stability=0.5, similarity_boost=0.8),
        )
    )
    decoded = decode(audio, sample_rate=quality.SAMPLE_RATE)
    assert decoded.duration_seconds > 3
    assert_intelligible("".join(TEXT), quality.transcribe(decoded.samples))


async def test_stream_input_messages_match_the_sdk_and_asyncapi(server: LiveServer):
    url = ws_url(
        server, f"/v1/text-to-speech/{GEORGE}/stream-input", model_id=FAST_MODEL, output_format="pcm_22050"
    )
    async with websockets.connect(url, additional_headers=HEADERS) as ws:
        await ws.send(dump(InitializeConnection(text=" ", voice_settings=RealtimeVoiceSettings(speed=1.0))))
        for sentence in TEXT:
            await ws.send(dump(SendText(text=sentence, try_trigger_generation=True)))
        await ws.send(dump(CloseConnection(text="")))
        messages = await receive_all(ws)
        assert ws.close_code == 1000
    *audio_messages, final = messages
    validate(FinalOutput, final)
    assert final["isFinal"] is True and final["is_final"] is True
    assert_matches_asyncapi("FinalOutput", final)
    for message in audio_messages:
        validate(AudioOutput, message)
        assert_matches_asyncapi("AudioOutput", message)
    pcm = b"".join(base64.b64decode(message["audio"]) for message in audio_messages)
    assert_intelligible("".join(TEXT), words_heard(pcm, 22050))
    spoken = "".join("".join(m["alignment"]["chars"]) for m in audio_messages if m.get("alignment"))
    assert spoken.split() == "".join(TEXT).split()


async def test_multi_stream_input_messages_match_the_sdk_and_asyncapi(server: LiveServer):
    url = ws_url(server, f"/v1/text-to-speech/{GEORGE}/multi-stream-input", output_format="pcm_16000")
    async with websockets.connect(url, additional_headers=HEADERS) as ws:
        await ws.send(dump(InitializeConnectionMulti(text=" ", context_id="first")))
        await ws.send(dump(SendTextMulti(text=TEXT[0], context_id="first", flush=True)))
        await ws.send(dump(SendTextMulti(text=TEXT[1], context_id="second", flush=True)))
        await ws.send(json.dumps({"close_socket": True}))
        messages = await receive_all(ws)
        assert ws.close_code == 1000
    heard = []
    for context_id in ("first", "second"):
        *audio_messages, final = [m for m in messages if m["contextId"] == context_id]
        validate(FinalOutputMulti, final)
        assert_matches_asyncapi("FinalOutputMulti", final)
        for message in audio_messages:
            validate(AudioOutputMulti, message)
            assert_matches_asyncapi("AudioOutputMulti", message)
        heard.append(words_heard(b"".join(base64.b64decode(m["audio"]) for m in audio_messages), 16000))
    assert_intelligible("".join(TEXT), " ".join(heard))


async def _one_socket(server: LiveServer, number: int) -> float:
    url = ws_url(
        server, f"/v1/text-to-speech/{GEORGE}/stream-input", model_id=FAST_MODEL, output_format="pcm_16000"
    )
    async with websockets.connect(url, additional_headers=HEADERS, open_timeout=60) as ws:
        await ws.send(json.dumps({"text": " "}))
        await ws.send(json.dumps({"text": f"Socket number {number} is speaking now. "}))
        await ws.send(json.dumps({"text": ""}))
        messages = await receive_all(ws)
        assert ws.close_code == 1000 and messages[-1]["isFinal"] is True
    pcm = b"".join(base64.b64decode(m["audio"]) for m in messages if m.get("audio"))
    return len(pcm) / 2 / 16000


async def test_twenty_sockets_at_once_all_finish(server: LiveServer):
    seconds = await asyncio.wait_for(asyncio.gather(*(_one_socket(server, n) for n in range(20))), 120)
    assert all(value > 1.0 for value in seconds)


def _silent_client(port: int, path: str, messages: list[dict]) -> socket.socket:
    """A WebSocket client that sends `messages` and then never reads (a tiny receive buffer)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    protocol = ClientProtocol(parse_uri(f"ws://127.0.0.1:{port}{path}"))
    request = protocol.connect()
    request.headers["xi-api-key"] = TEST_API_KEY
    protocol.send_request(request)
    for data in protocol.data_to_send():
        sock.sendall(data)
    while protocol.state is not State.OPEN:  # the handshake's answer is the last thing read
        protocol.receive_data(sock.recv(4096))
    for message in messages:
        protocol.send_text(json.dumps(message).encode())
    for data in protocol.data_to_send():
        sock.sendall(data)
    return sock


def test_a_client_that_stops_reading_is_disconnected(tmp_path, model_cache):
    settings = Settings(
        home=tmp_path, model_cache=model_cache, api_key=TEST_API_KEY, websocket_send_timeout_seconds=1.0
    )
    with live_server(settings) as slow_server:
        text = "This sentence is repeated many times over. " * 60
        sock = _silent_client(
            slow_server.port,
            f"/v1/text-to-speech/{GEORGE}/stream-input?output_format=pcm_44100",
            [{"text": " "}, {"text": text, "flush": True}],
        )
        services = slow_server.server.config.app.state.services
        deadline = time.monotonic() + 60
        # The server's sends stall, it gives up, and its synthesis stops: the engine is free again.
        time.sleep(3)
        while services.registry.load_counts("piper")[0] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert services.registry.load_counts("piper")[0] == 0
        # Reading now finds the end of the connection instead of 150 s of audio.
        sock.settimeout(10)
        received = 0
        while chunk := sock.recv(1 << 16):
            received += len(chunk)
        sock.close()
        assert received < len(text) * 44100 * 2 * 4 / 3 / 16  # far less than the whole stream
        # The server is fine afterwards.
        assert asyncio.run(_one_socket(slow_server, 1)) > 1.0
