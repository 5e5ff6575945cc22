"""Voice isolation requests: the limits of the docs, the engine choice, and one pipeline for both endpoints,
decode → enhance → encode a chunk at a time, so memory stays flat however long the file and a stream's
first bytes leave after its first half second of audio.

Audio or video in (the first audio stream; channels downmixed to mono, since the isolated voice is one
signal and ElevenLabs documents no multi-channel output), MP3 out at the ElevenLabs default 44.1 kHz,
128 kbps, as long as the input.
"""

from __future__ import annotations

import math
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import BinaryIO

import anyio
import numpy as np

from vocalis.audio import (
    AudioDecodeError,
    StreamingEncoder,
    decode_pcm_s16le_stream,
    decode_stream,
    parse_output_format,
    probe_duration,
)
from vocalis.engines.protocols import Enhancer
from vocalis.engines.registry import EngineRegistry
from vocalis.errors import InvalidRequest
from vocalis.store.history import HistoryRepository

# The docs: "Files up to 500MB and 1 hour".
MAX_FILE_BYTES = 500 * 1024 * 1024
MAX_DURATION_SECONDS = 3600.0
ENGINES = ("deepfilternet3", "rnnoise")
OUTPUT_FORMAT = parse_output_format("mp3_44100_128")
PCM_FILE_FORMAT = "pcm_s16le_16"  # headerless 16-bit little-endian mono at 16 kHz, per the spec
PCM_RATE = 16000
CHARACTERS_PER_MINUTE = 1000  # what ElevenLabs bills for a minute of isolated audio
CHUNK_SECONDS = 0.5
SPOOL_BYTES = 4 << 20  # a finished file stays in memory up to this size, then spills to disk
READ_BLOCK_BYTES = 64 * 1024


@dataclass
class IsolationRequest:
    """A checked request: readable audio within the limits, and the engine that will isolate it."""

    audio: BinaryIO
    raw_pcm: bool
    duration_seconds: float
    engine: str
    key_id: str | None
    # The engine's load when the request was admitted, this request included (for the concurrency headers).
    concurrent_requests: int
    max_concurrent_requests: int

    @property
    def characters(self) -> int:
        return math.ceil(self.duration_seconds / 60 * CHARACTERS_PER_MINUTE)


class _Pipeline:
    """decode → enhance → encode, advanced one chunk per `step()` from worker threads; the lock makes
    `close()` (after a client left) wait for a step still running instead of breaking into it."""

    def __init__(self, enhancer: Enhancer, request: IsolationRequest) -> None:
        rate = enhancer.sample_rate
        if request.raw_pcm:
            chunks = decode_pcm_s16le_stream(request.audio, PCM_RATE, rate, CHUNK_SECONDS)
        else:
            chunks = decode_stream(request.audio, rate, CHUNK_SECONDS)
        self._enhanced = enhancer.enhance(_within_limit(chunks, rate))
        self._encoder = StreamingEncoder(OUTPUT_FORMAT, rate)
        self._lock = threading.Lock()
        self._finished = False

    def step(self) -> bytes | None:
        """The next encoded bytes (possibly b''); None once the encoder's tail was returned."""
        with self._lock:
            if self._finished:
                return None
            try:
                chunk = next(self._enhanced, None)
            except AudioDecodeError as error:
                raise _unreadable(error) from None
            if chunk is None:
                self._finished = True
                return self._encoder.flush()
            return self._encoder.encode(chunk)

    def close(self) -> None:
        with self._lock:
            self._enhanced.close()  # type: ignore[attr-defined]  # engines return generators


def _within_limit(chunks: Iterator[np.ndarray], sample_rate: int) -> Iterator[np.ndarray]:
    """The chunks, refused once past the duration limit: a container's stated duration may be false."""
    limit = MAX_DURATION_SECONDS * sample_rate
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise InvalidRequest("The audio is longer than the 1 hour limit.", code="audio_too_long")
        yield chunk


def read_blocks(file: BinaryIO) -> Iterator[bytes]:
    """A finished file's bytes in blocks, closing it at the end (a response body for `render`'s result)."""
    with file:
        while block := file.read(READ_BLOCK_BYTES):
            yield block


