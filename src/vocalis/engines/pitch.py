"""Pitch shift that keeps duration: a WSOLA time stretch (waveform-similarity overlap-add) followed by
resampling, so every sample keeps its place in time and character timings stay valid.
"""

from __future__ import annotations

import numpy as np
import soxr

# 32 ms frames with 50 % overlap; a 10 ms search window covers one pitch period of voices down to 100 Hz.
_FRAME_S = 0.032
_TOLERANCE_S = 0.010


def time_stretch(audio: np.ndarray, factor: float, sample_rate: int) -> np.ndarray:
    """Make `audio` `factor` times longer (pitch unchanged) with WSOLA."""
    frame = int(_FRAME_S * sample_rate) // 2 * 2
    hop_out = frame // 2
    hop_in = hop_out / factor
    tolerance = int(_TOLERANCE_S * sample_rate)
    window = np.hanning(frame).astype(np.float32)
    n_frames = max(1, int(np.ceil(len(audio) / hop_in)))
    # Pad so every candidate frame and its natural continuation exist.
    x = np.pad(audio.astype(np.float32), (tolerance + frame, tolerance + 2 * frame))
    out = np.zeros(n_frames * hop_out + frame, dtype=np.float32)
    norm = np.zeros_like(out)
    previous = tolerance + frame  # where the last chosen frame started in x
    for k in range(n_frames):
        nominal = int(round(k * hop_in)) + tolerance + frame
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
    length = int(round(len(audio) * factor))
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
