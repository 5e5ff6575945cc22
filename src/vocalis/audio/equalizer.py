"""A voice's spectral envelope: long-term average spectra, the smooth equalizer curve that moves one voice's
spectrum toward another's, and the linear-phase filter that applies it.

Professional voice training fits such a curve: speaker encoders hear a speaker's timbre and recording
channel in the long-term spectrum, which the blends of the local engines do not reach. The curve is a
handful of third-octave points (Hz, dB), so it is stored with the voice and applied to every rendering.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from scipy import signal

from vocalis.audio.codecs import resample

Curve = tuple[tuple[float, float], ...]  # (frequency in Hz, gain in dB), rising frequencies

ANALYSIS_RATE = 16000
_SEGMENT = 1024  # Welch segments: 15.6 Hz bins at 16 kHz
# Third-octave centres from 80 Hz to 6.3 kHz: below, rooms and microphones differ more than voices; above, the
# 16 kHz analysis runs out.
BAND_CENTRES = tuple(float(round(1000 * 2 ** (k / 3), 1)) for k in range(-11, 9))
MAX_GAIN_DB = 12.0  # more than this colours the voice instead of moving it
_TAPS_SECONDS = 0.02  # filter length: resolves the lowest band and adds no audible ringing


def long_term_spectrum(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Power spectral density of `audio` on the fixed 16 kHz Welch grid (513 bins)."""
    x = resample(np.asarray(audio, dtype=np.float32).reshape(-1), sample_rate, ANALYSIS_RATE)
    if len(x) < _SEGMENT:
        x = np.pad(x, (0, _SEGMENT - len(x)))
    return signal.welch(x, ANALYSIS_RATE, nperseg=_SEGMENT)[1]


def _band_energies(spectrum: np.ndarray) -> np.ndarray:
    frequencies = np.linspace(0, ANALYSIS_RATE / 2, len(spectrum))
    energies = []
    for centre in BAND_CENTRES:
        inside = (frequencies >= centre * 2 ** (-1 / 6)) & (frequencies < centre * 2 ** (1 / 6))
        energies.append(float(spectrum[inside].sum()))
    return np.asarray(energies) + 1e-20


def matching_curve(target: np.ndarray, source: np.ndarray, strength: float = 1.0) -> Curve:
    """The curve that gives `source` the spectral shape of `target` (both from `long_term_spectrum`), scaled
    by `strength`, at equal loudness, each band within ±MAX_GAIN_DB."""
    target_bands, source_bands = _band_energies(target), _band_energies(source)
    gains = 10 * np.log10(target_bands / source_bands)
    # Level is not timbre: the gains average out to 0 dB over the source's energy.
    gains -= np.average(gains, weights=source_bands)
    gains = np.clip(strength * gains, -MAX_GAIN_DB, MAX_GAIN_DB)
    return tuple((centre, round(float(gain), 2)) for centre, gain in zip(BAND_CENTRES, gains))


def apply(audio: np.ndarray, sample_rate: int, curve: Sequence[Sequence[float]]) -> np.ndarray:
    """`audio` filtered by `curve` (zero phase delay: every sample keeps its time)."""
    if not curve or len(audio) == 0:
        return audio
    taps = _taps(sample_rate, tuple((float(f), float(g)) for f, g in curve))
    return signal.oaconvolve(audio, taps, mode="same").astype(np.float32)


@lru_cache(maxsize=64)
def _taps(sample_rate: int, curve: Curve) -> np.ndarray:
    count = int(_TAPS_SECONDS * sample_rate) | 1  # odd: a type I linear-phase filter, delay of whole samples
    nyquist = sample_rate / 2
    grid = np.linspace(0, nyquist, 512)
    centres = np.log([f for f, _ in curve])
    # Gains run between the points on a log-frequency axis and stay flat beyond the outer ones.
    gains_db = np.interp(np.log(np.maximum(grid, 1.0)), centres, [g for _, g in curve])
    return signal.firwin2(count, grid / nyquist, 10 ** (gains_db / 20)).astype(np.float32)
