"""Stand-ins for the few torchaudio pieces that Chatterbox and its watermarker use, for a torch torchaudio
cannot load on.

PyPI's torchaudio wheels for Linux x86-64 are CUDA builds: beside the CPU torch that Vocalis pins, importing
torchaudio fails on its native library (libc10_cuda.so), and transformers' audio code, which imports
torchaudio whenever it is installed, fails with it. So torchaudio is left out of the Chatterbox requirements,
and the pieces that `chatterbox-tts`, its Perth watermarker and s3tokenizer import are Vocalis' own
implementations here, written from what each computes and giving numbers close to torchaudio's (not
bit-identical):

- `compliance.kaldi.fbank`: Kaldi's log mel filter-bank features (the CAM++ speaker encoder's input);
- `transforms.Resample`: band-limited resampling by soxr (for reference clips);
- `transforms.Spectrogram` / `InverseSpectrogram`: `torch.stft` / `torch.istft` (the Perth watermarker);
- `transforms.TimeStretch`: built by the watermarker (its checkpoint holds the buffer) but never called.

`standing_in()` hands them to the `import torchaudio...` statements of Chatterbox's own modules (and its
watermarker's and speech tokenizer's) while `chatterbox` is imported; nothing else sees them, so nothing else
mistakes them for torchaudio.
"""

from __future__ import annotations

import builtins
import math
import sys
import threading
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import Tensor

from vocalis.audio.codecs import resample as _soxr_resample

# --- compliance.kaldi.fbank ---------------------------------------------------------------------------------

# Kaldi's defaults for compute-fbank-feats, the only settings Chatterbox uses (it passes num_mel_bins alone).
_RATE = 16000  # Hz
_FRAME_MS, _SHIFT_MS = 25.0, 10.0
_PREEMPHASIS = 0.97
_LOW_HZ = 20.0  # the top edge is the Nyquist frequency
_LOG_FLOOR = float(torch.finfo(torch.float32).eps)


def _kaldi_mel(hz: Tensor) -> Tensor:
    """Kaldi's mel scale: 1127 ln(1 + f / 700)."""
    return 1127.0 * torch.log1p(hz / 700.0)


