"""Piper (VITS) text to speech with the en_US-joe-medium voice, timed by the model's own phoneme durations
and made repeatable per request by feeding its random noise from a seeded generator.
"""

from __future__ import annotations

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

VOICE_NAME = "en_US-joe-medium"
_HOP_LENGTH = 256  # audio samples per duration frame, unless the voice config says otherwise
# Frame-level noise is sized for this many frames per phoneme id; longer outputs reuse it (see _patch).
_FRAMES_PER_ID = 6
_PRIOR_CHANNELS = 192  # channels of the prior's frame-level noise in Piper voices


def _patch(model_bytes: bytes) -> tuple[bytes, list[tuple[str, bool]]]:
    """Expose durations as output "durations" and turn random ops into noise inputs.

    The duration tensor is the graph's only `Ceil` (frames per phoneme id, after length_scale), as in
    piper's own alignment patch. onnxruntime's random ops keep one generator per session that advances
    on every run, so neither `onnxruntime.set_seed` nor a `seed` attribute makes one request repeatable,
    and a process-wide seed is not thread-safe; noise drawn per request from `default_rng(seed)` is both.

    Returns the patched model and, per noise input, its name and whether it is frame-level (the prior's
    noise) rather than phoneme-level (the stochastic duration predictor's, under "/dp/").
    Each noise input is a flat float vector; the graph tiles it if it is too short, slices it to the
    random op's element count and reshapes it to the op's shape.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    ceil = [node for node in graph.node if node.op_type == "Ceil"]
    if len(ceil) != 1:
        raise ValueError(f"expected one Ceil (duration) node in the Piper graph, found {len(ceil)}")
    graph.node.append(helper.make_node("Identity", [ceil[0].output[0]], ["durations"]))
    graph.output.append(helper.make_tensor_value_info("durations", TensorProto.FLOAT, None))
    graph.initializer.extend(
        [
            numpy_helper.from_array(np.array([0], np.int64), "noise_zero"),
            numpy_helper.from_array(np.array([1], np.int64), "noise_one"),
        ]
    )
    noise_inputs = []
    nodes = list(graph.node)
    del graph.node[:]
    for node in nodes:
        if node.op_type != "RandomNormalLike":
            graph.node.append(node)
            continue
        name = f"noise_{len(noise_inputs)}"
        noise_inputs.append((name, not node.name.startswith("/dp/")))
        graph.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["n"]))

        def t(suffix: str, name: str = name) -> str:
            return f"{name}/{suffix}"

        graph.node.extend(
            [
                helper.make_node("Shape", [node.input[0]], [t("shape")]),
                helper.make_node("ReduceProd", [t("shape")], [t("count")], keepdims=1),
                helper.make_node("Shape", [name], [t("have")]),
                helper.make_node("Add", [t("count"), t("have")], [t("sum")]),
                helper.make_node("Sub", [t("sum"), "noise_one"], [t("sum1")]),
                helper.make_node("Div", [t("sum1"), t("have")], [t("repeats")]),
                helper.make_node("Tile", [name, t("repeats")], [t("tiled")]),
                helper.make_node("Slice", [t("tiled"), "noise_zero", t("count")], [t("flat")]),
                helper.make_node("Reshape", [t("flat"), t("shape")], [node.output[0]]),
            ]
        )
    return model.SerializeToString(), noise_inputs


def noise_scales(variation: float) -> tuple[float, float]:
    """(noise_scale, noise_w) for a variation in 0..1: 0 is flat and repeatable, 0.5 the voice's defaults."""
    v = min(max(variation, 0.0), 1.0)
    factor = 2 * v if v <= 0.5 else 1 + 0.8 * (v - 0.5)
    return 0.667 * factor, 0.8 * factor


