"""The few torchaudio pieces that Chatterbox and its watermarker use, for a torch torchaudio cannot load on.

PyPI's torchaudio wheels for Linux x86-64 are CUDA builds: beside the CPU torch that Vocalis pins, importing
torchaudio fails on its native library (libc10_cuda.so), and transformers' audio code, which imports
torchaudio whenever it is installed, fails with it. So torchaudio is left out of the Chatterbox requirements,
and what Chatterbox calls of it, all plain PyTorch, is ported here from torchaudio 2.11 (BSD-2-Clause) with
the same arithmetic: `compliance.kaldi.fbank` (the CAM++ speaker encoder's features), `transforms.Resample`
(sinc interpolation with a Hann window, for reference clips), and `transforms.Spectrogram` /
`InverseSpectrogram` (the Perth watermarker). `TimeStretch` is built by the watermarker but never called.

`standing_in()` hands them to the `import torchaudio...` statements of Chatterbox's own modules (and its
watermarker's and speech tokenizer's) while `chatterbox` is imported; nothing else sees them, so nothing else
mistakes them for torchaudio.
"""

# The ported functions come from torchaudio 2.11.0 (compliance/kaldi.py, functional/functional.py,
# transforms/_transforms.py), under its licence:
#
# BSD 2-Clause License
#
# Copyright (c) 2017 Facebook Inc. (Soumith Chintala),
# All rights reserved.
#
# Redistribution and use in source and binary forms, with or without
# modification, are permitted provided that the following conditions are met:
#
# * Redistributions of source code must retain the above copyright notice, this
#   list of conditions and the following disclaimer.
#
# * Redistributions in binary form must reproduce the above copyright notice,
#   this list of conditions and the following disclaimer in the documentation
#   and/or other materials provided with the distribution.
#
# THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
# AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
# IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
# DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
# FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
# DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
# SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
# CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
# OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
# OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.

from __future__ import annotations

import builtins
import math
import sys
import threading
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor

_EPSILON = torch.finfo(torch.float32).eps


# --- compliance.kaldi.fbank (Kaldi's compute-fbank-feats, snip_edges, no VTLN) ------------------------------


def _mel(freq: Tensor | float) -> Tensor | float:
    if isinstance(freq, Tensor):
        return 1127.0 * (1.0 + freq / 700.0).log()
    return 1127.0 * math.log(1.0 + freq / 700.0)


def _mel_banks(
    num_bins: int, padded_window: int, sample_freq: float, low_freq: float, high_freq: float
) -> Tensor:
    """Triangular filters, (num_bins, padded_window // 2), equally spaced on Kaldi's mel scale."""
    nyquist = 0.5 * sample_freq
    if high_freq <= 0.0:
        high_freq += nyquist
    if not (0.0 <= low_freq < nyquist and 0.0 < high_freq <= nyquist and low_freq < high_freq):
        raise ValueError(f"bad mel range {low_freq}-{high_freq} Hz for Nyquist {nyquist} Hz")
    mel_low, mel_high = _mel(low_freq), _mel(high_freq)
    delta = (mel_high - mel_low) / (num_bins + 1)
    bin_index = torch.arange(num_bins).unsqueeze(1)
    left = mel_low + bin_index * delta
    center = mel_low + (bin_index + 1.0) * delta
    right = mel_low + (bin_index + 2.0) * delta
    mel = _mel(sample_freq / padded_window * torch.arange(padded_window / 2)).unsqueeze(0)
    up = (mel - left) / (center - left)
    down = (right - mel) / (right - center)
    return torch.max(torch.zeros(1), torch.min(up, down))


