"""The Text-to-Dialogue WebSockets against a real server: raw clients send the SDK's message models, every
server message is validated with the SDK's receive models, and Whisper tiny.en listens to the dialogue.

The SDK has the sockets' message types but no client for them; pipecat's dialogue service, which is one, runs
in test_pipecat.py.
"""

from __future__ import annotations

import base64
import json
import time
import typing

import pydantic
import pytest
import websockets
from e2e import quality
from elevenlabs.types import (
    TextToDialogueWebsocketAudioChunk,
    TextToDialogueWebsocketAudioChunkMulti,
    TextToDialogueWebsocketClientMessage,
    TextToDialogueWebsocketClientMessageMulti,
    TextToDialogueWebsocketError,
    TextToDialogueWebsocketFinal,
    TextToDialogueWebsocketFinalAudioForTurn,
    TextToDialogueWebsocketFinalAudioForTurnMulti,
    TextToDialogueWebsocketFinalMulti,
    TextToDialogueWebsocketVoiceInput,
    TextToDialogueWebsocketVoiceSettings,
)
from elevenlabs.v_1_text_to_dialogue_multi_stream_input.types import (
    ReceiveTextToDialogueWebsocketMessageMulti,
)
from elevenlabs.v_1_text_to_dialogue_stream_input.types import ReceiveTextToDialogueWebsocketMessage
from sdk_support import GEORGE, RACHEL, TEST_API_KEY, LiveServer, pcm16, validate

from vocalis.audio import resample

pytestmark = pytest.mark.slow

HEADERS = {"xi-api-key": TEST_API_KEY}
RATE = 22050
LINES = (
    ("[cheerfully] Good morning! Did you sleep well last night?", RACHEL),
    ("Not really, the neighbors had a party until two in the morning.", GEORGE),
)
# Which receive model a server message is, by the key that sets it apart (the SDK's unions, in order).
SINGLE_MODELS = {
    "audio": TextToDialogueWebsocketAudioChunk,
    "is_final_audio_for_turn": TextToDialogueWebsocketFinalAudioForTurn,
    "is_final": TextToDialogueWebsocketFinal,
    "error": TextToDialogueWebsocketError,
}
MULTI_MODELS = {
    "audio": TextToDialogueWebsocketAudioChunkMulti,
    "is_final_audio_for_turn": TextToDialogueWebsocketFinalAudioForTurnMulti,
    "is_final": TextToDialogueWebsocketFinalMulti,
    "error": TextToDialogueWebsocketError,
}
assert list(SINGLE_MODELS.values()) == list(typing.get_args(ReceiveTextToDialogueWebsocketMessage))
assert list(MULTI_MODELS.values()) == list(typing.get_args(ReceiveTextToDialogueWebsocketMessageMulti))


def url(server: LiveServer, path: str, **query: str) -> str:
    query = {"output_format": f"pcm_{RATE}", "sync_alignment": "true", **query}
    return f"{server.url.replace('http', 'ws', 1)}{path}?" + "&".join(f"{k}={v}" for k, v in query.items())


def dump(message: pydantic.BaseModel) -> str:
    return json.dumps(message.model_dump(exclude_none=True))


def parsed(frame: str | bytes, models: dict[str, type[pydantic.BaseModel]]) -> pydantic.BaseModel:
    """The server message as the SDK model it is, which must know every field the server sent."""
    message = json.loads(frame)
    (kind,) = [key for key in models if key in message][:1]
    model = models[kind]
    assert set(message) <= set(model.model_fields), (model.__name__, message.keys())
    return validate(model, message)


def heard(chunks: list[pydantic.BaseModel]) -> str:
    pcm = b"".join(base64.b64decode(chunk.audio) for chunk in chunks)
    return quality.transcribe(resample(pcm16(pcm), RATE, quality.SAMPLE_RATE))


def assert_intelligible(text: str, transcript: str) -> None:
    errors, words = quality.word_errors(text.replace("[cheerfully]", ""), transcript)
    assert errors / words < 0.05, (text, transcript)


