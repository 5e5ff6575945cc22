"""Signal building blocks of the procedural sound effects: noises, filters, envelopes, oscillators, modal
resonances, events on a timeline, room and distance, seamless loops and loudness.

Everything is float64 numpy at one sample rate and vectorised (no per-sample Python loops), so a 30 s
texture renders in well under a second. Randomness always comes from the caller's `numpy.random.Generator`,
which is what makes a render repeatable for a seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import ndimage, signal

SAMPLE_RATE = 44100


# Noises -------------------------------------------------------------------------------------------


def white(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.standard_normal(n)


def coloured(rng: np.random.Generator, n: int, slope_db_per_octave: float) -> np.ndarray:
    """Noise whose spectrum falls by `slope_db_per_octave` (-3: pink, -6: brown), unit RMS."""
    if n == 0:
        return np.zeros(0)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    bins = np.arange(len(spectrum), dtype=float)
    bins[0] = 1.0
    spectrum *= bins ** (slope_db_per_octave / 6.0206)
    spectrum[0] = 0.0  # no DC: a brown walk would otherwise drift off
    return normalise_rms(np.fft.irfft(spectrum, n))


def pink(rng: np.random.Generator, n: int) -> np.ndarray:
    return coloured(rng, n, -3.0)


def brown(rng: np.random.Generator, n: int) -> np.ndarray:
    return coloured(rng, n, -6.0)


def slow_random(rng: np.random.Generator, n: int, rate_hz: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    """A smooth random curve in [0, 1] that changes about `rate_hz` times a second (gusts, swells)."""
    points = max(4, int(n / sr * rate_hz) + 4)
    knots = rng.random(points)
    curve = np.interp(np.linspace(0, points - 3, n), np.arange(points), knots)
    return lowpass(curve, max(rate_hz, 0.05), sr, order=1) if n > 32 else curve


# Filters ------------------------------------------------------------------------------------------


def _sos(kind: str, cutoff: float | tuple[float, float], sr: int, order: int) -> np.ndarray:
    nyquist = sr / 2
    if isinstance(cutoff, tuple):
        low, high = (min(max(c, 10.0), nyquist * 0.98) for c in cutoff)
        return signal.butter(order, (low, max(high, low * 1.05)), btype=kind, fs=sr, output="sos")
    return signal.butter(order, min(max(cutoff, 10.0), nyquist * 0.98), btype=kind, fs=sr, output="sos")


def lowpass(x: np.ndarray, hz: float, sr: int = SAMPLE_RATE, order: int = 2) -> np.ndarray:
    return signal.sosfilt(_sos("lowpass", hz, sr, order), x)


def highpass(x: np.ndarray, hz: float, sr: int = SAMPLE_RATE, order: int = 2) -> np.ndarray:
    return signal.sosfilt(_sos("highpass", hz, sr, order), x)


def bandpass(x: np.ndarray, low: float, high: float, sr: int = SAMPLE_RATE, order: int = 2) -> np.ndarray:
    return signal.sosfilt(_sos("bandpass", (low, high), sr, order), x)


def resonate(x: np.ndarray, hz: float, q: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    """A narrow peak at `hz` (the body of a drum, a bottle, a cavity); unity gain at the peak."""
    b, a = signal.iirpeak(min(hz, sr * 0.45), q, fs=sr)
    return signal.lfilter(b, a, x)


def swept_lowpass(
    x: np.ndarray, start_hz: float, end_hz: float, sr: int = SAMPLE_RATE, blocks: int = 64
) -> np.ndarray:
    """A low-pass whose cutoff glides from `start_hz` to `end_hz` (geometric), in blocks that carry the
    filter state across, so there are no clicks at block edges."""
    out = np.empty_like(x)
    state = np.zeros((1, 2))
    edges = np.linspace(0, len(x), blocks + 1).astype(int)
    cutoffs = np.geomspace(max(start_hz, 20.0), max(end_hz, 20.0), blocks)
    for (lo, hi), cutoff in zip(zip(edges[:-1], edges[1:]), cutoffs):
        sos = _sos("lowpass", float(cutoff), sr, 2)
        out[lo:hi], state = signal.sosfilt(sos, x[lo:hi], zi=state)
    return out


def moving_filter(
    x: np.ndarray,
    control: np.ndarray,
    apply: Callable[[np.ndarray, float], np.ndarray],
    blocks: int = 32,
    warmup: int = 1024,
) -> np.ndarray:
    """A filter whose setting follows `control` (one value per sample): `apply(segment, value)` filters
    each of `blocks` stretches at the control's value in its middle, starting `warmup` samples early so
    the filter has settled by the stretch it keeps (for filters that cannot carry their state over)."""
    out = np.zeros_like(x)
    edges = np.linspace(0, len(x), blocks + 1).astype(int)
    for lo, hi in zip(edges[:-1], edges[1:]):
        if hi > lo:
            out[lo:hi] = apply(x[max(0, lo - warmup) : hi], float(control[(lo + hi) // 2]))[lo - hi :]
    return out


# Envelopes and oscillators ------------------------------------------------------------------------


def decay(n: int, seconds: float, sr: int = SAMPLE_RATE, attack: float = 0.002) -> np.ndarray:
    """Fast linear attack, then an exponential fall that loses 60 dB in `seconds`."""
    t = np.arange(n) / sr
    env = np.exp(-6.9 * t / max(seconds, 1e-4))
    rise = max(1, int(attack * sr))
    env[:rise] *= np.linspace(0.0, 1.0, min(rise, n), endpoint=False)
    return env


def adsr(n: int, attack: float, release: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Linear fade in over `attack` s and out over `release` s; flat in between."""
    env = np.ones(n)
    a, r = min(n, int(attack * sr)), min(n, int(release * sr))
    if a:
        env[:a] = np.linspace(0.0, 1.0, a)
    if r:
        env[n - r :] *= np.linspace(1.0, 0.0, r)
    return env


