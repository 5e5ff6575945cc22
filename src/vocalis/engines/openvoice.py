"""OpenVoice v2's tone-colour converter as a `VoiceConverter`: speech in any voice → the same speech in the
voice of a reference speaker, from a converter folder holding `config.json` and `checkpoint.pth` (as
`vocalis models pull openvoice-v2` installs it, or the user's own copy).

Needs PyTorch (the `neural` extra). The networks are in `openvoice_model.py`; this module reads the files,
computes the spectrograms the model was trained on and runs it in windows, so memory stays flat however
long the input is.
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vocalis.audio import resample
from vocalis.engines import weights
from vocalis.engines.lazy import LazyModel
from vocalis.engines.openvoice_model import ConverterConfig, ToneColorConverterNet
from vocalis.engines.protocols import ConversionOptions, SpeakerReference
from vocalis.engines.weights import WeightsError

NAME = "openvoice-v2"
CONFIG_FILE = "config.json"
CHECKPOINT_FILE = "checkpoint.pth"
# Spectrogram frames converted per pass, and frames of context on each side of a window: the posterior
# encoder, flow and generator together see about ±40 frames, so with 64 the seams are inaudible while a
# pass stays around 12 s of audio (a few hundred MB at the real model's size).
_WINDOW_FRAMES = 1024
_CONTEXT_FRAMES = 64


def read_config(path: Path) -> ConverterConfig:
    """The network shape from a converter `config.json`; only the converter layout is accepted."""
    try:
        raw = json.loads(path.read_text())
        data, model = raw["data"], raw["model"]
        if data.get("n_speakers", 0) != 0:
            raise WeightsError(f"{path} describes an OpenVoice base TTS, not the tone-colour converter")
        if str(model.get("resblock", "1")) != "1":
            raise WeightsError(f"{path}: only HiFi-GAN resblock type 1 (OpenVoice v1/v2) is supported")
        return ConverterConfig(
            sampling_rate=int(data["sampling_rate"]),
            filter_length=int(data["filter_length"]),
            hop_length=int(data["hop_length"]),
            win_length=int(data["win_length"]),
            inter_channels=int(model["inter_channels"]),
            hidden_channels=int(model["hidden_channels"]),
            resblock_kernel_sizes=tuple(model["resblock_kernel_sizes"]),
            resblock_dilation_sizes=tuple(tuple(d) for d in model["resblock_dilation_sizes"]),
            upsample_rates=tuple(model["upsample_rates"]),
            upsample_initial_channel=int(model["upsample_initial_channel"]),
            upsample_kernel_sizes=tuple(model["upsample_kernel_sizes"]),
            gin_channels=int(model.get("gin_channels", 256)),
            # v1 converters predate the flag and condition every part on the speaker.
            zero_g=bool(model.get("zero_g", False)),
        )
    except OSError as error:
        raise WeightsError(f"cannot read the converter config {path}: {error}") from error
    except (ValueError, KeyError, TypeError) as error:
        raise WeightsError(f"{path} is not an OpenVoice converter config: {error!r}") from error


def linear_spectrogram(samples: torch.Tensor, config: ConverterConfig) -> torch.Tensor:
    """(samples,) at the model's rate → (1, filter_length // 2 + 1, frames) STFT magnitudes, framed as in
    training: reflect-padded by (n_fft - hop) / 2 on each side and not centred, so frames = samples // hop.
    """
    pad = (config.filter_length - config.hop_length) // 2
    padded = torch.nn.functional.pad(samples[None, None], (pad, pad), mode="reflect")[0]
    window = torch.hann_window(config.win_length, dtype=samples.dtype)
    stft = torch.stft(
        padded,
        config.filter_length,
        hop_length=config.hop_length,
        win_length=config.win_length,
        window=window,
        center=False,
        return_complex=True,
    )
    # The small floor keeps the magnitude differentiable at zero in training; kept so inputs match.
    return torch.sqrt(stft.real**2 + stft.imag**2 + 1e-6)


class OpenVoiceConverter(LazyModel):
    """`VoiceConverter` on an OpenVoice v1/v2 converter folder; nothing is read until first use.

    `digests` maps file names to SHA-256 digests to check before loading (the pulled copy); a user's own
    folder is used as given. `threads` bounds PyTorch's intra-op threads.
    """

    name = NAME

    def __init__(
        self, model_dir: str | os.PathLike[str], digests: Mapping[str, str] | None = None, threads: int = 2
    ):
        self.model_dir = Path(model_dir)
        self.config = read_config(self.model_dir / CONFIG_FILE)
        self.sample_rate = self.config.sampling_rate
        self._digests = dict(digests or {})
        self._threads = threads
        super().__init__()

    def _read(self) -> ToneColorConverterNet:
        for name, digest in self._digests.items():
            weights.verified(self.model_dir / name, digest)
        path = self.model_dir / CHECKPOINT_FILE
        try:
            # weights_only: a checkpoint is a pickle, and this refuses any object but tensors and plain data.
            checkpoint: Any = torch.load(path, map_location="cpu", weights_only=True)
        except (OSError, RuntimeError, pickle.UnpicklingError) as error:
            raise WeightsError(f"cannot read the converter checkpoint {path}: {error}") from error
        state = checkpoint.get("model", checkpoint) if isinstance(checkpoint, dict) else None
        if not isinstance(state, dict):
            raise WeightsError(f"{path} holds no state dict (expected a dict with a 'model' entry)")
        net = ToneColorConverterNet(self.config)
        weights.load_strict(net, state, path, self.model_dir / CONFIG_FILE)
        # torch would otherwise spread every call over all cores, starving the other engines' workers.
        torch.set_num_threads(self._threads)
        return net.eval()

    # VoiceConverter -------------------------------------------------------------------------------
    def reference(self, audio: np.ndarray, sample_rate: int) -> SpeakerReference:
        net = self._load()
        _flush_denormals()
        spec = self._spectrogram(audio, sample_rate)
        with torch.inference_mode():
            embedding = net.ref_enc(spec.transpose(1, 2))[0]
        return SpeakerReference(self.name, embedding.numpy().astype(np.float32))

    def convert(
        self,
        audio: np.ndarray,
        sample_rate: int,
        target: SpeakerReference,
        opts: ConversionOptions,
        source: SpeakerReference | None = None,
    ) -> np.ndarray:
        if not 0.0 <= opts.variation <= 1.0:
            raise ValueError(f"variation must be within 0..1, not {opts.variation}")
        net = self._load()
        _flush_denormals()
        spec = self._spectrogram(audio, sample_rate)
        target_g = self._embedding(target)
        generator = torch.Generator().manual_seed(opts.seed) if opts.seed is not None else None
        hop = self.config.hop_length
        frames = spec.shape[-1]
        pieces = []
        with torch.inference_mode():
            source_g = self._embedding(source) if source else net.ref_enc(spec.transpose(1, 2))[..., None]
            for start in range(0, frames, _WINDOW_FRAMES):
                end = min(frames, start + _WINDOW_FRAMES)
                lo, hi = max(0, start - _CONTEXT_FRAMES), min(frames, end + _CONTEXT_FRAMES)
                wave = net.convert(spec[..., lo:hi], source_g, target_g, opts.variation, generator)[0, 0]
                pieces.append(wave[(start - lo) * hop : (end - lo) * hop])
        converted = torch.cat(pieces).numpy()
        # Frames cover the input up to its last whole hop; pad the rest so timing stays the input's.
        length = round(len(audio) * self.sample_rate / sample_rate)
        return np.pad(converted, (0, max(0, length - len(converted))))[:length].astype(np.float32)

    # Helpers --------------------------------------------------------------------------------------
    def _spectrogram(self, audio: np.ndarray, sample_rate: int) -> torch.Tensor:
        samples = resample(np.asarray(audio, dtype=np.float32), sample_rate, self.sample_rate)
        if len(samples) < self.config.filter_length:
            raise ValueError(
                f"audio too short: {len(samples) / self.sample_rate:.3f} s; OpenVoice needs at least "
                f"{self.config.filter_length / self.sample_rate:.3f} s"
            )
        return linear_spectrogram(torch.from_numpy(np.clip(samples, -1.0, 1.0)), self.config)

    def _embedding(self, reference: SpeakerReference) -> torch.Tensor:
        if reference.engine != self.name or reference.embedding.shape != (self.config.gin_channels,):
            raise ValueError(
                f"speaker reference from {reference.engine!r} ({reference.embedding.shape[0]} values) "
                f"does not fit {self.name} ({self.config.gin_channels} values); derive it again with "
                f"this converter's reference()"
            )
        return torch.from_numpy(np.asarray(reference.embedding, dtype=np.float32))[None, :, None]


def _flush_denormals() -> None:
    """Treat denormal floats as zero in this (worker) thread, where the CPU flag lives: quiet passages
    drive activations into the denormal range, where CPUs slow down about twentyfold."""
    torch.set_flush_denormal(True)
