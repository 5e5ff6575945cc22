"""Voice analysis in numpy: a YIN pitch tracker and the pitch statistics that cloning matches.

YIN (de Cheveigné & Kawahara, 2002) is used rather than a plain autocorrelation peak because its cumulative
mean normalized difference avoids most octave errors on low male voices, and it needs no model or compiled
extension (pyworld and Praat would).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vocalis.audio.codecs import resample

_RATE = 16000
_FMIN = 60.0
_FMAX = 500.0
_HOP_S = 0.01
_WINDOW = 400  # samples (25 ms at 16 kHz), longer than the longest period searched (16000 / 60 = 266)
_THRESHOLD = 0.15  # YIN's aperiodicity threshold on the normalized difference
_SILENCE_DB = 35.0  # frames this far below the loud frames carry no pitch


@dataclass(frozen=True)
class PitchStats:
    """Fundamental frequency over the voiced frames, in Hz; `voiced` is the share of voiced frames."""

    median_hz: float
    p10_hz: float
    p90_hz: float
    voiced: float

    def to_json(self) -> dict[str, float]:
        return {
            "median_hz": self.median_hz,
            "p10_hz": self.p10_hz,
            "p90_hz": self.p90_hz,
            "voiced": self.voiced,
        }


def pitch_track(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """F0 in Hz every 10 ms (0 where unvoiced or silent) of mono audio."""
    x = resample(np.asarray(audio, dtype=np.float32).reshape(-1), sample_rate, _RATE).astype(np.float64)
    tau_min, tau_max = int(_RATE / _FMAX), int(_RATE / _FMIN)
    span = _WINDOW + tau_max
    if len(x) < span:
        return np.zeros(0)
    frames = np.lib.stride_tricks.sliding_window_view(x, span)[:: int(_HOP_S * _RATE)]
    frames = frames - frames.mean(axis=1, keepdims=True)
    # Difference function d(tau) = e(0) + e(tau) - 2 r(tau) over a window of _WINDOW samples, with the cross
    # term r from one FFT per frame and the energies from running sums.
    n_fft = 1 << int(np.ceil(np.log2(2 * span)))
    spectrum = np.fft.rfft(frames, n_fft)
    head = np.fft.rfft(frames[:, :_WINDOW], n_fft)
    r = np.fft.irfft(np.conj(head) * spectrum, n_fft)[:, : tau_max + 1]
    squares = np.concatenate([np.zeros((len(frames), 1)), np.cumsum(frames**2, axis=1)], axis=1)
    taus = np.arange(tau_max + 1)
    energy = squares[:, taus + _WINDOW] - squares[:, taus]
    diff = np.maximum(energy[:, :1] + energy - 2 * r, 0.0)
    # Cumulative mean normalized difference: 1 at tau = 0, dips below the threshold at the period.
    cumulative = np.cumsum(diff[:, 1:], axis=1) / np.arange(1, tau_max + 1)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] / np.maximum(cumulative, 1e-12)
    f0 = np.zeros(len(frames))
    loud = energy[:, 0] > np.percentile(energy[:, 0], 95) * 10 ** (-_SILENCE_DB / 10)
    for i in np.flatnonzero(loud):
        below = np.flatnonzero(cmnd[i, tau_min:] < _THRESHOLD)
        if len(below) == 0:
            continue
        # The first dip under the threshold, followed down to its local minimum (YIN step 4).
        tau = tau_min + int(below[0])
        while tau + 1 <= tau_max and cmnd[i, tau + 1] < cmnd[i, tau]:
            tau += 1
        shift = 0.0
        if tau_min < tau < tau_max:  # parabolic interpolation between neighbouring lags
            left, centre, right = cmnd[i, tau - 1], cmnd[i, tau], cmnd[i, tau + 1]
            curvature = left - 2 * centre + right
            if curvature > 0:
                shift = 0.5 * (left - right) / curvature
        f0[i] = _RATE / (tau + shift)
    return f0


def pitch_stats(audio: np.ndarray, sample_rate: int) -> PitchStats | None:
    """Median, 10th and 90th percentile of F0 over voiced frames; None without 0.2 s of voicing."""
    f0 = pitch_track(audio, sample_rate)
    voiced = f0[f0 > 0]
    if len(voiced) < 0.2 / _HOP_S:
        return None
    return PitchStats(
        median_hz=float(np.median(voiced)),
        p10_hz=float(np.percentile(voiced, 10)),
        p90_hz=float(np.percentile(voiced, 90)),
        voiced=float(len(voiced) / len(f0)),
    )


def semitones_between(from_hz: float, to_hz: float) -> float:
    return float(12.0 * np.log2(to_hz / from_hz))
