"""One stream of text becoming one stream of audio: the single TTS socket, or one context of the multi one.

Text goes into a `TextBuffer`; chunks that leave it queue for one worker task that synthesizes them in
order through the speech service, encodes them with one continuous encoder, and sends each piece's audio
with its alignment as soon as the encoder has bytes. A flush also empties the encoder so the last audio of
a turn is not held back. When the context ends, the whole generation is recorded in history once.

The dialogue sockets' contexts (`realtime.dialogue`) are this class with several voices: each chunk names
its voice and turn, and the hooks at the end of the class shape their pieces, messages and history.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import BinaryIO

from vocalis.audio import OutputFormat, StreamingEncoder
from vocalis.errors import VocalisError
from vocalis.realtime.buffering import DEFAULT_SCHEDULE, TextBuffer, check_schedule
from vocalis.realtime.protocol import (
    CLOSE_POLICY,
    SocketError,
    SocketOptions,
    alignment_payload,
    audio_message,
    final_message,
)
from vocalis.schemas.common import VoiceSettings
from vocalis.schemas.text_to_speech import PronunciationDictionaryLocator, TextToSpeechRequest
from vocalis.speech.alignment import Alignment
from vocalis.speech.service import SPOOL_BYTES, PreparedSpeech, SpeechResult, SpeechService
from vocalis.speech.synthesis import SpeechPiece

Emit = Callable[[dict], Awaitable[None]]
Fail = Callable[[Exception], Awaitable[None]]
# A chunk ending in one of these ends its sentence; any other ending continues into the next chunk.
SOCKET_MAX_CHUNK_CHARS = 150
SENTENCE_ENDINGS = (".", "!", "?", "…", "。", "！", "？")


@dataclass
class Chunk:
    """Text that has left the buffer, queued for the worker."""

    text: str
    flush: bool  # empty the encoder after it: the client is waiting for the end of its turn
    voice_id: str
    turn: int  # chunks of one turn are spoken by one voice and may merge
    count: int = 1  # queued chunks merged into this one


_END = object()  # queued last: flush the encoder, record history, send the final message


class SpeechContext:
    default_model_id = TextToSpeechRequest.model_fields["model_id"].default
    default_schedule = DEFAULT_SCHEDULE

    def __init__(
        self,
        speech: SpeechService,
        *,
        voice_id: str,
        options: SocketOptions,
        key_id: str | None,
        emit: Emit,
        fail: Fail,
        context_id: str | None = None,
        voice_settings: VoiceSettings | None = None,
        schedule: list[float] | None = None,
        locators: list[PronunciationDictionaryLocator] | None = None,
    ):
        self.speech = speech
        self.voice_id = voice_id  # the voice of the current turn
        self.turn = 0
        self.options = options
        self.key_id = key_id
        self.context_id = context_id
        self.voice_settings = voice_settings
        self.locators = locators
        self._emit = emit
        self._fail = fail
        self.buffer = TextBuffer(
            self.default_schedule if schedule is None else _schedule(schedule), auto_mode=options.auto_mode
        )
        # One seed for the whole context keeps the delivery consistent from chunk to chunk.
        self.seed = options.seed if options.seed is not None else random.randrange(2**32)
        self.last_activity = time.monotonic()
        self._queue: asyncio.Queue[Chunk | object] = asyncio.Queue()
        self._pending = 0  # chunks queued or being synthesized
        self._ending = False
        self._worker: asyncio.Task | None = None
        self._first_prepared: PreparedSpeech | None = None
        # What has been spoken, one prepared request per turn holding the turn's whole text.
        self.lines: list[PreparedSpeech] = []
        self._line_turn: int | None = None  # the turn of the last line
        # Validate voice, model, format and language now, so a bad request fails at once.
        self._prepare(".", voice_id)

    # Client input --------------------------------------------------------------------------------
    def add_text(self, text: str, *, flush: bool = False, try_trigger: bool = False) -> None:
        self.touch()
        self.buffer.add(text)
        if len(self.buffer) > self.max_buffer_chars:
            raise SocketError(
                f"The text buffer holds {len(self.buffer)} characters without a word break; the limit is "
                f"{self.max_buffer_chars}. Send text with spaces between words, or flush.",
                error="buffer_overflow",
            )
        for chunk in self.buffer.take_ready(try_trigger=try_trigger):
            self._enqueue(chunk, flush=False)
        if flush:
            self.flush()

    def flush(self) -> None:
        self.touch()
        text = self.buffer.take_all()
        self._enqueue(text or "", flush=True)

    def configure(self, voice_settings: VoiceSettings | None, schedule: list[float] | None) -> None:
        if voice_settings is not None:
            self.voice_settings = voice_settings
        if schedule is not None:
            self.buffer.schedule = _schedule(schedule)

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    @property
    def busy(self) -> bool:
        return self._pending > 0

    @property
    def max_buffer_chars(self) -> int:
        return self._first_prepared.model.max_characters if self._first_prepared else 10_000

    def idle_for(self) -> float:
        return 0.0 if self.busy else time.monotonic() - self.last_activity

    # Ending --------------------------------------------------------------------------------------
    async def finish(self, *, generate_buffer: bool = True) -> None:
        """Generate what is buffered (unless told not to), wait for it, then send the final message."""
        if self._ending:
            return
        if generate_buffer:
            self.flush()
        else:
            self.buffer.take_all()
        self._ending = True
        self._start_worker()
        await self._queue.put(_END)
        await self._worker

    async def cancel(self) -> None:
        """Stop at once (the socket is gone): synthesis in progress is stopped, nothing more is sent."""
        if self._worker is not None and not self._worker.done():
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass

    # Generation ----------------------------------------------------------------------------------
    def _enqueue(self, text: str, *, flush: bool) -> None:
        if self._ending:
            return
        self._pending += 1
        self._start_worker()
        self._queue.put_nowait(Chunk(text, flush, self.voice_id, self.turn))

    def _start_worker(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._run())

    def _prepare(self, text: str, voice_id: str) -> PreparedSpeech:
        request = TextToSpeechRequest(
            text=text,
            model_id=self._model_id(),
            language_code=self.options.language_code,
            voice_settings=self.voice_settings,
            pronunciation_dictionary_locators=self.locators,
            seed=self.seed,
            apply_text_normalization=self.options.apply_text_normalization,
        )
        try:
            prepared = self.speech.prepare(
                voice_id,
                request,
                output_format=self.options.output_format,
                optimize_streaming_latency=None,
                enable_logging=self.options.enable_logging,
                key_id=self.key_id,
                # A short first piece speeds up only the context's first audio; later chunks stay whole.
                streaming=not self.lines,
            )
        except VocalisError as error:
            raise SocketError(error.message, error=error.code, code=CLOSE_POLICY) from None
        # A chunk that stops mid-sentence keeps a continuing intonation: more text follows.
        speech_input = replace(
            prepared.speech_input,
            continues=not text.rstrip().endswith(SENTENCE_ENDINGS),
            # A slow engine's long sentence would leave seconds without a message (pipecat gives up at 3 s).
            max_chunk_chars=SOCKET_MAX_CHUNK_CHARS,
        )
        prepared = replace(prepared, speech_input=speech_input)
        if self._first_prepared is None:
            self._first_prepared = prepared
        return prepared

    def _model_id(self) -> str:
        # Unknown or odd ids (the SDK can send the string "Ellipsis") fall back to the default model.
        model_id = self.options.model_id
        known = {model.model_id for model in self.speech.registry.models()}
        return model_id if model_id in known else self.default_model_id

    async def _run(self) -> None:
        try:
            await self._generate()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the session turns it into an error message and a close
            await self._fail(error)

    async def _generate(self) -> None:
        encoder: StreamingEncoder | None = None
        history = SpeechResult(keep_audio=False)
        # Alignment not yet sent: a piece the encoder had no bytes for yet passes its characters on.
        unsent = SpeechResult(keep_audio=False)
        clock = 0.0  # seconds of audio synthesized so far in this context
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as encoded:
            while True:
                item = await self._take_chunk()
                if item is _END:
                    break
                assert isinstance(item, Chunk)
                try:
                    if item.text.strip():
                        generation_start = clock
                        async for piece in self._pieces(item, clock):
                            encoder = encoder or StreamingEncoder(self.output_format, piece.sample_rate)
                            # Piece timings count from the start of their generation.
                            for result in (history, unsent):
                                result.alignment.extend(piece.alignment.shifted(generation_start))
                                result.normalized_alignment.extend(
                                    piece.normalized_alignment.shifted(generation_start)
                                )
                            await self._send_audio(encoded, encoder.encode(piece.audio), unsent, clock)
                            clock += len(piece.audio) / piece.sample_rate
                    if item.flush and encoder is not None:
                        await self._send_audio(encoded, encoder.flush(), unsent, clock)
                        encoder = None
                        await self._flushed()
                finally:
                    self._pending = max(0, self._pending - item.count)
                    self.touch()
            if encoder is not None:
                await self._send_audio(encoded, encoder.flush(), unsent, clock)
                await self._flushed()
            await self._emit(self._final_message())
            if self.lines:
                encoded.seek(0)
                await self._record(encoded, history)

    async def _take_chunk(self) -> Chunk | object:
        """The next chunk, merged with the chunks queued behind it while the last one was synthesized:
        one longer generation sounds better than several short ones and is no later."""
        item = await self._queue.get()
        if item is _END:
            return item
        assert isinstance(item, Chunk)
        while not self._queue.empty() and len(item.text) < self.max_buffer_chars:
            following = self._queue._queue[0]  # type: ignore[attr-defined]  # peek: _END must stay queued
            if following is _END or following.turn != item.turn:
                break
            self._queue.get_nowait()
            assert isinstance(following, Chunk)
            item = replace(
                item,
                text=item.text + following.text,
                flush=item.flush or following.flush,
                count=item.count + 1,
            )
        return item

    async def _send_audio(self, encoded, data: bytes, unsent: SpeechResult, start: float) -> None:
        """Send `data` with the characters not sent yet, timed from `start` (the audio's start)."""
        if not data:
            return
        if self.options.enable_logging:
            encoded.write(data)
        message = self._audio_message(data, unsent.alignment, unsent.normalized_alignment, start)
        unsent.alignment, unsent.normalized_alignment = Alignment(), Alignment()
        await self._emit(message)

    @property
    def output_format(self) -> OutputFormat:
        assert self._first_prepared is not None  # set by the validation in __init__
        return self._first_prepared.output_format

    def _add_line(self, item: Chunk, prepared: PreparedSpeech) -> None:
        if self.lines and self._line_turn == item.turn:
            self.lines[-1] = replace(self.lines[-1], text=self.lines[-1].text + item.text)
        else:
            self.lines.append(replace(prepared, text=item.text))
            self._line_turn = item.turn

    # What the dialogue contexts change ----------------------------------------------------------------
    async def _pieces(self, item: Chunk, start: float) -> AsyncIterator[SpeechPiece]:
        """The chunk's audio, timed from its own start; `start` is where it begins in the context."""
        prepared = self._prepare(item.text, item.voice_id)
        self._add_line(item, prepared)
        async for piece in self.speech.pieces(prepared):
            yield piece

    def _audio_message(self, data: bytes, alignment: Alignment, normalized: Alignment, start: float) -> dict:
        return audio_message(
            data,
            alignment_payload(alignment, start),
            alignment_payload(normalized, start),
            context_id=self.context_id,
        )

    def _final_message(self) -> dict:
        return final_message(self.context_id)

    async def _flushed(self) -> None:
        """All audio up to here has been sent (the encoder was emptied)."""

    async def _record(self, encoded: BinaryIO, history: SpeechResult) -> None:
        (line,) = self.lines  # one voice, one turn
        await self.speech.registry.run(self.speech.record, line, encoded, history)


def _schedule(schedule: list[float]) -> tuple[int, ...]:
    try:
        return check_schedule(schedule)
    except ValueError as error:
        raise SocketError(str(error), error="invalid_parameters") from None