def _triangular_filters(num_bins: int, fft_size: int, rate: float) -> Tensor:
    """(fft_size // 2 + 1, num_bins) weights of the FFT bins: triangles whose corners are num_bins + 2
    points evenly spaced on the mel scale from _LOW_HZ to Nyquist, each rising from its left corner to 1 at
    its centre and falling to 0 at its right corner. As in Kaldi, the Nyquist bin itself weighs nothing."""
    edges = torch.linspace(0.0, 1.0, num_bins + 2, dtype=torch.float64)
    low, high = _kaldi_mel(torch.tensor([_LOW_HZ, rate / 2], dtype=torch.float64))
    corners = low + (high - low) * edges  # mel
    left, centre, right = corners[:-2], corners[1:-1], corners[2:]
    bin_mel = _kaldi_mel(torch.arange(fft_size // 2 + 1, dtype=torch.float64) * (rate / fft_size))[:, None]
    rising = (bin_mel - left) / (centre - left)
    falling = (right - bin_mel) / (right - centre)
    weights = torch.where(bin_mel <= centre, rising, falling)
    weights = torch.where((bin_mel > left) & (bin_mel < right), weights, torch.zeros(()))
    weights[-1] = 0.0
    return weights


def _povey_window(size: int) -> Tensor:
    """Kaldi's "povey" window: a Hann window over all `size` points, raised to the power 0.85."""
    n = torch.arange(size, dtype=torch.float64)
    return (0.5 - 0.5 * torch.cos(2.0 * math.pi * n / (size - 1))) ** 0.85


def fbank(waveform: Tensor, num_mel_bins: int = 23, **options: object) -> Tensor:
    """Kaldi's log mel filter-bank energies of the first channel of a (channels, samples) 16 kHz waveform, as
    (frames, num_mel_bins): 25 ms frames every 10 ms, only whole ones (snip_edges); each frame has its mean
    removed, is pre-emphasised (x[i] - 0.97 x[i-1], the first sample against itself), multiplied by the Povey
    window and zero-padded to a power of two; the power spectrum is weighed by triangular mel filters from
    20 Hz to Nyquist and the log taken with a floor at float32's epsilon. No dither, no energy column."""
    if options:
        raise NotImplementedError(f"fbank stand-in takes only num_mel_bins, not {sorted(options)}")
    signal = waveform[0] if waveform.dim() > 1 else waveform
    dtype = signal.dtype
    size = round(_RATE * _FRAME_MS / 1000)
    shift = round(_RATE * _SHIFT_MS / 1000)
    if signal.shape[-1] < size:
        raise ValueError(f"a {size}-sample frame does not fit a {signal.shape[-1]}-sample waveform")
    frames = signal.unfold(0, size, shift)  # (frames, size), whole frames only
    frames = frames - frames.mean(dim=1, keepdim=True)
    previous = torch.cat([frames[:, :1], frames[:, :-1]], dim=1)
    frames = frames - _PREEMPHASIS * previous
    frames = frames * _povey_window(size).to(device=signal.device, dtype=dtype)
    fft_size = 1 << (size - 1).bit_length()
    power = torch.fft.rfft(frames, n=fft_size).abs().square()  # rfft zero-pads each frame to fft_size
    filters = _triangular_filters(num_mel_bins, fft_size, _RATE).to(device=signal.device, dtype=dtype)
    return (power @ filters).clamp_min(_LOG_FLOOR).log()


# --- transforms.Resample ------------------------------------------------------------------------------------


def resample(waveform: Tensor, orig_freq: float, new_freq: float) -> Tensor:
    """Resample the last axis of `waveform` from `orig_freq` to `new_freq` Hz with soxr's band-limited
    filter, keeping the leading axes, dtype and device. The result has ceil(new / orig * samples) samples,
    like torchaudio's."""
    if orig_freq <= 0 or new_freq <= 0:
        raise ValueError(f"sample rates must be positive, not {orig_freq} and {new_freq}")
    if orig_freq == new_freq:
        return waveform
    shape = waveform.shape
    rows = waveform.detach().reshape(-1, shape[-1]).to(device="cpu", dtype=torch.float32).numpy()
    if float(orig_freq).is_integer() and float(new_freq).is_integer():  # exact, not through a float ratio
        length = -(-shape[-1] * int(new_freq) // int(orig_freq))
    else:
        length = math.ceil(shape[-1] * new_freq / orig_freq)
    out = np.zeros((rows.shape[0], length), dtype=np.float32)
    for row, samples in enumerate(rows):
        converted = _soxr_resample(samples, orig_freq, new_freq)[:length]
        out[row, : len(converted)] = converted
    return torch.from_numpy(out).to(device=waveform.device, dtype=waveform.dtype).reshape(*shape[:-1], length)


class Resample(torch.nn.Module):
    """`transforms.Resample(orig_freq, new_freq)` as Chatterbox builds it: a module applying `resample`."""

    def __init__(self, orig_freq: float = 16000, new_freq: float = 16000):
        super().__init__()
        if orig_freq <= 0 or new_freq <= 0:
            raise ValueError(f"sample rates must be positive, not {orig_freq} and {new_freq}")
        self.orig_freq, self.new_freq = orig_freq, new_freq

    def forward(self, waveform: Tensor) -> Tensor:
        return resample(waveform, self.orig_freq, self.new_freq)


# --- transforms.Spectrogram / InverseSpectrogram / TimeStretch ----------------------------------------------


class _STFT(torch.nn.Module):
    """The framing the watermarker asks for: an `n_fft`-point centred, one-sided, unnormalised STFT with a
    `window_fn(win_length)` window (a `window` buffer, which the watermarker's checkpoint holds) every
    `hop_length` samples (by default n_fft, and a half window)."""

    def __init__(
        self,
        n_fft: int,
        win_length: int | None,
        hop_length: int | None,
        window_fn: Callable[..., Tensor],
        normalized: bool,
    ):
        super().__init__()
        if normalized:
            raise NotImplementedError("the spectrogram stand-ins are unnormalised only")
        self.n_fft = n_fft
        self.win_length = n_fft if win_length is None else win_length
        self.hop_length = self.win_length // 2 if hop_length is None else hop_length
        self.register_buffer("window", window_fn(self.win_length))

    def _options(self) -> dict[str, Any]:
        return dict(
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            win_length=self.win_length,
            window=self.window,
            center=True,
            normalized=False,
            onesided=True,
        )


class Spectrogram(_STFT):
    """The complex STFT of the last axis for `power=None`, else its magnitude raised to `power`; the output
    is (..., n_fft // 2 + 1, frames)."""

    def __init__(
        self,
        n_fft: int = 400,
        win_length: int | None = None,
        hop_length: int | None = None,
        window_fn: Callable[..., Tensor] = torch.hann_window,
        power: float | None = 2.0,
        normalized: bool = False,
    ):
        super().__init__(n_fft, win_length, hop_length, window_fn, normalized)
        self.power = power

    def forward(self, waveform: Tensor) -> Tensor:
        leading = waveform.shape[:-1]
        spec = torch.stft(
            waveform.reshape(-1, waveform.shape[-1]),
            pad_mode="reflect",
            return_complex=True,
            **self._options(),
        )
        spec = spec.reshape(*leading, *spec.shape[-2:])
        return spec if self.power is None else spec.abs().pow(self.power)


class InverseSpectrogram(_STFT):
    """The waveform of a complex (..., n_fft // 2 + 1, frames) STFT made by `Spectrogram`, by overlap-add,
    cut or padded to `length` samples where given."""

    def __init__(
        self,
        n_fft: int = 400,
        win_length: int | None = None,
        hop_length: int | None = None,
        window_fn: Callable[..., Tensor] = torch.hann_window,
        normalized: bool = False,
    ):
        super().__init__(n_fft, win_length, hop_length, window_fn, normalized)

    def forward(self, spectrogram: Tensor, length: int | None = None) -> Tensor:
        if not spectrogram.is_complex():
            raise ValueError("InverseSpectrogram needs a complex spectrogram")
        leading = spectrogram.shape[:-2]
        waveform = torch.istft(
            spectrogram.reshape(-1, *spectrogram.shape[-2:]), length=length, **self._options()
        )
        return waveform.reshape(*leading, waveform.shape[-1])


class TimeStretch(torch.nn.Module):
    """Built by the Perth watermarker (for training-time augmentation) and never called at inference. It holds
    only the `phase_advance` buffer its checkpoint carries: each bin's expected phase advance over one hop,
    2 pi k / n_fft * hop_length for bin k, with n_fft = 2 (n_freq - 1)."""

    def __init__(self, hop_length: int | None = None, n_freq: int = 201, fixed_rate: float | None = None):
        super().__init__()
        hop_length = n_freq - 1 if hop_length is None else hop_length
        n_fft = 2 * (n_freq - 1)
        bins = torch.arange(n_freq, dtype=torch.float32)
        self.register_buffer("phase_advance", (2.0 * math.pi * hop_length / n_fft * bins)[:, None])
        self.fixed_rate = fixed_rate

    def forward(self, complex_specgrams: Tensor, overriding_rate: float | None = None) -> Tensor:
        raise NotImplementedError("the TimeStretch stand-in is only built, it does not stretch")


# --- serving them to Chatterbox's imports -------------------------------------------------------------------

# The packages whose `import torchaudio...` statements get the stand-ins; anyone else's import is left alone
# (so transformers, which checks whether torchaudio is installed, still finds it absent).
IMPORTERS = ("chatterbox", "perth", "s3tokenizer")
_lock = threading.Lock()


def _modules() -> dict[str, types.ModuleType]:
    root = types.ModuleType("torchaudio", __doc__)
    transforms = types.ModuleType("torchaudio.transforms")
    compliance = types.ModuleType("torchaudio.compliance")
    kaldi = types.ModuleType("torchaudio.compliance.kaldi")
    for cls in (Resample, Spectrogram, InverseSpectrogram, TimeStretch):
        setattr(transforms, cls.__name__, cls)
    kaldi.fbank = fbank  # type: ignore[attr-defined]
    compliance.kaldi = kaldi  # type: ignore[attr-defined]
    root.transforms, root.compliance = transforms, compliance  # type: ignore[attr-defined]
    root.__version__ = "0+vocalis"  # type: ignore[attr-defined]
    return {module.__name__: module for module in (root, transforms, compliance, kaldi)}


def torchaudio_loads() -> bool:
    """Whether the real torchaudio imports here (not when it is absent, or its native library fails)."""
    try:
        import torchaudio  # noqa: F401
    except (ImportError, OSError):
        for name in [name for name in sys.modules if name == "torchaudio" or name.startswith("torchaudio.")]:
            del sys.modules[name]
        return False
    return True


@contextmanager
def standing_in() -> Iterator[None]:
    """For the duration, `import torchaudio...` in the IMPORTERS' modules gets the stand-ins, unless the real
    torchaudio loads. Nothing is registered in `sys.modules`: the modules hold on to what they imported."""
    if torchaudio_loads():
        yield
        return
    modules = _modules()
    with _lock:
        original = builtins.__import__

        def importing(
            name: str,
            globals: Mapping[str, Any] | None = None,
            locals: Mapping[str, Any] | None = None,
            fromlist: Sequence[str] | None = (),
            level: int = 0,
        ) -> Any:
            importer = str((globals or {}).get("__name__", ""))
            if (
                level == 0
                and name.partition(".")[0] == "torchaudio"
                and importer.partition(".")[0] in IMPORTERS
            ):
                if name not in modules:
                    raise ImportError(f"{name} is not among the torchaudio stand-ins for Chatterbox")
                return modules[name] if fromlist else modules["torchaudio"]
            return original(name, globals, locals, fromlist, level)

        builtins.__import__ = importing
        try:
            yield
        finally:
            builtins.__import__ = original
