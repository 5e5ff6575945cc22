"""pipecat's ElevenLabs services against a live server, unchanged: the HTTP one posts to
`/stream/with-timestamps`, the WebSocket one speaks the `multi-stream-input` protocol, and the dialogue one
that of `/v1/text-to-dialogue/multi-stream-input`. Each test runs the service in a real pipecat pipeline
(`pipecat.tests.utils.run_test`), collects the audio frames pipecat makes of the server's answers, and has
Whisper tiny.en listen to them; word frames come from the server's alignments. The wire protocol pipecat
1.14 speaks is summarized in each test's docstring.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import aiohttp
import numpy as np
import pytest
from e2e import quality
from loguru import logger
from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    InterruptionFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    TTSStartedFrame,
    TTSStoppedFrame,
    TTSTextFrame,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed
from pipecat.services.elevenlabs.dialogue.tts import ElevenLabsDialogueTTSService
from pipecat.services.elevenlabs.tts import ElevenLabsHttpTTSService, ElevenLabsTTSService
from pipecat.services.tts_service import TextAggregationMode
from pipecat.tests.utils import SleepFrame, run_test
from sdk_support import FAST_MODEL, GEORGE, RACHEL, TEST_API_KEY, LiveServer

from vocalis.audio import decode_pcm_s16le, resample

pytestmark = pytest.mark.slow

KOKORO_MODEL = "eleven_multilingual_v2"  # rendered by Kokoro, several times slower than Piper

SPEECH = (
    "The library opens at nine in the morning and closes at six in the evening. "
    "Visitors can borrow up to five books at a time, and children have their own reading room. "
    "Please return everything before the end of the month."
)
SECOND = "Thank you for calling, and have a wonderful afternoon."
# About two and a half minutes of speech, which Piper renders in about five seconds.
LONG = " ".join(
    [
        "Once upon a time, in a small village at the edge of a great forest, there lived an old clockmaker.",
        "Every morning he opened the shutters of his workshop and wound each of the clocks on the walls.",
        "Travellers from distant towns came to buy his clocks, for they never lost a single minute.",
        "One winter a young girl knocked on his door and asked him to teach her the trade.",
        "He agreed, and for many years they worked together side by side in the quiet little shop.",
    ]
    * 5
)


@dataclass
class Run:
    """What one pipecat pipeline run produced: the frames in order and when the service pushed each one."""

    frames: list[Frame]
    arrivals: dict[int, float]

    def of(self, kind: type[Frame]) -> list:
        return [frame for frame in self.frames if isinstance(frame, kind)]

    def context_ids(self) -> list[str]:
        return list(dict.fromkeys(frame.context_id for frame in self.of(TTSStartedFrame)))

    def audio(self, context_id: str | None = None) -> np.ndarray:
        """The 16 kHz float samples of the audio frames (of one context if given), for Whisper."""
        chunks = [
            frame
            for frame in self.of(TTSAudioRawFrame)
            if context_id is None or frame.context_id == context_id
        ]
        assert chunks, f"pipecat produced no audio frames for context {context_id}"
        rates = {frame.sample_rate for frame in chunks}
        assert len(rates) == 1 and all(frame.num_channels == 1 for frame in chunks), rates
        pcm = decode_pcm_s16le(b"".join(frame.audio for frame in chunks), rates.pop())
        return resample(pcm.samples, pcm.sample_rate, quality.SAMPLE_RATE)

    def words(self, context_id: str | None = None) -> list[str]:
        return [
            frame.text
            for frame in self.of(TTSTextFrame)
            if context_id is None or frame.context_id == context_id
        ]


class _Arrivals(BaseObserver):
    """Records when the service under test first pushes each frame (pipecat's own pipeline observer hook)."""

    def __init__(self, service: object) -> None:
        super().__init__()
        self.service = service
        self.seen: dict[int, float] = {}

    async def on_push_frame(self, data: FramePushed) -> None:
        if data.source is self.service:
            self.seen.setdefault(id(data.frame), time.monotonic())


async def _run(service, frames: Sequence[Frame]) -> Run:
    arrivals = _Arrivals(service)
    down, up = await run_test(service, frames_to_send=list(frames), observers=[arrivals])
    errors = [frame.error for frame in [*down, *up] if isinstance(frame, ErrorFrame)]
    assert not errors, f"pipecat reported errors: {errors}"
    return Run(frames=list(down), arrivals=arrivals.seen)


def _assert_heard(audio: np.ndarray, text: str) -> None:
    heard = quality.transcribe(audio)
    errors, words = quality.word_errors(text, heard)
    assert words and errors / words < 0.05, f"WER {errors}/{words}: Whisper heard {heard!r} for {text!r}"


def _assert_words(run: Run, context_id: str | None, text: str) -> None:
    """pipecat's word frames, built from the server's character alignments, spell out the text."""
    assert run.words(context_id) == text.split()


@pytest.fixture
def pipecat_log() -> Iterator[list[str]]:
    """pipecat's log lines during the test (it reports protocol trouble only there, e.g. dropped audio)."""
    lines: list[str] = []
    sink = logger.add(lambda message: lines.append(message.record["message"]), level="DEBUG")
    yield lines
    logger.remove(sink)


def _websocket_service(server: LiveServer, **kwargs) -> ElevenLabsTTSService:
    voice = kwargs.pop("voice", GEORGE)
    model = kwargs.pop("model", FAST_MODEL)
    return ElevenLabsTTSService(
        api_key=TEST_API_KEY,
        url=kwargs.pop("url", server.url.replace("http", "ws", 1)),
        settings=ElevenLabsTTSService.Settings(voice=voice, model=model, stability=0.5, speed=1.0),
        **kwargs,
    )


def _connections(service: ElevenLabsTTSService) -> list[float]:
    """When the service opened each of its sockets, so a test can tell that it never had to reconnect."""
    opened: list[float] = []

    @service.event_handler("on_connected")
    async def _on_connected(_service) -> None:
        opened.append(time.monotonic())

    return opened


def _dropped(log: list[str]) -> list[str]:
    """Server messages pipecat threw away: audio for a context it does not know, misaligned alignments."""
    return [line for line in log if "unable to append audio" in line or "length mismatch" in line]


def _assert_clean_socket(opened: list[float], log: list[str]) -> None:
    assert len(opened) == 1, f"pipecat opened {len(opened)} sockets (the server dropped one): {log[-20:]}"
    assert not _dropped(log), f"pipecat dropped server messages: {_dropped(log)}"
    # On EndFrame pipecat sends {"close_socket": true} and waits up to 2 s for the server to close.
    assert not [line for line in log if "did not close the WebSocket" in line], "close_socket was ignored"


def _warm(server: LiveServer, voice: str, model: str) -> None:
    """Load the voice's engine, so that the socket is timed and not the engine's first load."""
    with server.http() as http:
        response = http.post(f"/v1/text-to-speech/{voice}", json={"text": "Ready.", "model_id": model})
    assert response.status_code == 200, response.text


# HTTP ---------------------------------------------------------------------------------------------------
async def test_http_service_speaks_with_word_timestamps(server: LiveServer):
    """POST /v1/text-to-speech/{voice_id}/stream/with-timestamps?output_format=pcm_24000 with
    {"text", "model_id", "voice_settings"}; NDJSON lines with `audio_base64` (raw PCM) and `alignment`
    {characters, character_start_times_seconds, character_end_times_seconds}."""
    async with aiohttp.ClientSession() as session:
        service = ElevenLabsHttpTTSService(
            api_key=TEST_API_KEY,
            aiohttp_session=session,
            base_url=server.url,
            settings=ElevenLabsHttpTTSService.Settings(voice=GEORGE, model=FAST_MODEL, stability=0.5),
        )
        run = await _run(service, [TTSSpeakFrame(SPEECH)])
    assert len(run.of(TTSStartedFrame)) == 1 and len(run.of(TTSStoppedFrame)) == 1
    assert {frame.sample_rate for frame in run.of(TTSAudioRawFrame)} == {24000}
    _assert_words(run, None, SPEECH)
    _assert_heard(run.audio(), SPEECH)


# WebSocket (multi-stream-input) ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("voice", "model", "silence_timeout"),
    [(GEORGE, FAST_MODEL, 3.0), (RACHEL, KOKORO_MODEL, 10.0)],
    ids=["piper", "kokoro"],
)
async def test_websocket_service_speaks_with_word_timestamps(
    server: LiveServer, pipecat_log: list[str], voice: str, model: str, silence_timeout: float
):
    """ws://…/v1/text-to-speech/{voice_id}/multi-stream-input?model_id=…&output_format=pcm_24000&auto_mode=true
    with xi-api-key; sends {"text": " ", "context_id", "voice_settings"}, {"text": SPEECH, "context_id"},
    {"context_id", "flush": true}, {"context_id", "close_context": true}, then {"close_socket": true}.
    Reads `audio` (base64 PCM), `alignment` {chars, charStartTimesMs, charDurationsMs}, `contextId`, and
    `isFinal: true`, its only source of TTSStoppedFrame.

    pipecat ends a context whose audio pauses for `stop_frame_timeout_s` (3 s by default) and drops what
    comes later; Kokoro renders a sentence in about that time on a busy two-core machine, so its run allows
    the longer pause a pipecat user of a CPU-only server would configure."""
    _warm(server, voice, model)
    service = _websocket_service(server, voice=voice, model=model, stop_frame_timeout_s=silence_timeout)
    opened = _connections(service)
    run = await _run(service, [TTSSpeakFrame(SPEECH)])
    (context_id,) = run.context_ids()
    assert [frame.context_id for frame in run.of(TTSStoppedFrame)] == [context_id], "no isFinal for it"
    assert {frame.sample_rate for frame in run.of(TTSAudioRawFrame)} == {24000}
    _assert_words(run, context_id, SPEECH)
    _assert_heard(run.audio(context_id), SPEECH)
    _assert_clean_socket(opened, pipecat_log)


