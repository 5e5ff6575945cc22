"""Parler-TTS: speech in a voice described in words ("a deep male voice, slow and calm, close-up
recording"), the description-conditioned engine of voice design. It reads a folder laid out as the hub
repository `parler-tts/parler-tts-mini-v1` holds it (config.json, model.safetensors, tokenizer.json,
optionally generation_config.json); the networks are Vocalis' own (`parler_model`), the description
encoder is transformers' T5.

Generation samples the 9 DAC codebooks one frame at a time in the delay pattern (codebook k runs k frames
behind codebook 0), lets codebook k end only after codebook k-1 has, stops when every codebook has ended
or at the length limit, and decodes the frames before the end with the DAC decoder at 44.1 kHz.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vocalis.engines import weights
from vocalis.engines.lazy import LazyModel
from vocalis.engines.parler_model import LayerCache, ParlerConfig, ParlerTTS, checkpoint_state
from vocalis.engines.weights import WeightsError

NAME = "parler-tts"
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
GENERATION_FILE = "generation_config.json"
# Frames per second of speech are the codec's (86 for DAC 44.1 kHz); speech runs at most this many
# seconds per character of transcript, plus a second, before generation is cut.
SECONDS_PER_CHARACTER = 0.12


@dataclass(frozen=True)
class Sampling:
    temperature: float = 1.0
    top_k: int = 50  # transformers' default for sampling, which Parler-TTS generates with
    top_p: float = 1.0
    max_length: int = 2580  # decoder steps, about 30 s

    @classmethod
    def from_json(cls, config: Mapping[str, Any]) -> Sampling:
        return cls(
            temperature=float(config.get("temperature") or 1.0),
            top_k=int(config.get("top_k") if config.get("top_k") is not None else 50),
            top_p=float(config.get("top_p") or 1.0),
            max_length=int(config.get("max_length") or 2580),
        )


def read_config(model_dir: Path) -> ParlerConfig:
    try:
        return ParlerConfig.from_json(json.loads((model_dir / CONFIG_FILE).read_text()))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise WeightsError(f"cannot read the Parler-TTS config {model_dir / CONFIG_FILE}: {error}") from error


class ParlerSynthesizer(LazyModel):
    """Description-conditioned speech on a Parler-TTS folder; nothing is read until first use.

    `digests` maps file names to SHA-256 digests checked before loading (the pulled copy); a user's own
    folder is used as given. `threads` bounds PyTorch's intra-op threads.
    """

    name = NAME

    def __init__(
        self, model_dir: str | os.PathLike[str], digests: Mapping[str, str] | None = None, threads: int = 2
    ):
        self.model_dir = Path(model_dir)
        self.config = read_config(self.model_dir)
        self.sample_rate = self.config.codec.sampling_rate
        self.frame_rate = self.sample_rate / self.config.codec.hop_length
        self._digests = dict(digests or {})
        self._threads = threads
        generation = self.model_dir / GENERATION_FILE
        try:
            self.sampling = (
                Sampling.from_json(json.loads(generation.read_text())) if generation.is_file() else Sampling()
            )
        except (OSError, ValueError, TypeError) as error:
            raise WeightsError(f"cannot read {generation}: {error}") from error
        super().__init__()

    def _read(self) -> tuple[ParlerTTS, Any]:
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        for name, digest in self._digests.items():
            weights.verified(self.model_dir / name, digest)
        path = self.model_dir / WEIGHTS_FILE
        try:
            state = checkpoint_state(load_file(str(path)))
            tokenizer = Tokenizer.from_file(str(self.model_dir / TOKENIZER_FILE))
        except Exception as error:  # safetensors and tokenizers raise their own kinds
            raise WeightsError(f"cannot read the Parler-TTS files in {self.model_dir}: {error}") from error
        net = ParlerTTS(self.config)
        weights.load_strict(net, state, path, self.model_dir / CONFIG_FILE)
        torch.set_num_threads(self._threads)
        return net.eval(), tokenizer

    def max_frames(self, text: str) -> int:
        """The length limit for `text`: generous for speech at any usual pace, and never past the model's."""
        seconds = 1.0 + SECONDS_PER_CHARACTER * len(text)
        return min(
            int(seconds * self.frame_rate), self.sampling.max_length - self.config.decoder.num_codebooks
        )

    def generate(self, description: str, text: str, seed: int, max_frames: int | None = None) -> np.ndarray:
        """Speech saying `text` in the voice `description` describes, float32 mono at `sample_rate`; the
        same seed gives the same audio."""
        net, tokenizer = self._load()
        torch.set_flush_denormal(True)
        frames = max_frames if max_frames is not None else self.max_frames(text)
        with torch.inference_mode():
            description_ids = torch.tensor([tokenizer.encode(description).ids])
            prompt_ids = torch.tensor([tokenizer.encode(text).ids])
            codes = self._codes(net, description_ids, prompt_ids, seed, frames)
            if codes.shape[-1] == 0:
                return np.zeros(0, dtype=np.float32)
            audio = net.audio_encoder.model.decode(codes[None])
        return audio[0, 0].float().numpy().astype(np.float32)

    def _codes(
        self, net: ParlerTTS, description_ids: torch.Tensor, prompt_ids: torch.Tensor, seed: int, frames: int
    ) -> torch.Tensor:
        """(codebooks, frames) codes of the speech, without the delay pattern's padding."""
        config = self.config.decoder
        books, bos, eos = config.num_codebooks, config.bos_token_id, config.eos_token_id
        steps = frames + books  # decoder positions: BOS, then every frame shifted by up to books - 1
        encoding = net.encode_description(description_ids)
        prefix = net.embed_prompts(prompt_ids)
        if self.config.prompt_cross_attention:
            prefix = prefix + net.embed_positions(0, prefix.shape[1])[None]
            encoding, prefix = torch.cat([encoding, prefix], dim=1), None
        decoder = net.decoder.model.decoder
        caches = [LayerCache() for _ in decoder.layers]
        generator = torch.Generator().manual_seed(seed)
        columns = [torch.full((books,), bos, dtype=torch.long)]
        ended = torch.zeros(books, dtype=torch.bool)
        position = 0
        for step in range(1, steps):
            latest = columns[-1].view(1, books, 1)
            hidden = decoder(latest, prefix, encoding, caches, position)
            position += hidden.shape[1]
            prefix = None
            logits = net.decoder.logits(hidden[:, -1])[0].float()  # (books, vocab)
            # Codebook k may end only once codebooks 0..k-1 have: the delay pattern ends them in turn.
            may_end = torch.cat([torch.ones(1, dtype=torch.bool), ended[:-1].cumprod(0).bool()])
            logits[~may_end, eos] = -torch.inf
            tokens = self._sample(logits, generator)
            tokens = torch.where(ended, torch.full_like(tokens, eos), tokens)
            index = torch.arange(books)
            tokens = torch.where(index >= step, torch.full_like(tokens, bos), tokens)  # not started yet
            tokens = torch.where(index < step - (steps - books), torch.full_like(tokens, eos), tokens)  # cut
            columns.append(tokens)
            ended |= tokens == eos
            if bool(ended.all()):
                break
        grid = torch.stack(columns, dim=1)  # (books, positions)
        length = grid.shape[1] - books
        if length <= 0:
            return torch.zeros(books, 0, dtype=torch.long)
        codes = torch.stack([grid[k, k + 1 : k + 1 + length] for k in range(books)])
        valid = (codes < self.config.codec.codebook_size).all(dim=0)
        return codes[:, valid]

    def _sample(self, logits: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        sampling = self.sampling
        logits = logits / max(sampling.temperature, 1e-5)
        if 0 < sampling.top_k < logits.shape[-1]:
            floor = logits.topk(sampling.top_k, dim=-1).values[:, -1:]
            logits = logits.masked_fill(logits < floor, -torch.inf)
        if sampling.top_p < 1.0:
            ordered, order = logits.sort(dim=-1, descending=True)
            cumulative = ordered.softmax(dim=-1).cumsum(dim=-1)
            drop = cumulative - ordered.softmax(dim=-1) > sampling.top_p
            logits = logits.scatter(-1, order, ordered.masked_fill(drop, -torch.inf))
        probabilities = logits.softmax(dim=-1)
        return torch.multinomial(probabilities, 1, generator=generator)[:, 0]