class IsolationService:
    def __init__(
        self, registry: EngineRegistry, history: HistoryRepository, default_engine: str, max_upload_bytes: int
    ):
        self.registry = registry
        self.history = history
        self.default_engine = default_engine
        self.max_file_bytes = min(MAX_FILE_BYTES, max_upload_bytes)

    async def prepare(
        self,
        audio: BinaryIO,
        size: int | None,
        file_format: str | None,
        engine: str | None,
        key_id: str | None,
    ) -> IsolationRequest:
        """Check the request (400s the user can act on) and, last, admit it to its engine (429 when full)."""
        engine = engine or self.default_engine
        if engine not in ENGINES or not self.registry.has_engine(engine):
            installed = [name for name in ENGINES if self.registry.has_engine(name)]
            raise InvalidRequest(
                f"Unknown or uninstalled isolation engine {engine!r}; "
                f"installed: {', '.join(installed) or 'none'}.",
                code="invalid_parameters",
            )
        if size is None:
            size = audio.seek(0, 2)
            audio.seek(0)
        if size == 0:
            raise InvalidRequest("The uploaded audio file is empty.", code="invalid_audio")
        if size > self.max_file_bytes:
            raise InvalidRequest(
                f"The file has {size} bytes; the voice isolator takes up to {self.max_file_bytes} bytes.",
                code="file_too_large",
            )
        raw_pcm = file_format == PCM_FILE_FORMAT
        if raw_pcm:
            if size % 2:
                raise InvalidRequest(
                    "file_format pcm_s16le_16 needs 16-bit samples: the file has an odd number of bytes.",
                    code="invalid_audio",
                )
            duration = size / 2 / PCM_RATE
        else:
            duration = await self.registry.run(_probed_duration, audio)
        if duration > MAX_DURATION_SECONDS:
            raise InvalidRequest(
                f"The audio lasts {duration / 60:.1f} minutes; the voice isolator takes up to 1 hour.",
                code="audio_too_long",
            )
        current, maximum = self.registry.admit(engine)
        return IsolationRequest(audio, raw_pcm, duration, engine, key_id, current, maximum)

    async def stream(self, request: IsolationRequest) -> AsyncIterator[bytes]:
        """The isolated speech as MP3 bytes as chunks are done; usage is recorded once all of it went out."""
        async with self.registry.reserve(request.engine) as enhancer:
            pipeline = _Pipeline(enhancer, request)
            try:
                while (data := await self.registry.run(pipeline.step)) is not None:
                    if data:
                        yield data
            finally:
                # Shielded: after a client left, the request is being cancelled, and an unshielded await
                # would give up at once, leaving the native state to be freed whenever the garbage collector
                # runs, after the upload's file is closed.
                with anyio.CancelScope(shield=True):
                    await self.registry.run(pipeline.close)
        await self.registry.run(self.history.record_usage, request.characters, None, None, request.key_id)

    async def started(self, request: IsolationRequest) -> AsyncIterator[bytes]:
        """`stream`, with its first bytes already made: an engine that cannot load or a file that cannot be
        decoded is then answered with an error response instead of a stream cut short."""
        chunks = self.stream(request)
        first = await anext(chunks, b"")
        return _chained(first, chunks)

    async def render(self, request: IsolationRequest) -> tuple[BinaryIO, int]:
        """The whole isolated file (spilling to disk past a few MB) and its size; errors surface before any
        byte is sent."""
        output = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        try:
            async for data in self.stream(request):
                output.write(data)
        except BaseException:
            output.close()
            raise
        size = output.tell()
        output.seek(0)
        return output, size  # type: ignore[return-value]  # a spooled file is a binary file


async def _chained(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    async with aclosing(rest):  # a client that leaves stops the pipeline and frees the engine slot
        if first:
            yield first
        async for data in rest:
            yield data


def _probed_duration(audio: BinaryIO) -> float:
    try:
        return probe_duration(audio)
    except AudioDecodeError as error:
        raise _unreadable(error) from None


def _unreadable(error: AudioDecodeError) -> InvalidRequest:
    return InvalidRequest(f"The file could not be read as audio: {error}", code="invalid_audio")