async def test_websocket_contexts_follow_one_another_and_keepalives_hold_the_socket(
    server: LiveServer, pipecat_log: list[str]
):
    """Two contexts on one socket, 11 s apart: meanwhile pipecat sends its 10-second keep-alive
    {"text": ""} (no context_id, as the first context is closed), which must neither close the socket nor
    open a context."""
    service = _websocket_service(server)
    opened = _connections(service)
    run = await _run(service, [TTSSpeakFrame(SPEECH), SleepFrame(sleep=11), TTSSpeakFrame(SECOND)])
    first, second = run.context_ids()
    assert [frame.context_id for frame in run.of(TTSStoppedFrame)] == [first, second]
    for context_id, text in ((first, SPEECH), (second, SECOND)):
        _assert_words(run, context_id, text)
        _assert_heard(run.audio(context_id), text)
    _assert_clean_socket(opened, pipecat_log)


async def test_websocket_token_streaming_is_buffered_by_the_server(
    server: LiveServer, pipecat_log: list[str]
):
    """An LLM reply streamed token by token (TextAggregationMode.TOKEN, so auto_mode=false): pipecat sends
    each token as its own {"text", "context_id"} and the server must buffer them into speakable chunks
    until the flush at the end of the reply."""
    service = _websocket_service(server, text_aggregation_mode=TextAggregationMode.TOKEN)
    opened = _connections(service)
    tokens = [token if index == 0 else " " + token for index, token in enumerate(SPEECH.split(" "))]
    run = await _run(
        service,
        [LLMFullResponseStartFrame(), *(LLMTextFrame(token) for token in tokens), LLMFullResponseEndFrame()],
    )
    (context_id,) = run.context_ids()
    assert [frame.context_id for frame in run.of(TTSStoppedFrame)] == [context_id]
    _assert_words(run, context_id, SPEECH)
    _assert_heard(run.audio(context_id), SPEECH)
    _assert_clean_socket(opened, pipecat_log)


