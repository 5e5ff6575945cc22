"""Decode any common audio or video file to float32 mono (or one of its channels), resample, and encode to an
ElevenLabs output format.

Everything goes through PyAV (FFmpeg as a library) and soxr, so no system binaries are needed.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import av
import numpy as np
import soxr
from av.container import InputContainer

from vocalis.audio.formats import OutputFormat
from vocalis.audio.streaming import StreamingEncoder

CONVERTED_FRAME_SAMPLES = 16384


class AudioDecodeError(ValueError):
    """The input is empty, not media FFmpeg can read, or has no audio stream."""


@dataclass
class Audio:
    """Mono float32 samples in [-1, 1] at `sample_rate`."""

    samples: np.ndarray
    sample_rate: int

    @property
    def duration_seconds(self) -> float:
        return len(self.samples) / self.sample_rate


def decode(source: bytes | str | os.PathLike[str] | BinaryIO, sample_rate: int | None = None) -> Audio:
    """Decode the first audio stream of any container FFmpeg reads, downmixed to mono.

    `sample_rate` resamples the result; None keeps the stream's own rate.
    """
    chunks: list[np.ndarray] = []
    native_rate = 0
    with _opened(source) as container:
        for rate, planes in _planes(container):
            native_rate = rate
            chunks.append(planes.mean(axis=0))
    if sum(len(chunk) for chunk in chunks) == 0:
        raise AudioDecodeError("The file contains no audio samples.")
    samples = np.concatenate(chunks).astype(np.float32, copy=False)
    if sample_rate is not None:
        samples = resample(samples, native_rate, sample_rate)
        native_rate = sample_rate
    return Audio(samples=samples, sample_rate=native_rate)


def decode_pcm_s16le(data: bytes, sample_rate: int) -> Audio:
    """Read headerless mono s16le samples recorded at `sample_rate` (e.g. STT's `pcm_s16le_16`, 16 kHz)."""
    if len(data) == 0:
        raise AudioDecodeError("The audio is empty (0 bytes).")
    if len(data) % 2:
        raise AudioDecodeError("Raw 16-bit PCM must have an even number of bytes.")
    samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
    return Audio(samples=samples, sample_rate=sample_rate)


def decode_pcm_s16le_stream(
    source: BinaryIO, source_rate: int, sample_rate: int, chunk_seconds: float = 30.0
) -> Iterator[np.ndarray]:
    """`decode_stream` for headerless mono s16le samples recorded at `source_rate`: read block by block,
    resampled as a stream to float32 chunks of `chunk_seconds` at `sample_rate`, in flat memory."""
    block_bytes = 2 * max(1, round(chunk_seconds * source_rate))

    def pieces() -> Iterator[np.ndarray]:
        stream = soxr.ResampleStream(source_rate, sample_rate, 1, dtype="float32", quality="HQ")
        read = 0
        while block := source.read(block_bytes):
            read += len(block)
            if len(block) % 2:
                block += source.read(1)  # a short read split a sample
            yield stream.resample_chunk(decode_pcm_s16le(block, source_rate).samples)
        if read == 0:
            raise AudioDecodeError("The audio is empty (0 bytes).")
        yield stream.resample_chunk(np.zeros(0, np.float32), last=True)

    return _fixed_chunks(pieces(), max(1, round(chunk_seconds * sample_rate)))


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Resample float32 mono samples with soxr's high-quality filter."""
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    if from_rate == to_rate:
        return samples
    return soxr.resample(samples, from_rate, to_rate, quality="HQ")


def encode(samples: np.ndarray, sample_rate: int, output_format: OutputFormat) -> bytes:
    """Encode a whole clip of float32 mono samples at `sample_rate` into `output_format`."""
    encoder = StreamingEncoder(output_format, sample_rate)
    return encoder.encode(samples) + encoder.flush()


def decode_stream(
    source: bytes | str | os.PathLike[str] | BinaryIO, sample_rate: int = 16000, chunk_seconds: float = 30.0
) -> Iterator[np.ndarray]:
    """Decode the first audio stream frame by frame into float32 mono chunks of `chunk_seconds` at
    `sample_rate` (the last one shorter), in memory that does not grow with the length of the file.

    Arguments are checked now; the file is opened, and `AudioDecodeError` raised, while iterating.
    """
    if sample_rate <= 0 or chunk_seconds <= 0:
        raise ValueError("sample_rate and chunk_seconds must be positive")
    if isinstance(source, (bytes, bytearray, memoryview)) and len(source) == 0:
        raise AudioDecodeError("The audio is empty (0 bytes).")
    return _fixed_chunks(_decoded_pieces(source, sample_rate), max(1, round(chunk_seconds * sample_rate)))


def decode_channel(
    source: bytes | str | os.PathLike[str] | BinaryIO, channel: int, sample_rate: int = 16000
) -> Audio:
    """One channel (0 = first) of the first audio stream as float32 mono at `sample_rate`, decoded and
    resampled frame by frame, so only that channel's samples are ever held at the output rate."""
    samples = np.concatenate(list(_decoded_pieces(source, sample_rate, channel)))
    return Audio(samples=samples, sample_rate=sample_rate)


def probe_channels(source: bytes | str | os.PathLike[str] | BinaryIO) -> int:
    """The number of channels of the first audio stream. A file object is left where it was."""
    with _opened(source) as container:
        return container.streams.audio[0].channels


def probe_duration(source: bytes | str | os.PathLike[str] | BinaryIO) -> float:
    """Seconds of the first audio stream: from the container's metadata, or by decoding it where the
    container does not say (a live WebM recording, raw ADTS). A file object is left where it was."""
    with _opened(source) as container:
        stream = container.streams.audio[0]
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        if container.duration is not None:
            return container.duration / av.time_base
        return sum(frame.samples / frame.sample_rate for frame in container.decode(stream))


@contextlib.contextmanager
def _opened(source: bytes | str | os.PathLike[str] | BinaryIO) -> Iterator[InputContainer]:
    """`source` opened for reading and checked to have an audio stream; FFmpeg's errors (while opening or
    decoding inside the block) become `AudioDecodeError`, and a file object is put back where it was."""
    media = _media(source)
    position = media.tell() if not isinstance(media, str) and media.seekable() else None
    try:
        with av.open(media, mode="r") as container:
            if not container.streams.audio:
                raise AudioDecodeError("The file has no audio stream.")
            yield container
    except av.FFmpegError as exc:
        raise _decode_error(media, exc) from exc
    finally:
        if position is not None:
            media.seek(position)


def _media(source: bytes | str | os.PathLike[str] | BinaryIO) -> str | BinaryIO:
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) == 0:
            raise AudioDecodeError("The audio is empty (0 bytes).")
        return io.BytesIO(source)
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return source


