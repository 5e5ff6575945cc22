"""Stable Audio Open through `diffusers`: a latent diffusion model that turns a prompt into up to 47 s of
44.1 kHz stereo sound (Stability AI Community License; the weights come from the user, no registry ships
them).

The loader takes a folder in the layout `StableAudioPipeline.save_pretrained` writes (`model_index.json`,
`transformer/`, `vae/`, `text_encoder/`, `tokenizer/`, `projection_model/`, `scheduler/`): a clone of
`stabilityai/stable-audio-open-1.0`, or what `vocalis models pull stable-audio-open` puts in the model
cache (`downloads.STABLE_AUDIO_OPEN`). Needs the `text-to-audio` extra (torch, diffusers, transformers,
torchsde).
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from vocalis.engines import weights
from vocalis.engines.lazy import LazyModel
from vocalis.engines.protocols import GeneratedSound, SoundOptions

NAME = "stable-audio-open"
PIPELINE_CLASS = "StableAudioPipeline"
REQUIRED_MODULES = ("torch", "diffusers", "transformers", "torchsde")
DEFAULT_STEPS = 100
# Stable Audio Open's model card prompts against this, so the guidance pushes away from artefacts.
NEGATIVE_PROMPT = "Low quality."


def available() -> bool:
    """Whether the runtime is installed (nothing is imported)."""
    return all(importlib.util.find_spec(module) is not None for module in REQUIRED_MODULES)


def is_pipeline_dir(directory: str | os.PathLike[str]) -> bool:
    """Whether `directory` holds a saved Stable Audio pipeline (checked without loading it)."""
    index = Path(directory) / "model_index.json"
    try:
        return json.loads(index.read_text()).get("_class_name") == PIPELINE_CLASS
    except (OSError, ValueError, AttributeError):
        return False


def load_pipeline(directory: str | os.PathLike[str], device: str = "cpu") -> Any:
    """A `StableAudioPipeline` from a local folder, on `device`, without touching the network."""
    directory = Path(directory).expanduser()
    if not is_pipeline_dir(directory):
        raise ValueError(
            f"{directory} is not a Stable Audio pipeline folder (its model_index.json must name "
            f"{PIPELINE_CLASS}); point VOCALIS_SOUND_EFFECTS_MODEL_PATH at a copy of stable-audio-open-1.0"
        )
    import torch
    from diffusers import StableAudioPipeline

    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    pipeline = StableAudioPipeline.from_pretrained(directory, local_files_only=True, dtype=dtype)
    pipeline.set_progress_bar_config(disable=True)
    return pipeline.to(device)


class StableAudioGenerator(LazyModel):
    """`SoundGenerator` over a Stable Audio pipeline folder; loads on the first `generate`. `digests` maps
    paths inside the folder to SHA-256 digests checked before loading (a pulled copy)."""

    name = NAME

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        digests: Mapping[str, str] | None = None,
        steps: int = DEFAULT_STEPS,
        device: str | None = None,
        threads: int = 2,
    ):
        self.directory = Path(directory)
        self.steps = steps
        self._device = device
        self._threads = threads
        self._digests = dict(digests or {})
        super().__init__()

    def _read(self) -> Any:
        import torch

        device = self._device or ("cuda" if torch.cuda.is_available() else "cpu")
        if device == "cpu":
            torch.set_num_threads(self._threads)
        for name, digest in self._digests.items():
            weights.verified(self.directory / name, digest)
        return load_pipeline(self.directory, device)

    @property
    def max_seconds(self) -> float:
        """The longest sound the model makes in one pass (47.55 s for stable-audio-open-1.0)."""
        pipeline = self._load()
        return (
            pipeline.transformer.config.sample_size
            * pipeline.vae.hop_length
            / pipeline.vae.config.sampling_rate
        )

    def generate(self, prompt: str, opts: SoundOptions) -> GeneratedSound:
        import torch

        pipeline = self._load()
        if opts.duration_seconds > self.max_seconds:
            raise ValueError(f"{NAME} makes at most {self.max_seconds:.2f} s per generation")
        # Guidance 1 ignores the prompt and 13 follows it hard; the model card's 7 sits at influence 0.5.
        guidance = 1.0 + 12.0 * opts.prompt_influence
        with self._lock:  # one pipeline object is not safe to run from two threads at once
            output = pipeline(
                prompt,
                negative_prompt=NEGATIVE_PROMPT,
                audio_end_in_s=opts.duration_seconds,
                num_inference_steps=self.steps,
                guidance_scale=guidance,
                generator=torch.Generator("cpu").manual_seed(opts.seed),
                output_type="np",
            )
        stereo = np.asarray(output.audios[0], dtype=np.float32)
        return GeneratedSound(
            stereo.mean(axis=0), int(pipeline.vae.config.sampling_rate), {"model": self.directory.name}
        )