async def test_websocket_interruption_closes_the_context_and_the_next_one_is_prompt(
    server: LiveServer, pipecat_log: list[str]
):
    """Barge-in: pipecat sends {"context_id": <first>, "close_context": true}, drops the first context's
    later audio itself, and opens the next context on the same socket; the next reply must not wait behind
    the rest of the first (LONG takes Piper about five seconds). pipecat gives up on a context that stays
    silent for 3 s (its `stop_frame_timeout_s`), reporting it "completed with no audio".

    The spec lets a flushed context finish after close_context ("If it has already been set to flush it
    will continue flushing"), and close_socket wait for flushing contexts, so late audio of the first
    context and a slow close at the end are allowed here."""
    service = _websocket_service(server)
    opened = _connections(service)
    interruption = InterruptionFrame()
    run = await _run(
        service, [TTSSpeakFrame(LONG), SleepFrame(sleep=2.0), interruption, TTSSpeakFrame(SECOND)]
    )
    first, second = run.context_ids()
    assert [frame.context_id for frame in run.of(TTSStoppedFrame)] == [second]
    played = sum(
        len(frame.audio) / 2 / frame.sample_rate
        for frame in run.of(TTSAudioRawFrame)
        if frame.context_id == first
    )
    assert played > 0, "the interruption came before any audio: nothing was interrupted"
    started = next(frame for frame in run.of(TTSStartedFrame) if frame.context_id == second)
    first_audio = next(frame for frame in run.of(TTSAudioRawFrame) if frame.context_id == second)
    # The InterruptionFrame passes the service too, so its arrival marks the moment of the barge-in.
    waited = run.arrivals[id(first_audio)] - run.arrivals[id(interruption)]
    assert waited < 3.0, f"the next reply's audio came {waited:.1f} s after the interruption"
    assert run.arrivals[id(started)] >= run.arrivals[id(interruption)]
    _assert_words(run, second, SECOND)
    _assert_heard(run.audio(second), SECOND)
    assert len(opened) == 1, f"pipecat opened {len(opened)} sockets (the server dropped one)"
    assert all(first in line for line in _dropped(pipecat_log)), _dropped(pipecat_log)