async def test_stream_input_speaks_a_dialogue_of_two_engines(server: LiveServer):
    async with websockets.connect(
        url(server, "/v1/text-to-dialogue/stream-input"), additional_headers=HEADERS
    ) as ws:
        await ws.send(
            dump(
                TextToDialogueWebsocketClientMessage(
                    voices=[RACHEL, GEORGE],
                    voice_settings=TextToDialogueWebsocketVoiceSettings(stability=0.5),
                )
            )
        )
        for text, voice_id in LINES:
            line = TextToDialogueWebsocketVoiceInput(text=text, voice_id=voice_id, new_turn=True)
            await ws.send(dump(TextToDialogueWebsocketClientMessage(inputs=[line])))
        await ws.send(dump(TextToDialogueWebsocketClientMessage(keep_alive=True)))
        await ws.send(dump(TextToDialogueWebsocketClientMessage(close_socket=True)))
        messages = [parsed(frame, SINGLE_MODELS) async for frame in ws]
        assert ws.close_code == 1000
    assert isinstance(messages[-1], TextToDialogueWebsocketFinal)
    chunks = [m for m in messages if isinstance(m, TextToDialogueWebsocketAudioChunk)]
    assert sum(isinstance(m, TextToDialogueWebsocketFinalAudioForTurn) for m in messages) == len(LINES)
    spelled = "".join("".join(chunk.alignment.chars) for chunk in chunks if chunk.alignment)
    assert spelled == " ".join(text for text, _ in LINES)
    assert_intelligible(" ".join(text for text, _ in LINES), heard(chunks))


async def test_multi_stream_input_contexts_and_the_time_to_first_audio(server: LiveServer):
    """Each context speaks its own voice; then a flush on a warm engine gets its audio back promptly."""
    address = url(server, "/v1/text-to-dialogue/multi-stream-input", model_id="eleven_v3")
    contexts = ("rachel", "george")
    async with websockets.connect(address, additional_headers=HEADERS) as ws:
        for context_id, (text, voice_id) in zip(contexts, LINES):
            line = TextToDialogueWebsocketVoiceInput(text=text, voice_id=voice_id)
            await ws.send(
                dump(TextToDialogueWebsocketClientMessageMulti(context_id=context_id, voices=[voice_id]))
            )
            await ws.send(
                dump(TextToDialogueWebsocketClientMessageMulti(context_id=context_id, inputs=[line]))
            )
            await ws.send(
                dump(TextToDialogueWebsocketClientMessageMulti(context_id=context_id, close_context=True))
            )
        messages = []
        while sum(isinstance(m, TextToDialogueWebsocketFinalMulti) for m in messages) < len(contexts):
            messages.append(parsed(await ws.recv(), MULTI_MODELS))
        line = TextToDialogueWebsocketVoiceInput(text="Short and quick.", voice_id=GEORGE)
        await ws.send(dump(TextToDialogueWebsocketClientMessageMulti(context_id="timed", voices=[GEORGE])))
        flushed = time.monotonic()
        await ws.send(
            dump(TextToDialogueWebsocketClientMessageMulti(context_id="timed", inputs=[line], flush=True))
        )
        first = parsed(await ws.recv(), MULTI_MODELS)
        first_audio = time.monotonic() - flushed
        await ws.send(dump(TextToDialogueWebsocketClientMessageMulti(close_socket=True)))
        timed = [first, *[parsed(frame, MULTI_MODELS) async for frame in ws]]
        assert ws.close_code == 1000
    assert isinstance(first, TextToDialogueWebsocketAudioChunkMulti) and first.context_id == "timed"
    assert first_audio < 1.0, f"{first_audio:.2f} s from flush to first audio"
    assert isinstance(timed[-1], TextToDialogueWebsocketFinalMulti) and timed[-1].context_id == "timed"
    for context_id, (text, _) in zip(contexts, LINES):
        mine = [m for m in messages if m.context_id == context_id]
        assert isinstance(mine[-1], TextToDialogueWebsocketFinalMulti)
        assert_intelligible(
            text, heard([m for m in mine if isinstance(m, TextToDialogueWebsocketAudioChunkMulti)])
        )


async def test_errors_are_the_sdk_error_model(server: LiveServer):
    address = url(server, "/v1/text-to-dialogue/multi-stream-input")
    async with websockets.connect(address, additional_headers=HEADERS) as ws:
        await ws.send(dump(TextToDialogueWebsocketClientMessageMulti(context_id="one", voices=[GEORGE])))
        line = TextToDialogueWebsocketVoiceInput(text="Who is this?", voice_id=RACHEL)
        await ws.send(dump(TextToDialogueWebsocketClientMessageMulti(context_id="one", inputs=[line])))
        error = parsed(await ws.recv(), MULTI_MODELS)
        with pytest.raises(websockets.ConnectionClosedError):
            await ws.recv()
        assert ws.close_code == 1008
    assert isinstance(error, TextToDialogueWebsocketError)
    assert (error.error, error.code, error.param) == ("voice_not_registered", 1008, "inputs")
