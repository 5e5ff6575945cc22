"""Chatterbox (Resemble AI, MIT) as a `Synthesizer`: zero-shot TTS in the voice of its built-in speaker or of
any reference clip, through the `chatterbox-tts` package and a local checkpoint folder (`ve.safetensors`,
`t3_cfg.safetensors`, `s3gen.safetensors`, `tokenizer.json`, `conds.pt`, as `vocalis models pull
chatterbox` installs them or the user's own copy).

The model is a 0.5 B Llama text-to-speech-token model, a flow-matching token-to-mel decoder and a HiFi-GAN
vocoder; it is used through the package rather than rewritten here. The package pins torch 2.6 and many
heavy extras, so it is installed without its dependencies (README, "Neural cloning engines"), and without
torchaudio, whose few pieces it uses stand in from `chatterbox_torchaudio` where torchaudio cannot load.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from vocalis.audio import resample
from vocalis.engines import weights
from vocalis.engines.lazy import LazyModel
from vocalis.engines.protocols import EngineVoice, SpeechChunk, SynthesisOptions, VoiceSpec

NAME = "chatterbox"
VOICE_NAME = "default"  # the speaker of `conds.pt`
SAMPLE_RATE = 24000  # S3Gen's output rate
CHECKPOINT_FILES = ("ve.safetensors", "t3_cfg.safetensors", "s3gen.safetensors", "tokenizer.json")
# How much of a reference clip conditions each part, as the package's own `prepare_conditionals` uses.
_TOKEN_PROMPT_SECONDS = 6
_DECODER_PROMPT_SECONDS = 10
_TOKENIZER_RATE = 16000
# One speech token is 40 ms: two decoder mel frames. A decoder prompt of whole tokens keeps the two aligned
# (otherwise S3Gen drops the odd frame's token and logs a warning for every reference).
_TOKEN_SAMPLES = SAMPLE_RATE // 25
# Shorter references leave the speaker encoders nothing to read (empty filter banks, NaN embeddings).
MIN_REFERENCE_SECONDS = 0.5


def package() -> Any:
    """The package's `chatterbox.tts` module, imported with torchaudio's stand-ins where torchaudio cannot
    load (a failed torchaudio import would fail the whole package, and silently drop its watermarker)."""
    if (tts := sys.modules.get("chatterbox.tts")) is None:
        from vocalis.engines import chatterbox_torchaudio

        with chatterbox_torchaudio.standing_in():
            import chatterbox.tts as tts
    return tts


def temperature(variation: float) -> float:
    """ElevenLabs' variation (1 - stability) → sampling temperature; 0.5 gives Chatterbox's default 0.8."""
    return 0.2 + 1.2 * min(1.0, max(0.0, variation))


# A speaker's conditionals cost a pass of three encoders over the reference: kept for the last few speakers.
_KEPT_SPEAKERS = 8

# Speaker name → (reference clip, its sample rate): how a name other than VOICE_NAME becomes a voice.
References = Callable[[str], tuple[np.ndarray, int]]


class ChatterboxSynthesizer(LazyModel):
    """`Synthesizer` on a Chatterbox checkpoint folder; nothing is read until first use.

    `digests` maps file names to SHA-256 digests checked before loading (the pulled copy). A spec naming
    VOICE_NAME speaks the built-in speaker; any other name is resolved to a reference clip by `references`
    (the server resolves voice ids to their samples or renderings) and spoken zero-shot. Chatterbox has no
    per-phoneme durations, so chunks carry no character timings (callers align the audio instead).
    """

    name = NAME
    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        checkpoint_dir: str | os.PathLike[str],
        digests: Mapping[str, str] | None = None,
        threads: int = 2,
        device: str = "cpu",
        references: References | None = None,
    ):
        self.checkpoint_dir = Path(checkpoint_dir)
        self._digests = dict(digests or {})
        self._threads = threads
        self._device = device
        self._builtin: Any = None  # conds.pt: generating replaces the model's own copy
        self._references = references
        self._speakers: dict[tuple[str, str], Any] = {}  # (name, clip digest) → conditionals
        super().__init__()

    def _forget(self) -> None:
        self._builtin = None
        self._speakers.clear()

    def voices(self) -> list[EngineVoice]:
        return [EngineVoice(VOICE_NAME, "neutral", "en-us")]

    def _read(self) -> Any:
        missing = [n for n in CHECKPOINT_FILES if not (self.checkpoint_dir / n).is_file()]
        if missing:
            raise weights.WeightsError(
                f"{self.checkpoint_dir} lacks {', '.join(missing)}; run `vocalis models pull chatterbox`"
            )
        for name, digest in self._digests.items():
            weights.verified(self.checkpoint_dir / name, digest)
        import torch

        tts = package()
        torch.set_num_threads(self._threads)
        model = tts.ChatterboxTTS.from_local(self.checkpoint_dir, self._device)
        self._builtin = model.conds
        return model

    def synthesize(self, text: str, voice: VoiceSpec, opts: SynthesisOptions) -> Iterator[SpeechChunk]:
        """The built-in speaker (`conds.pt`) for VOICE_NAME, else the named speaker's reference clip."""
        if voice.engine != self.name or len(voice.blend) != 1:
            raise ValueError(f"chatterbox renders one speaker, not {voice}")
        name = voice.blend[0][0]
        model = self._load()
        if name != VOICE_NAME:
            yield self._generate(model, self._speaker(model, name), text, opts)
            return
        if self._builtin is None:
            raise weights.WeightsError(f"{self.checkpoint_dir} has no conds.pt (the built-in speaker)")
        yield self._generate(model, self._builtin, text, opts)

    def _speaker(self, model: Any, name: str) -> Any:
        if self._references is None:
            raise ValueError(f"chatterbox has no reference for speaker {name!r}")
        clip, rate = self._references(name)
        self._check_reference(clip, rate)
        key = (name, hashlib.sha256(np.ascontiguousarray(clip, dtype=np.float32).tobytes()).hexdigest())
        conditionals = self._speakers.get(key)
        if conditionals is None:
            conditionals = self._conditionals(model, clip, rate)
            with self._lock:
                while len(self._speakers) >= _KEPT_SPEAKERS:
                    self._speakers.pop(next(iter(self._speakers)))
                self._speakers[key] = conditionals
        return conditionals

    def synthesize_like(
        self, text: str, reference: np.ndarray, reference_rate: int, opts: SynthesisOptions
    ) -> Iterator[SpeechChunk]:
        """Speak `text` in the voice of `reference` (mono float32, a few seconds of clean speech)."""
        self._check_reference(reference, reference_rate)
        model = self._load()
        yield self._generate(model, self._conditionals(model, reference, reference_rate), text, opts)

    @staticmethod
    def _check_reference(reference: np.ndarray, reference_rate: int) -> None:
        if len(reference) < MIN_REFERENCE_SECONDS * reference_rate:
            raise ValueError(
                f"the reference clip lasts {len(reference) / reference_rate:.2f} s; "
                f"chatterbox needs at least {MIN_REFERENCE_SECONDS} s of speech (a few seconds is best)"
            )

    def _conditionals(self, model: Any, reference: np.ndarray, reference_rate: int) -> Any:
        import torch

        tts = package()
        at_decoder_rate = resample(reference, reference_rate, SAMPLE_RATE)
        at_tokenizer_rate = resample(reference, reference_rate, _TOKENIZER_RATE)
        decoder_clip = at_decoder_rate[: _DECODER_PROMPT_SECONDS * SAMPLE_RATE]
        decoder_clip = decoder_clip[: len(decoder_clip) // _TOKEN_SAMPLES * _TOKEN_SAMPLES]
        decoder_prompt = model.s3gen.embed_ref(decoder_clip, SAMPLE_RATE, device=self._device)
        tokens, _ = model.s3gen.tokenizer.forward(
            [at_tokenizer_rate[: _TOKEN_PROMPT_SECONDS * _TOKENIZER_RATE]],
            max_len=model.t3.hp.speech_cond_prompt_len,
        )
        speaker = torch.from_numpy(
            model.ve.embeds_from_wavs([at_tokenizer_rate], sample_rate=_TOKENIZER_RATE)
        )
        t3 = tts.T3Cond(
            speaker_emb=speaker.mean(axis=0, keepdim=True),
            cond_prompt_speech_tokens=torch.atleast_2d(tokens),
            emotion_adv=0.5 * torch.ones(1, 1, 1),
        )
        return tts.Conditionals(t3, decoder_prompt).to(self._device)

    def _generate(self, model: Any, conditionals: Any, text: str, opts: SynthesisOptions) -> SpeechChunk:
        import torch

        with self._lock:  # the package keeps the speaker on the model object, and seeds are global
            model.conds = conditionals
            if opts.seed is not None:
                torch.manual_seed(opts.seed)
            wav = model.generate(text, temperature=temperature(opts.variation))
        audio = wav.squeeze(0).cpu().numpy().astype(np.float32)
        return SpeechChunk(audio=np.clip(audio, -1.0, 1.0), text_start=0, text_end=len(text))