async def test_websocket_service_over_wss_trusts_ssl_cert_file(
    tls_server: LiveServer, pipecat_log: list[str], monkeypatch: pytest.MonkeyPatch
):
    """wss:// to a server started with a `vocalis certs` certificate, which pipecat's websockets client
    trusts through SSL_CERT_FILE, as the README tells users."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_server.settings.ssl_certfile))
    service = _websocket_service(tls_server, url=f"wss://localhost:{tls_server.port}")
    opened = _connections(service)
    run = await _run(service, [TTSSpeakFrame(SECOND)])
    (context_id,) = run.context_ids()
    _assert_words(run, context_id, SECOND)
    _assert_heard(run.audio(context_id), SECOND)
    _assert_clean_socket(opened, pipecat_log)


# Text-to-Dialogue WebSocket (multi-stream-input) ----------------------------------------------------------
async def test_dialogue_service_speaks_with_word_timestamps(server: LiveServer, pipecat_log: list[str]):
    """ws://…/v1/text-to-dialogue/multi-stream-input?model_id=eleven_v4_turbo&output_format=pcm_24000
    &sync_alignment=true with xi-api-key; registers {"context_id": "pipecat-keepalive", "voices": [voice]}
    on connect (kept alive by {"context_id", "keep_alive": true}), then per reply {"context_id", "voices",
    "voice_settings": {"stability"}}, {"context_id", "inputs": [{"text", "voice_id", "new_turn"}]},
    {"context_id", "flush": true} and {"context_id", "close_context": true}; {"close_socket": true} at the
    end. Reads `audio`, `alignment` {chars, char_start_times_ms, char_durations_ms} and `context_id`, and
    takes `is_final` as the end of a context. eleven_v4_turbo is unknown here and falls back to eleven_v3."""
    _warm(server, GEORGE, FAST_MODEL)
    service = ElevenLabsDialogueTTSService(
        api_key=TEST_API_KEY,
        url=server.url.replace("http", "ws", 1),
        settings=ElevenLabsDialogueTTSService.Settings(voice=GEORGE, stability=0.5),
    )
    opened = _connections(service)
    run = await _run(service, [TTSSpeakFrame(SPEECH), TTSSpeakFrame(SECOND)])
    first, second = run.context_ids()
    assert [frame.context_id for frame in run.of(TTSStoppedFrame)] == [first, second]
    assert {frame.sample_rate for frame in run.of(TTSAudioRawFrame)} == {24000}
    for context_id, text in ((first, SPEECH), (second, SECOND)):
        _assert_words(run, context_id, text)
        _assert_heard(run.audio(context_id), text)
    _assert_clean_socket(opened, pipecat_log)
