"""Voice activity detection with Silero VAD v6, the ONNX model that ships inside faster-whisper, run through
faster-whisper's own windowing and hysteresis."""

from __future__ import annotations

import functools

import numpy as np

from vocalis.engines import weights

SAMPLE_RATE = 16000


class SileroVad:
    """Speech regions of 16 kHz mono audio as (start, end) seconds.

    The defaults are Silero's own (short pauses split regions); Whisper's VAD gate in `whisper.py` uses
    longer silences and padding because it only needs to drop long non-speech stretches.
    """

    def __init__(
        self,
        threshold: float = 0.5,
        *,
        min_speech_duration_ms: int = 250,
        min_silence_duration_ms: int = 100,
        speech_pad_ms: int = 30,
        max_speech_duration_s: float = float("inf"),
    ):
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
        self.threshold = threshold
        self.min_speech_duration_ms = min_speech_duration_ms
        self.min_silence_duration_ms = min_silence_duration_ms
        self.speech_pad_ms = speech_pad_ms
        self.max_speech_duration_s = max_speech_duration_s

    def speech_segments(self, audio: np.ndarray) -> list[tuple[float, float]]:
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        samples = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
        if samples.size == 0:
            return []
        _checked_model()  # the digest check; faster-whisper opens the same file itself
        options = VadOptions(
            threshold=self.threshold,
            min_speech_duration_ms=self.min_speech_duration_ms,
            min_silence_duration_ms=self.min_silence_duration_ms,
            speech_pad_ms=self.speech_pad_ms,
            max_speech_duration_s=self.max_speech_duration_s,
        )
        return [
            (chunk["start"] / SAMPLE_RATE, chunk["end"] / SAMPLE_RATE)
            for chunk in get_speech_timestamps(samples, options, sampling_rate=SAMPLE_RATE)
        ]


@functools.cache
def _checked_model() -> None:
    """Check the packaged model's digest once per process rather than hashing it on every call."""
    weights.silero_vad()