def _decode_error(source: object, exc: av.FFmpegError) -> AudioDecodeError:
    where = f" {source!r}" if isinstance(source, str) else ""
    return AudioDecodeError(
        f"Could not decode the audio{where}: {exc.strerror or exc}. "
        "Send a common audio or video file (wav, mp3, flac, ogg, m4a, webm, mp4)."
    )


def _decoded_pieces(
    source: bytes | str | os.PathLike[str] | BinaryIO, sample_rate: int, channel: int | None = None
) -> Iterator[np.ndarray]:
    """Float32 samples at `sample_rate`, one piece per decoded frame, resampled as a stream: the mono
    downmix, or only `channel` when one is given."""
    stream: soxr.ResampleStream | None = None
    native_rate = 0
    produced = 0
    with _opened(source) as container:
        audio = container.streams.audio[0]
        if channel is not None and not 0 <= channel < audio.channels:
            raise AudioDecodeError(
                f"The audio has {audio.channels} channel(s); there is no channel {channel}."
            )
        for rate, planes in _planes(container):
            if native_rate == 0:
                native_rate = rate
                if native_rate != sample_rate:
                    stream = soxr.ResampleStream(native_rate, sample_rate, 1, dtype="float32", quality="HQ")
            mono = planes.mean(axis=0, dtype=np.float32) if channel is None else planes[channel]
            piece = stream.resample_chunk(mono) if stream is not None else mono
            produced += len(piece)
            yield piece
    if stream is not None:
        tail = stream.resample_chunk(np.zeros(0, np.float32), last=True)  # the filter's delayed samples
        produced += len(tail)
        yield tail
    if produced == 0:
        raise AudioDecodeError("The file contains no audio samples.")


def _planes(container: InputContainer) -> Iterator[tuple[int, np.ndarray]]:
    """(sample rate, float32 samples shaped [channels, n]) of the first audio stream, frame by frame.

    Planar float at the first frame's layout and rate, so mid-stream format changes cannot break us; frames
    are regrouped to CONVERTED_FRAME_SAMPLES, since per-frame work in Python otherwise costs more than the
    decoding itself for codecs with short frames (MP3: 1152 samples, Opus: 20 ms).
    """
    converter = av.AudioResampler(format="fltp", frame_size=CONVERTED_FRAME_SAMPLES)
    # The trailing None drains the converter.
    for frame in itertools.chain(container.decode(container.streams.audio[0]), [None]):
        for converted in converter.resample(frame):
            yield converted.sample_rate, converted.to_ndarray()


def _fixed_chunks(pieces: Iterable[np.ndarray], size: int) -> Iterator[np.ndarray]:
    """Regroup pieces of any length into chunks of `size` samples (the last one shorter)."""
    held: list[np.ndarray] = []
    count = 0
    for piece in pieces:
        held.append(piece)
        count += len(piece)
        if count >= size:
            joined = np.concatenate(held)
            full = count - count % size
            yield from (joined[i : i + size] for i in range(0, full, size))
            held, count = [joined[full:]], count - full
    if count:
        yield np.concatenate(held)