def fbank(
    waveform: Tensor,
    num_mel_bins: int = 23,
    frame_length: float = 25.0,
    frame_shift: float = 10.0,
    sample_frequency: float = 16000.0,
    low_freq: float = 20.0,
    high_freq: float = 0.0,
    dither: float = 0.0,
    preemphasis_coefficient: float = 0.97,
    remove_dc_offset: bool = True,
    round_to_power_of_two: bool = True,
    use_power: bool = True,
    use_log_fbank: bool = True,
    window_type: str = "povey",
    channel: int = -1,
    **unsupported: object,
) -> Tensor:
    """Log mel filter-bank energies of a (channels, samples) waveform as (frames, num_mel_bins), matching
    `torchaudio.compliance.kaldi.fbank` for the options it names (the ones Chatterbox leaves at their
    defaults: no energy column, snip_edges, no VTLN)."""
    if unsupported:
        raise NotImplementedError(f"fbank options not ported from torchaudio: {sorted(unsupported)}")
    if window_type != "povey":
        raise NotImplementedError(f"fbank window {window_type!r} not ported from torchaudio")
    device, dtype = waveform.device, waveform.dtype
    signal = waveform[max(channel, 0), :]
    shift = int(sample_frequency * frame_shift * 0.001)
    size = int(sample_frequency * frame_length * 0.001)
    if not 2 <= size <= len(signal):
        raise ValueError(f"a {size}-sample frame does not fit a {len(signal)}-sample waveform")
    padded = 2 ** (size - 1).bit_length() if round_to_power_of_two else size
    frames = signal.as_strided(
        (1 + (len(signal) - size) // shift, size), (shift * signal.stride(0), signal.stride(0))
    )
    if dither != 0.0:
        frames = frames + torch.randn(frames.shape, device=device, dtype=dtype) * dither
    if remove_dc_offset:
        frames = frames - frames.mean(dim=1, keepdim=True)
    if preemphasis_coefficient != 0.0:
        previous = torch.nn.functional.pad(frames.unsqueeze(0), (1, 0), mode="replicate").squeeze(0)
        frames = frames - preemphasis_coefficient * previous[:, :-1]
    window = torch.hann_window(size, periodic=False, device=device, dtype=dtype).pow(0.85)
    frames = torch.nn.functional.pad(frames * window, (0, padded - size))
    spectrum = torch.fft.rfft(frames).abs()
    if use_power:
        spectrum = spectrum.pow(2.0)
    banks = _mel_banks(num_mel_bins, padded, sample_frequency, low_freq, high_freq).to(
        device=device, dtype=dtype
    )
    energies = torch.mm(spectrum, torch.nn.functional.pad(banks, (0, 1)).T)
    if use_log_fbank:
        energies = torch.max(energies, torch.tensor(_EPSILON, device=device, dtype=dtype)).log()
    return energies


# --- transforms.Resample (sinc_interp_hann) -----------------------------------------------------------------


class Resample(torch.nn.Module):
    """`torchaudio.transforms.Resample` with its default windowed-sinc (Hann) filter."""

    def __init__(
        self,
        orig_freq: int = 16000,
        new_freq: int = 16000,
        resampling_method: str = "sinc_interp_hann",
        lowpass_filter_width: int = 6,
        rolloff: float = 0.99,
    ):
        super().__init__()
        if resampling_method != "sinc_interp_hann":
            raise NotImplementedError(f"resampling method {resampling_method!r} not ported from torchaudio")
        if int(orig_freq) != orig_freq or int(new_freq) != new_freq:
            raise ValueError("resampling needs integer rates")
        gcd = math.gcd(int(orig_freq), int(new_freq))
        self.orig_freq, self.new_freq = int(orig_freq) // gcd, int(new_freq) // gcd
        if self.orig_freq != self.new_freq:
            kernel, self.width = _sinc_kernel(self.orig_freq, self.new_freq, lowpass_filter_width, rolloff)
            self.register_buffer("kernel", kernel)

    def forward(self, waveform: Tensor) -> Tensor:
        if self.orig_freq == self.new_freq:
            return waveform
        shape = waveform.size()
        flat = waveform.reshape(-1, shape[-1])
        count, length = flat.shape
        flat = torch.nn.functional.pad(flat, (self.width, self.width + self.orig_freq))
        out = torch.nn.functional.conv1d(flat[:, None], self.kernel, stride=self.orig_freq)
        out = out.transpose(1, 2).reshape(count, -1)
        out = out[..., : math.ceil(self.new_freq * length / self.orig_freq)]
        return out.reshape(shape[:-1] + out.shape[-1:])


def _sinc_kernel(
    orig_freq: int, new_freq: int, lowpass_filter_width: int, rolloff: float
) -> tuple[Tensor, int]:
    base_freq = min(orig_freq, new_freq) * rolloff
    width = math.ceil(lowpass_filter_width * orig_freq / base_freq)
    idx = torch.arange(-width, width + orig_freq, dtype=torch.float64)[None, None] / orig_freq
    t = torch.arange(0, -new_freq, -1, dtype=None)[:, None, None] / new_freq + idx
    t *= base_freq
    t = t.clamp_(-lowpass_filter_width, lowpass_filter_width)
    window = torch.cos(t * math.pi / lowpass_filter_width / 2) ** 2
    t *= math.pi
    kernels = torch.where(t == 0, torch.tensor(1.0).to(t), t.sin() / t)
    kernels *= window * (base_freq / orig_freq)
    return kernels.to(dtype=torch.float32), width


# --- transforms.Spectrogram / InverseSpectrogram (complex, unnormalised, centred) ---------------------------


class Spectrogram(torch.nn.Module):
    """`torchaudio.transforms.Spectrogram`: complex STFT for `power=None`, else its magnitude to `power`."""

    def __init__(
        self,
        n_fft: int = 400,
        win_length: int | None = None,
        hop_length: int | None = None,
        pad: int = 0,
        window_fn: Callable[..., Tensor] = torch.hann_window,
        power: float | None = 2.0,
        normalized: bool = False,
        wkwargs: dict | None = None,
        center: bool = True,
        pad_mode: str = "reflect",
        onesided: bool = True,
    ):
        super().__init__()
        if normalized or pad:
            raise NotImplementedError("normalized or padded spectrograms are not ported from torchaudio")
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.register_buffer("window", window_fn(self.win_length, **(wkwargs or {})))
        self.power, self.center, self.pad_mode, self.onesided = power, center, pad_mode, onesided

    def forward(self, waveform: Tensor) -> Tensor:
        shape = waveform.size()
        spec = torch.stft(
            waveform.reshape(-1, shape[-1]),
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            win_length=self.win_length,
            window=self.window,
            center=self.center,
            pad_mode=self.pad_mode,
            normalized=False,
            onesided=self.onesided,
            return_complex=True,
        )
        spec = spec.reshape(shape[:-1] + spec.shape[-2:])
        if self.power is None:
            return spec
        return spec.abs() if self.power == 1.0 else spec.abs().pow(self.power)


class InverseSpectrogram(torch.nn.Module):
    """`torchaudio.transforms.InverseSpectrogram` of a complex, unnormalised STFT."""

    def __init__(
        self,
        n_fft: int = 400,
        win_length: int | None = None,
        hop_length: int | None = None,
        pad: int = 0,
        window_fn: Callable[..., Tensor] = torch.hann_window,
        normalized: bool = False,
        wkwargs: dict | None = None,
        center: bool = True,
        pad_mode: str = "reflect",
        onesided: bool = True,
    ):
        super().__init__()
        if normalized or pad:
            raise NotImplementedError("normalized or padded spectrograms are not ported from torchaudio")
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.register_buffer("window", window_fn(self.win_length, **(wkwargs or {})))
        self.center, self.onesided = center, onesided

    def forward(self, spectrogram: Tensor, length: int | None = None) -> Tensor:
        if not spectrogram.is_complex():
            raise ValueError("Expected `spectrogram` to be complex dtype.")
        shape = spectrogram.size()
        waveform = torch.istft(
            spectrogram.reshape(-1, shape[-2], shape[-1]),
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            win_length=self.win_length,
            window=self.window,
            center=self.center,
            normalized=False,
            onesided=self.onesided,
            length=length,
            return_complex=False,
        )
        return waveform.reshape(shape[:-2] + waveform.shape[-1:])


class TimeStretch(torch.nn.Module):
    """Built by the Perth watermarker (for training-time augmentation; its checkpoint holds the buffer) and
    never called at inference."""

    def __init__(self, hop_length: int | None = None, n_freq: int = 201, fixed_rate: float | None = None):
        super().__init__()
        self.fixed_rate = fixed_rate
        hop_length = hop_length if hop_length is not None else n_freq - 1
        self.register_buffer("phase_advance", torch.linspace(0, math.pi * hop_length, n_freq)[..., None])

    def forward(self, complex_specgrams: Tensor, overriding_rate: float | None = None) -> Tensor:
        raise NotImplementedError("TimeStretch is not ported from torchaudio")


# --- serving them to Chatterbox's imports -------------------------------------------------------------------

# The packages whose `import torchaudio...` statements get the ports; anyone else's import is left alone (so
# transformers, which checks whether torchaudio is installed, still finds it absent).
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
    """For the duration, `import torchaudio...` in the IMPORTERS' modules gets the ports, unless the real
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
                    raise ImportError(f"{name} is not among the torchaudio pieces ported for Chatterbox")
                return modules[name] if fromlist else modules["torchaudio"]
            return original(name, globals, locals, fromlist, level)

        builtins.__import__ = importing
        try:
            yield
        finally:
            builtins.__import__ = original
