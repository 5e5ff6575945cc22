"""Kokoro-82M (int8 ONNX) text to speech in English from espeak IPA, with blended voice packs and timings
from the model's own duration predictor.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from vocalis.engines import phonemes, weights
from vocalis.engines.onnx_session import LazyOnnxSession
from vocalis.engines.protocols import EngineVoice, SpeechChunk, SynthesisOptions, VoiceSpec
from vocalis.engines.shaping import shaped

PACKS = {
    "jf_alpha": "female",
    "jf_gongitsune": "female",
    "jf_nezumi": "female",
    "jf_tebukuro": "female",
    "jm_kumo": "male",
}
MAX_TOKENS = 510  # the model takes 512 positions, two of them the boundary pads
_HOP = 600  # audio samples per duration frame
_AUDIO_LEAD_SECONDS = 0.025  # measured against pocketsphinx forced alignment of Kokoro output
_KEEP_EDGE_FRAMES = 5  # 125 ms of silence kept at each end; the model pads far more at sentence edges
_CLAUSE_MARKS = frozenset(",;:.!?")
# espeak (en-us) to the symbols Kokoro was trained on (misaki's American set): diphthongs and affricates
# are single tokens, r-coloured vowels are spelled out, length marks and glottal stops do not exist.
_ESPEAK_TO_KOKORO = (
    ("aɪ", "I"),
    ("aʊ", "W"),
    ("eɪ", "A"),
    ("oʊ", "O"),
    ("əʊ", "O"),
    ("ɔɪ", "Y"),
    ("dʒ", "ʤ"),
    ("tʃ", "ʧ"),
    ("ɚ", "əɹ"),
    ("ɜːɹ", "ɜɹ"),
    ("ɜː", "ɜɹ"),
    ("ɪə", "iə"),
    ("ʔn\u0329", "tᵊn"),
    ("n\u0329", "ᵊn"),
    ("l\u0329", "ᵊl"),
    ("m\u0329", "ᵊm"),
    ("ʔ", "t"),
    ("r", "ɹ"),
    ("ɐ", "ə"),
    ("e", "A"),
    ("x", "k"),
    ("ç", "k"),
    ("ɬ", "l"),
    ("ʲ", ""),
    ("ː", ""),
)
# How far `variation` = 1 moves the prosody half of the style, in standard deviations across the packs.
_VARIATION_STD = 0.3


def _patch(model_bytes: bytes) -> bytes:
    """Add the duration predictor's frames per token as graph output "durations".

    The graph's only output is `audio`; the predictor's durations, rounded and clipped to at least one
    frame (the `Clip` after `Round` that feeds the alignment `CumSum`), become a second output. One frame
    is 600 samples at 24 kHz: the audio is exactly 600 x their sum samples long.
    """
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    rounded = {node.output[0] for node in graph.node if node.op_type == "Round"}
    clips = [node for node in graph.node if node.op_type == "Clip" and node.input[0] in rounded]
    if len(clips) != 1:
        raise ValueError(
            f"expected one Clip(Round(...)) duration node in the Kokoro graph, found {len(clips)}"
        )
    graph.node.append(helper.make_node("Identity", [clips[0].output[0]], ["durations"]))
    graph.output.append(helper.make_tensor_value_info("durations", TensorProto.FLOAT, None))
    return model.SerializeToString()


def _cut_points(tokens: list[str], limit: int = MAX_TOKENS) -> list[int]:
    """Indices where a token sequence is cut into pieces of at most `limit` tokens.

    A cut goes after the space following clause punctuation when there is one in the latter two thirds of
    the window, else after the last space (a word boundary), else hard at the limit.
    """
    cuts, start = [], 0
    while len(tokens) - start > limit:
        window = range(start + limit, start + limit // 3, -1)
        after_clause = [i for i in window if tokens[i - 1] == " " and tokens[i - 2] in _CLAUSE_MARKS]
        after_space = [i for i in window if tokens[i - 1] == " "]
        cut = (after_clause or after_space or [start + limit])[0]
        cuts.append(cut)
        start = cut
    return cuts


def _trim_edges(audio: np.ndarray, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shorten the boundary pads' silences to `_KEEP_EDGE_FRAMES`; the durations move with the audio."""
    frames = frames.astype(np.float64)
    head = max(0, int(frames[0]) - _KEEP_EDGE_FRAMES)
    tail = max(0, int(frames[-1]) - _KEEP_EDGE_FRAMES)
    frames[0] -= head
    frames[-1] -= tail
    return audio[head * _HOP : len(audio) - tail * _HOP], frames


