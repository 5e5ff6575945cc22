"""Pitch shift that keeps duration: a WSOLA time stretch (waveform-similarity overlap-add) followed by
resampling, so every sample keeps its place in time and character timings stay valid.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import soxr

# 32 ms frames with 50 % overlap; a 10 ms search window covers one pitch period of voices down to 100 Hz.
_FRAME_S = 0.032
_TOLERANCE_S = 0.010


def time_stretch(audio: np.ndarray, factor: float, sample_rate: int) -> np.ndarray:
    """Make `audio` `factor` times longer (pitch unchanged) with WSOLA."""
    seconds = len(audio) / sample_rate
    return warp(audio, sample_rate, [0.0, seconds], [0.0, seconds * factor])


def warp(
    audio: np.ndarray, sample_rate: int, source_times: Sequence[float], target_times: Sequence[float]
) -> np.ndarray:
    """Re-time `audio` with WSOLA, pitch unchanged: the instant `source_times[i]` (seconds into `audio`) moves
    to `target_times[i]` (seconds into the result), linearly in between. Both start at 0 and never decrease;
    the result lasts `target_times[-1]` seconds. The voice changer fits each synthesized word onto the span
    the word has in its input this way."""
    frame = int(_FRAME_S * sample_rate) // 2 * 2
    hop_out = frame // 2
    tolerance = int(_TOLERANCE_S * sample_rate)
    window = np.hanning(frame).astype(np.float32)
    length = int(round(target_times[-1] * sample_rate))
    n_frames = max(1, int(np.ceil(length / hop_out)))
    # Where in `audio` each output frame's nominal source starts.
    sources = np.interp(np.arange(n_frames) * hop_out / sample_rate, target_times, source_times) * sample_rate
    # Pad so every candidate frame and its natural continuation exist.
    x = np.pad(audio.astype(np.float32), (tolerance + frame, tolerance + 2 * frame))
    out = np.zeros(n_frames * hop_out + frame, dtype=np.float32)
    norm = np.zeros_like(out)
    previous = tolerance + frame  # where the last chosen frame started in x
    for k in range(n_frames):
        nominal = min(int(round(sources[k])), len(audio)) + tolerance + frame
        if k == 0:
            start = nominal
        else:
            # The frame that would seamlessly follow the last one; pick the candidate most similar to it.
            natural = x[previous + hop_out : previous + hop_out + frame]
            candidates = x[nominal - tolerance : nominal + tolerance + frame]
            start = nominal - tolerance + int(np.argmax(np.correlate(candidates, natural, mode="valid")))
        out[k * hop_out : k * hop_out + frame] += x[start : start + frame] * window
        norm[k * hop_out : k * hop_out + frame] += window
        previous = start
    # Undo the window gain (the first half frame only has a rising window; clamp its tiny sums).
    out = out / np.maximum(norm, 1e-3)
    return out[:length] if len(out) >= length else np.pad(out, (0, length - len(out)))


def shift(audio: np.ndarray, sample_rate: int, semitones: float) -> np.ndarray:
    """Raise (or lower, when negative) the pitch by `semitones`; same length and sample rate."""
    if abs(semitones) < 0.01 or len(audio) == 0:
        return audio
    ratio = 2.0 ** (semitones / 12.0)
    stretched = time_stretch(audio, ratio, sample_rate)
    shifted = soxr.resample(stretched, sample_rate * ratio, sample_rate, quality="HQ").astype(np.float32)
    if len(shifted) >= len(audio):
        return shifted[: len(audio)]
    return np.pad(shifted, (0, len(audio) - len(shifted)))