def oscillator(freq: float | np.ndarray, n: int, shape: str = "sine", sr: int = SAMPLE_RATE) -> np.ndarray:
    """A tone whose frequency may change sample by sample (phase accumulated, so glides stay smooth)."""
    phase = np.cumsum(np.broadcast_to(np.asarray(freq, dtype=float), (n,))) / sr
    if shape == "sine":
        return np.sin(2 * np.pi * phase)
    frac = phase % 1.0
    if shape == "saw":
        return 2.0 * frac - 1.0
    if shape == "square":
        return np.where(frac < 0.5, 1.0, -1.0)
    if shape == "triangle":
        return 4.0 * np.abs(frac - 0.5) - 1.0
    raise ValueError(f"unknown oscillator shape {shape!r}")


def modes(
    n: int,
    freqs: Sequence[float],
    decays: Sequence[float],
    amps: Sequence[float],
    rng: np.random.Generator,
    sr: int = SAMPLE_RATE,
) -> np.ndarray:
    """Damped sinusoids with random phases: struck objects (bells, glass, coins, wood)."""
    t = np.arange(n) / sr
    out = np.zeros(n)
    for freq, seconds, amp in zip(freqs, decays, amps):
        if freq < sr / 2:
            out += amp * np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi)) * np.exp(-6.9 * t / seconds)
    return out