def _check_blend(blend: tuple[tuple[str, float], ...]) -> None:
    unknown = [name for name, _ in blend if name not in PACKS]
    if unknown or not blend or sum(weight for _, weight in blend) <= 0:
        raise ValueError(
            f"kokoro blend needs known packs {sorted(PACKS)} with a positive weight sum: {blend}"
        )


class KokoroSynthesizer(LazyOnnxSession):
    """Kokoro text to speech: five voice packs (four female, one male), mixed by `VoiceSpec.blend`.

    `cache_dir` is where the model is joined from its part packages (Vocalis passes
    `<VOCALIS_HOME>/models`); `model_path`, `voices_path` and `vocab_path` replace the packaged files
    (used as given, no digest check). `threads` is onnxruntime's intra-op thread count. Nothing is
    loaded until `load()` or the first `synthesize()`; `synthesize` may be called from several threads.

    The graph has no random ops, so output is repeatable even without a seed. `variation` > 0 adds noise
    drawn from `seed` to the prosody half of the style vector (dims 128-255, read by the duration and
    pitch predictor; the timbre half is untouched), so takes differ in pacing and intonation only.
    """

    name = "kokoro"
    sample_rate = 24000

    def __init__(
        self,
        cache_dir: str | os.PathLike[str] | None = None,
        model_path: str | os.PathLike[str] | None = None,
        voices_path: str | os.PathLike[str] | None = None,
        vocab_path: str | os.PathLike[str] | None = None,
        threads: int = 2,
    ) -> None:
        self._cache_dir = cache_dir
        self._model_path = model_path
        self._voices_path = voices_path
        self._vocab_path = vocab_path
        super().__init__(threads)
        self._vocab: dict[str, int] = {}
        self._packs: dict[str, np.ndarray] = {}
        self._prosody_std = np.zeros(128, np.float32)
        self._styles: dict[tuple[tuple[str, float], ...], np.ndarray] = {}

    @property
    def weights_id(self) -> str | None:
        """What identifies this engine's output: the packaged files' digests; None for the user's own files,
        which carry no digest (renders of them are not kept across processes)."""
        if any(path is not None for path in (self._model_path, self._voices_path, self._vocab_path)):
            return None
        digests = (weights.KOKORO_MODEL_SHA256, weights.KOKORO_VOICES.sha256, weights.KOKORO_VOCAB.sha256)
        return "kokoro:" + ":".join(digests)

    def voices(self) -> list[EngineVoice]:
        return [EngineVoice(name=name, gender=gender, language="en-us") for name, gender in PACKS.items()]

    def _open(self, onnxruntime: Any, options: Any) -> Any:
        model_path = weights.kokoro_model(self._cache_dir, self._model_path)
        vocab_path = weights.packaged(weights.KOKORO_VOCAB, self._vocab_path)
        voices_path = weights.packaged(weights.KOKORO_VOICES, self._voices_path)
        self._vocab = json.loads(Path(vocab_path).read_text(encoding="utf-8"))["vocab"]
        with np.load(voices_path) as npz:
            self._packs = {name: npz[name].reshape(-1, 256).astype(np.float32) for name in npz.files}
        missing = set(PACKS) - set(self._packs)
        if missing:
            raise weights.WeightsError(f"{voices_path} lacks the voice packs {sorted(missing)}")
        self._prosody_std = np.stack(list(self._packs.values()))[..., 128:].std(axis=(0, 1))
        return onnxruntime.InferenceSession(
            _patch(Path(model_path).read_bytes()), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def _forget(self) -> None:
        self._styles.clear()

    def style_table(self, blend: tuple[tuple[str, float], ...]) -> np.ndarray:
        """The 510x256 style table of a blend: packs mixed by their weights, normalized to sum 1.

        Negative weights extrapolate away from a pack (e.g. 1.2 jm_kumo, -0.2 jf_alpha: a deeper male).
        """
        self._load()
        key = tuple(sorted(blend))
        with self._lock:
            table = self._styles.get(key)
        if table is not None:
            return table
        _check_blend(blend)
        total = sum(weight for _, weight in blend)
        table = sum(self._packs[name] * (weight / total) for name, weight in blend)
        with self._lock:
            if len(self._styles) > 256:  # voices come and go (designed, cloned); keep the cache bounded
                self._styles.clear()
            self._styles[key] = table
        return table

    def synthesize(self, text: str, voice: VoiceSpec, opts: SynthesisOptions) -> Iterator[SpeechChunk]:
        """One chunk per sentence (more for sentences over 510 tokens); `opts.speed` is the final pace."""
        if voice.engine != self.name:
            raise ValueError(f"kokoro cannot render a {voice.engine!r} voice")
        _check_blend(voice.blend)
        language = phonemes.espeak_language(opts.language)
        session = self._load()
        table = self.style_table(voice.blend)
        rng = np.random.default_rng(opts.seed)
        speed = np.array([phonemes.clamp_speed(opts.speed)], dtype=np.float32)
        variation = min(max(opts.variation, 0.0), 1.0)
        for sentence in phonemes.phonemize(text, language, opts.pronunciations):
            symbols, spans = phonemes.substitute(sentence.phonemes, sentence.spans, _ESPEAK_TO_KOKORO)
            kept = [(s, span) for s, span in zip(symbols, spans, strict=True) if s in self._vocab]
            if not kept:
                continue
            tokens = [s for s, _ in kept]
            cuts = [0, *_cut_points(tokens), len(tokens)]
            for piece, (lo, hi) in enumerate(itertools.pairwise(cuts)):
                first, last = piece == 0, hi == len(tokens)
                text_start = sentence.text_start if first else kept[lo][1][0]
                text_end = sentence.text_end if last else kept[hi][1][0]
                style = table[hi - lo - 1].copy()
                if variation:
                    noise = rng.standard_normal(128).astype(np.float32)
                    style[128:] += variation * _VARIATION_STD * self._prosody_std * noise
                audio, durations = session.run(
                    ["audio", "durations"],
                    {
                        "tokens": np.array(
                            [[0, *(self._vocab[s] for s in tokens[lo:hi]), 0]], dtype=np.int64
                        ),
                        "style": style.reshape(1, 256),
                        "speed": speed,
                    },
                )
                audio, frames = _trim_edges(audio.reshape(-1).astype(np.float32), durations.reshape(-1))
                seconds = frames * _HOP / self.sample_rate
                # The decoder's audio runs about one frame ahead of its duration grid.
                seconds[0] = max(seconds[0] - _AUDIO_LEAD_SECONDS, 0.0)
                seconds[-1] += _AUDIO_LEAD_SECONDS
                spans_here = [
                    sentence.lead_span if first else kept[lo][1],
                    *(span for _, span in kept[lo:hi]),
                    sentence.tail_span if last else kept[hi - 1][1],
                ]
                audio = shaped(audio, self.sample_rate, voice)
                yield SpeechChunk(
                    audio=np.clip(audio, -1.0, 1.0),
                    text_start=text_start,
                    text_end=text_end,
                    char_times=phonemes.char_times(text_start, text_end, spans_here, seconds),
                )
