"""Decode any common audio or video file to float32 mono, resample, and encode to an ElevenLabs output format.

Everything goes through PyAV (FFmpeg as a library) and soxr, so no system binaries are needed.
"""

from __future__ import annotations

import io
import itertools
import os
from dataclasses import dataclass
from typing import BinaryIO

import av
import numpy as np
import soxr

from vocalis.audio.formats import OutputFormat
from vocalis.audio.streaming import StreamingEncoder


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
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) == 0:
            raise AudioDecodeError("The audio is empty (0 bytes).")
        source = io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        source = os.fspath(source)
    chunks: list[np.ndarray] = []
    native_rate = 0
    try:
        with av.open(source, mode="r") as container:
            if not container.streams.audio:
                raise AudioDecodeError("The file has no audio stream.")
            # Planar float at the first frame's layout and rate, so mid-stream format changes cannot break us.
            converter = av.AudioResampler(format="fltp")
            # The trailing None drains the converter.
            for frame in itertools.chain(container.decode(container.streams.audio[0]), [None]):
                for converted in converter.resample(frame):
                    native_rate = converted.sample_rate
                    chunks.append(converted.to_ndarray().mean(axis=0))
    except av.FFmpegError as exc:
        where = f" {source!r}" if isinstance(source, str) else ""
        raise AudioDecodeError(
            f"Could not decode the audio{where}: {exc.strerror or exc}. "
            "Send a common audio or video file (wav, mp3, flac, ogg, m4a, webm, mp4)."
        ) from exc
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