class PiperSynthesizer(LazyOnnxSession):
    """Piper text to speech (one male US English voice, `en_US-joe-medium`).

    `model_path`/`config_path` replace the packaged voice files (used as given, no digest check);
    `threads` is onnxruntime's intra-op thread count. Nothing is loaded until `load()` or the first
    `synthesize()`; `synthesize` may be called from several threads at once.
    """

    name = "piper"
    sample_rate = 22050

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        config_path: str | os.PathLike[str] | None = None,
        threads: int = 2,
    ) -> None:
        self._model_path = model_path
        self._config_path = config_path
        super().__init__(threads)
        self._noise_inputs: list[tuple[str, bool]] = []
        self._id_map: dict[str, list[int]] = {}
        self._hop_length = _HOP_LENGTH

    @property
    def weights_id(self) -> str | None:
        """What identifies this engine's output: the packaged files' digests; None for the user's own files,
        which carry no digest (renders of them are not kept across processes)."""
        if self._model_path is not None or self._config_path is not None:
            return None
        return f"piper:{weights.PIPER_JOE_MODEL.sha256}:{weights.PIPER_JOE_CONFIG.sha256}"

    def voices(self) -> list[EngineVoice]:
        return [EngineVoice(name=VOICE_NAME, gender="male", language="en-us")]

    def _open(self, onnxruntime: Any, options: Any) -> Any:
        model_path, config_path = weights.piper_joe(self._model_path, self._config_path)
        config = json.loads(Path(config_path).read_text(encoding="utf-8"))
        if config["audio"]["sample_rate"] != self.sample_rate:
            raise weights.WeightsError(f"{model_path} is not a {self.sample_rate} Hz Piper voice")
        model_bytes, self._noise_inputs = _patch(Path(model_path).read_bytes())
        self._id_map = config["phoneme_id_map"]
        self._hop_length = int(config.get("hop_length", _HOP_LENGTH))
        return onnxruntime.InferenceSession(
            model_bytes, sess_options=options, providers=["CPUExecutionProvider"]
        )

    def synthesize(self, text: str, voice: VoiceSpec, opts: SynthesisOptions) -> Iterator[SpeechChunk]:
        """One chunk per sentence; `opts.speed` is the final pace and `voice.speed` is not applied again."""
        if voice.engine != self.name or any(name != VOICE_NAME for name, _ in voice.blend):
            raise ValueError(f"piper renders only the voice {VOICE_NAME!r}, not {voice}")
        language = phonemes.espeak_language(opts.language)
        session = self._load()
        rng = np.random.default_rng(opts.seed)
        length_scale = 1.0 / phonemes.clamp_speed(opts.speed)
        noise_scale, noise_w = noise_scales(opts.variation)
        pad, bos, eos = self._id_map["_"], self._id_map["^"], self._id_map["$"]
        for sentence in phonemes.phonemize(text, language, opts.pronunciations):
            # Each phoneme lasts for its id and the pad after it; BOS and its pad lead, EOS trails.
            ids = bos + pad
            spans, id_counts = [sentence.lead_span], [len(ids)]
            for phoneme, span in zip(sentence.phonemes, sentence.spans, strict=True):
                if phoneme in self._id_map:  # espeak symbols the voice never learned are dropped
                    ids = ids + self._id_map[phoneme] + pad
                    spans.append(span)
                    id_counts.append(len(self._id_map[phoneme]) + len(pad))
            ids = ids + eos
            spans.append(sentence.tail_span)
            id_counts.append(len(eos))
            frames = int(len(ids) * _FRAMES_PER_ID * length_scale) + 64
            feeds = {
                "input": np.array([ids], dtype=np.int64),
                "input_lengths": np.array([len(ids)], dtype=np.int64),
                "scales": np.array([noise_scale, length_scale, noise_w], dtype=np.float32),
            }
            for name, per_frame in self._noise_inputs:
                size = _PRIOR_CHANNELS * frames if per_frame else 2 * len(ids)
                feeds[name] = rng.standard_normal(size, dtype=np.float32)
            audio, durations = session.run(["output", "durations"], feeds)
            audio = audio.reshape(-1).astype(np.float32)
            starts = np.cumsum([0] + id_counts[:-1])
            frames_per_phoneme = np.add.reduceat(durations.reshape(-1).astype(np.float64), starts)
            seconds = frames_per_phoneme * self._hop_length / self.sample_rate
            audio = shaped(audio, self.sample_rate, voice)
            yield SpeechChunk(
                audio=np.clip(audio, -1.0, 1.0),
                text_start=sentence.text_start,
                text_end=sentence.text_end,
                char_times=phonemes.char_times(sentence.text_start, sentence.text_end, spans, seconds),
            )
