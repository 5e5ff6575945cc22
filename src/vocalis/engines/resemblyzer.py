"""Speaker embeddings from Resemblyzer's GE2E encoder (a 3-layer LSTM on 40 log-mel bands, torch), an optional
second judge of voice similarity beside the ONNX d-vector: it is what the cloning figures are reported in.

Optional because it needs PyTorch (`pip install vocalis[resemblyzer]`); nothing imports torch until `load()`
or the first `embed()`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vocalis.engines import weights
from vocalis.engines.lazy import LazyModel

SAMPLE_RATE = 16000
RESEMBLYZER_WEIGHTS = weights.PackagedFile(
    "resemblyzer",
    "pretrained.pt",
    "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e",
    "resemblyzer==0.1.4",
)
_MIN_TRIMMED_S = 0.5  # Resemblyzer's silence trimming may leave less of a short clip; it is used untrimmed


class ResemblyzerEncoder(LazyModel):
    """256-d GE2E embeddings of 16 kHz mono speech (`SpeakerEncoder`); `embed` is thread-safe."""

    name = "resemblyzer"
    dimension = 256

    def _read(self) -> Any:
        import torch
        from resemblyzer import VoiceEncoder

        # One thread: onnxruntime's worker threads keep spinning after each run of the other engines, and a
        # two-thread LSTM competing with them ran 10-20 times slower (1.2 s against 0.07 s for 3 s of
        # speech). torch's thread count is per process; nothing else in Vocalis uses torch.
        torch.set_num_threads(1)
        path = weights.unimported(RESEMBLYZER_WEIGHTS)
        return VoiceEncoder("cpu", verbose=False, weights_fpath=path)

    def embed(self, audio: np.ndarray) -> np.ndarray:
        """L2-normalized mean of the partial embeddings of 1.6 s windows (Resemblyzer's `embed_utterance`)."""
        from resemblyzer import preprocess_wav

        encoder = self._load()
        samples = np.asarray(audio, dtype=np.float32).reshape(-1)
        trimmed = preprocess_wav(samples, source_sr=SAMPLE_RATE)
        if len(trimmed) < _MIN_TRIMMED_S * SAMPLE_RATE:
            trimmed = samples / max(float(np.abs(samples).max()), 1e-6)
        vector = encoder.embed_utterance(trimmed.astype(np.float32))
        return (vector / (np.linalg.norm(vector) + 1e-12)).astype(np.float32)
