"""One stream of text becoming one stream of audio: the single TTS socket, or one context of the multi one.

Text goes into a `TextBuffer`; chunks that leave it queue for one worker task that synthesizes them in
order through the speech service, encodes them with one continuous encoder, and sends each piece's audio
with its alignment as soon as the encoder has bytes. A flush also empties the encoder so the last audio of
a turn is not held back. When the context ends, the whole generation is recorded in history once.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from vocalis.audio import StreamingEncoder
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

Emit = Callable[[dict], Awaitable[None]]
Fail = Callable[[Exception], Awaitable[None]]
# A chunk ending in one of these ends its sentence; any other ending continues into the next chunk.
SENTENCE_ENDINGS = (".", "!", "?", "…", "。", "！", "？")


@dataclass
class _Chunk:
    text: str
    flush: bool  # empty the encoder after it: the client is waiting for the end of its turn
    count: int = 1  # queued chunks merged into this one


_END = object()  # queued last: flush the encoder, record history, send the final message


class SpeechContext:
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
        self.voice_id = voice_id
        self.options = options
        self.key_id = key_id
        self.context_id = context_id
        self.voice_settings = voice_settings
        self.locators = locators
        self._emit = emit
        self._fail = fail
        self.buffer = TextBuffer(_schedule(schedule), auto_mode=options.auto_mode)
        # One seed for the whole context keeps the delivery consistent from chunk to chunk.
        self.seed = options.seed if options.seed is not None else random.randrange(2**32)
        self.last_activity = time.monotonic()
        self._queue: asyncio.Queue[_Chunk | object] = asyncio.Queue()
        self._pending = 0  # chunks queued or being synthesized
        self._ending = False
        self._worker: asyncio.Task | None = None
        self._first_prepared: PreparedSpeech | None = None
        self.spoken_text = ""
        # Validate voice, model, format and language now, so a bad request fails at once.
        self._prepare(".")

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
            self._enqueue(_Chunk(chunk, flush=False))
        if flush:
            self.flush()

    def flush(self) -> None:
        self.touch()
        text = self.buffer.take_all()
        self._enqueue(_Chunk(text or "", flush=True))

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
    def _enqueue(self, chunk: _Chunk) -> None:
        if self._ending:
            return
        self._pending += 1
        self._start_worker()
        self._queue.put_nowait(chunk)

    def _start_worker(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._run())

    def _prepare(self, text: str) -> PreparedSpeech:
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
                self.voice_id,
                request,
                output_format=self.options.output_format,
                optimize_streaming_latency=None,
                enable_logging=self.options.enable_logging,
                key_id=self.key_id,
                # A short first piece speeds up only the context's first audio; later chunks stay whole.
                streaming=not self.spoken_text,
            )
        except VocalisError as error:
            raise SocketError(error.message, error=error.code, code=CLOSE_POLICY) from None
        # A chunk that stops mid-sentence keeps a continuing intonation: more text follows.
        speech_input = replace(prepared.speech_input, continues=not text.rstrip().endswith(SENTENCE_ENDINGS))
        prepared = replace(prepared, speech_input=speech_input)
        if self._first_prepared is None:
            self._first_prepared = prepared
        return prepared

    def _model_id(self) -> str:
        # Unknown or odd ids (the SDK can send the string "Ellipsis") fall back to the default model.
        model_id = self.options.model_id
        known = {model.model_id for model in self.speech.registry.models()}
        return model_id if model_id in known else TextToSpeechRequest.model_fields["model_id"].default

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
                assert isinstance(item, _Chunk)
                try:
                    if item.text.strip():
                        prepared = self._prepare(item.text)
                        self.spoken_text += item.text
                        generation_start = clock
                        async for piece in self.speech.pieces(prepared):
                            encoder = encoder or StreamingEncoder(prepared.output_format, piece.sample_rate)
                            # Piece timings count from the start of their generation.
                            for result in (history, unsent):
                                result.alignment.extend(_shifted(piece.alignment, generation_start))
                                result.normalized_alignment.extend(
                                    _shifted(piece.normalized_alignment, generation_start)
                                )
                            await self._send_audio(encoded, encoder.encode(piece.audio), unsent, clock)
                            clock += len(piece.audio) / piece.sample_rate
                    if item.flush and encoder is not None:
                        await self._send_audio(encoded, encoder.flush(), unsent, clock)
                        encoder = None
                finally:
                    self._pending = max(0, self._pending - item.count)
                    self.touch()
            if encoder is not None:
                await self._send_audio(encoded, encoder.flush(), unsent, clock)
            await self._emit(final_message(self.context_id))
            if self._first_prepared is not None and self.spoken_text.strip():
                encoded.seek(0)
                record = replace(self._first_prepared, text=self.spoken_text)
                await self.speech.registry.run(self.speech.record, record, encoded, history)

    async def _take_chunk(self) -> _Chunk | object:
        """The next chunk, merged with the chunks queued behind it while the last one was synthesized:
        one longer generation sounds better than several short ones and is no later."""
        item = await self._queue.get()
        if item is _END:
            return item
        assert isinstance(item, _Chunk)
        while not self._queue.empty() and len(item.text) < self.max_buffer_chars:
            following = self._queue._queue[0]  # type: ignore[attr-defined]  # peek: _END must stay queued
            if following is _END:
                break
            self._queue.get_nowait()
            assert isinstance(following, _Chunk)
            item = _Chunk(item.text + following.text, item.flush or following.flush, item.count + 1)
        return item

    async def _send_audio(self, encoded, data: bytes, unsent: SpeechResult, start: float) -> None:
        """Send `data` with the characters not sent yet, timed from `start` (the audio's start)."""
        if not data:
            return
        if self.options.enable_logging:
            encoded.write(data)
        alignment = alignment_payload(unsent.alignment, start)
        normalized = alignment_payload(unsent.normalized_alignment, start)
        unsent.alignment, unsent.normalized_alignment = Alignment(), Alignment()
        await self._emit(audio_message(data, alignment, normalized, context_id=self.context_id))


def _schedule(schedule: list[float] | None) -> tuple[int, ...]:
    if schedule is None:
        return DEFAULT_SCHEDULE
    try:
        return check_schedule(schedule)
    except ValueError as error:
        raise SocketError(str(error), error="invalid_parameters") from None


def _shifted(alignment: Alignment, seconds: float) -> Alignment:
    return Alignment(
        list(alignment.characters),
        [start + seconds for start in alignment.starts],
        [end + seconds for end in alignment.ends],
    )