def click(rng: np.random.Generator, seconds: float, brightness: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    """A short noise burst: a crackle, a drop hitting a surface, a key, a twig."""
    n = max(8, int(seconds * sr))
    burst = white(rng, n) * decay(n, seconds, sr, attack=0.0003)
    return highpass(burst, brightness, sr) if brightness > 0 else burst


# Timelines ----------------------------------------------------------------------------------------


def place(out: np.ndarray, event: np.ndarray, start: int, gain: float = 1.0) -> None:
    """Add `event` into `out` at sample `start` (clipped to the buffer's bounds)."""
    if start >= len(out) or start + len(event) <= 0:
        return
    lo = max(0, start)
    hi = min(len(out), start + len(event))
    out[lo:hi] += gain * event[lo - start : hi - start]


def impulses(n: int, times: np.ndarray, amps: np.ndarray | float, sr: int = SAMPLE_RATE) -> np.ndarray:
    """A silent buffer with a spike of `amps` at each onset (s): filtered or convolved, it becomes
    thousands of events (rain drops, claps) without a Python loop per event."""
    out = np.zeros(n)
    index = (np.asarray(times) * sr).astype(int)
    keep = (index >= 0) & (index < n)
    np.add.at(out, index[keep], np.broadcast_to(amps, index.shape)[keep])
    return out


def convolve(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """`x` convolved with `kernel`, cut to the length of `x`."""
    return signal.fftconvolve(x, kernel)[: len(x)]


def poisson_times(rng: np.random.Generator, seconds: float, rate_hz: float) -> np.ndarray:
    """Random event onsets (s) at an average `rate_hz` over `seconds`: rain drops, crackles, claps."""
    count = rng.poisson(max(rate_hz, 0.0) * seconds)
    return np.sort(rng.uniform(0.0, seconds, count))


def regular_times(
    rng: np.random.Generator, seconds: float, period: float, jitter: float, start: float = 0.05
) -> np.ndarray:
    """Onsets every `period` s with a little human timing jitter (a fraction of the period)."""
    times = np.arange(start, seconds, period)
    return np.clip(times + rng.normal(0.0, jitter * period, len(times)), 0.0, None)


# Space --------------------------------------------------------------------------------------------


def reverb(
    x: np.ndarray, rng: np.random.Generator, seconds: float, wet: float, sr: int = SAMPLE_RATE
) -> np.ndarray:
    """Convolution with a synthetic room: decaying noise, darker as it decays, after a short pre-delay."""
    if wet <= 0 or seconds <= 0:
        return x
    n = int(seconds * sr)
    tail = white(rng, n) * decay(n, seconds, sr, attack=0.0)
    tail = 0.5 * tail + 0.5 * lowpass(tail, 2500.0, sr)
    impulse = np.concatenate([np.zeros(int(0.012 * sr)), tail])
    impulse /= np.sqrt(np.sum(impulse**2)) + 1e-12
    wet_signal = signal.fftconvolve(x, impulse)[: len(x)]
    return (1.0 - wet) * x + wet * wet_signal


def at_distance(
    x: np.ndarray, rng: np.random.Generator, distance: float, sr: int = SAMPLE_RATE
) -> np.ndarray:
    """Place a sound from close (0) to far (1): air absorbs the highs and the room takes over.

    The level drop of distance is applied by the loudness target, not here.
    """
    distance = float(np.clip(distance, 0.0, 1.0))
    cutoff = 16000.0 * (0.1**distance)  # 16 kHz close, 1.6 kHz far away
    muffled = lowpass(x, cutoff, sr, order=2) if distance > 0.05 else x
    return reverb(muffled, rng, 0.6 + 1.8 * distance, 0.08 + 0.55 * distance, sr)


# Lengths and loops --------------------------------------------------------------------------------


def pad_to(x: np.ndarray, n: int) -> np.ndarray:
    """`x` cut or padded with silence to `n` samples, so layers of different lengths add up."""
    return x[:n] if len(x) >= n else np.concatenate([x, np.zeros(n - len(x))])


def fit_length(x: np.ndarray, n: int, sr: int = SAMPLE_RATE, fade: float = 0.01) -> np.ndarray:
    """Exactly `n` samples: cut with a short fade-out (no click), or pad with silence."""
    if len(x) >= n:
        out = x[:n].copy()
        k = min(n, int(fade * sr))
        if k:
            out[n - k :] *= np.linspace(1.0, 0.0, k)
        return out
    return np.concatenate([x, np.zeros(n - len(x))])


def seamless_loop(x: np.ndarray, n: int, fade: int) -> np.ndarray:
    """`n` samples that loop without a seam, from a render of `n + fade` samples.

    The rendered overhang (what would follow the loop's last sample) is cross-faded into the loop's
    start, so sample n-1 runs on into sample 0 as it ran on into sample n in the render.
    Equal-power curves keep uncorrelated textures (rain, wind) at a constant level through the fade.
    """
    if len(x) < n + fade:
        raise ValueError("seamless_loop needs n + fade rendered samples")
    out = x[:n].copy()
    angle = np.linspace(0.0, np.pi / 2, fade, endpoint=False)
    out[:fade] = x[:fade] * np.sin(angle) + x[n : n + fade] * np.cos(angle)
    return out


# Loudness -----------------------------------------------------------------------------------------


def normalise_rms(x: np.ndarray) -> np.ndarray:
    rms = np.sqrt(np.mean(x**2)) if len(x) else 0.0
    return x / rms if rms > 1e-12 else x


def _k_weighting(sr: int) -> np.ndarray:
    """The two BS.1770 pre-filter stages (a +4 dB high shelf, then a 38 Hz high-pass) at any rate, as
    second-order sections from the standard's analogue parameters (bilinear transform, RBJ forms)."""
    k = np.tan(np.pi * 1681.974450955533 / sr)
    vh, vb, q = 10 ** (3.999843853973347 / 20), 10 ** (3.999843853973347 / 40), 0.7071752369554196
    a0 = 1 + k / q + k * k
    shelf = [
        (vh + vb * k / q + k * k) / a0,
        2 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        1.0,
        2 * (k * k - 1) / a0,
        (1 - k / q + k * k) / a0,
    ]
    k = np.tan(np.pi * 38.13547087602444 / sr)
    q = 0.5003270373238773
    a0 = 1 + k / q + k * k
    high = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    return np.array([shelf, high])


def loudness_lufs(x: np.ndarray, sr: int = SAMPLE_RATE) -> float:
    """Integrated loudness of mono audio (ITU-R BS.1770-4: K-weighting, 400 ms blocks, gated).

    A clip shorter than one block is measured over its whole length; silence is -inf.
    """
    weighted = signal.sosfilt(_k_weighting(sr), x)
    block, hop = int(0.4 * sr), int(0.1 * sr)
    if len(weighted) < block:
        power = np.array([np.mean(weighted**2)]) if len(weighted) else np.zeros(1)
    else:
        starts = np.arange(0, len(weighted) - block + 1, hop)
        cumulative = np.concatenate([[0.0], np.cumsum(weighted**2)])
        power = (cumulative[starts + block] - cumulative[starts]) / block
    with np.errstate(divide="ignore"):
        levels = -0.691 + 10 * np.log10(power)
    gated = power[levels > -70.0]
    if len(gated) == 0:
        return float("-inf")
    relative = -0.691 + 10 * np.log10(np.mean(gated)) - 10.0
    gated = power[(levels > -70.0) & (levels > relative)]
    return float(-0.691 + 10 * np.log10(np.mean(gated)))


def limit(
    x: np.ndarray, ceiling: float, sr: int = SAMPLE_RATE, lookahead: float = 0.005, wrap: bool = False
) -> np.ndarray:
    """A look-ahead peak limiter: the gain dips smoothly around every peak above `ceiling`.

    The gain is the minimum of the needed gain over ±lookahead, then averaged over a window no wider than
    that, so every peak gets at least the reduction it needs. `wrap` treats the clip as a loop, so the
    gain at its end matches the gain at its start.
    """
    peak = np.abs(x)
    needed = np.minimum(1.0, ceiling / np.maximum(peak, 1e-12))
    width = max(1, int(lookahead * sr))
    mode = "wrap" if wrap else "nearest"
    gain = ndimage.minimum_filter1d(needed, 2 * width + 1, mode=mode)
    gain = ndimage.uniform_filter1d(gain, width, mode=mode)
    return x * gain


def master(
    x: np.ndarray,
    target_lufs: float,
    sr: int = SAMPLE_RATE,
    ceiling_db: float = -1.0,
    max_limiting_db: float = 6.0,
    wrap: bool = False,
) -> np.ndarray:
    """Bring a clip to `target_lufs` without clipping: gain to the target, at most `max_limiting_db` of peak
    limiting (beyond that transients would flatten audibly), and then a plain gain cut if peaks still
    pass the ceiling, so impulsive sounds end up quieter than the target rather than squashed."""
    level = loudness_lufs(x, sr)
    if not np.isfinite(level):
        return x
    ceiling = 10 ** (ceiling_db / 20)
    y = x * 10 ** ((target_lufs - level) / 20)
    floor = ceiling * 10 ** (max_limiting_db / 20)
    peak = np.max(np.abs(y))
    if peak > floor:
        y *= floor / peak
    if peak > ceiling:
        y = limit(y, ceiling, sr, wrap=wrap)
    peak = np.max(np.abs(y))
    return y * (ceiling / peak) if peak > ceiling else y
