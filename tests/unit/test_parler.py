"""The Parler-TTS engine on a tiny random model of the real architecture (real loader, digest check,
seeded sampling, EOS and the length limit), and the full-size parameter layout of parler-tts-mini-v1."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from parler_support import EOS, HOP, SAMPLE_RATE, write_tiny_parler

from vocalis.engines.parler import ParlerSynthesizer
from vocalis.engines.parler_model import ParlerConfig, ParlerTTS
from vocalis.engines.weights import WeightsError, file_sha256

DESCRIPTION = "A deep male voice, calm and slow, very clear audio."
TEXT = "Hello there, how are you today?"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return write_tiny_parler(tmp_path_factory.mktemp("parler"))


def test_loads_through_the_digest_check_and_generates_repeatably(tiny):
    digests = {
        name: file_sha256(tiny / name) for name in ("config.json", "model.safetensors", "tokenizer.json")
    }
    engine = ParlerSynthesizer(tiny, digests)
    first = engine.generate(DESCRIPTION, TEXT, seed=3)
    again = engine.generate(DESCRIPTION, TEXT, seed=3)
    other = engine.generate(DESCRIPTION, TEXT, seed=4)
    assert engine.sample_rate == SAMPLE_RATE
    assert first.dtype == np.float32 and first.size > 0 and np.isfinite(first).all()
    assert first.size % HOP == 0  # whole codec frames
    assert np.array_equal(first, again)
    assert not (first.size == other.size and np.array_equal(first, other))
    # The random model ends by itself (EOS), long before the limit for this text.
    assert first.size < engine.max_frames(TEXT) * HOP


def test_a_changed_file_is_refused(tmp_path):
    engine = ParlerSynthesizer(write_tiny_parler(tmp_path), {"model.safetensors": "0" * 64})
    with pytest.raises(WeightsError):
        engine.generate(DESCRIPTION, TEXT, seed=1)


def test_a_checkpoint_of_another_shape_is_refused(tiny, tmp_path):
    import json
    import shutil

    for name in ("model.safetensors", "tokenizer.json", "generation_config.json"):
        shutil.copy(tiny / name, tmp_path / name)
    config = json.loads((tiny / "config.json").read_text())
    config["decoder"]["num_hidden_layers"] = 3
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(WeightsError, match="missing"):
        ParlerSynthesizer(tmp_path).generate(DESCRIPTION, TEXT, seed=1)


def test_stops_at_eos_and_at_the_length_limit(tmp_path):
    ending = ParlerSynthesizer(write_tiny_parler(tmp_path / "ending", eos_bias=50.0))
    assert ending.generate(DESCRIPTION, TEXT, seed=1).size == 0  # every codebook ends at once
    endless = ParlerSynthesizer(write_tiny_parler(tmp_path / "endless", eos_bias=-50.0))
    audio = endless.generate(DESCRIPTION, TEXT, seed=1, max_frames=20)
    assert audio.size == 20 * HOP and np.isfinite(audio).all()


def test_only_codes_reach_the_codec(tiny):
    engine = ParlerSynthesizer(tiny)
    net, tokenizer = engine._load()
    codes = engine._codes(
        net,
        torch.tensor([tokenizer.encode(DESCRIPTION).ids]),
        torch.tensor([tokenizer.encode(TEXT).ids]),
        seed=5,
        frames=60,
    )
    assert codes.shape[0] == 4 and codes.max() < EOS and codes.min() >= 0


# ---- parler-tts/parler-tts-mini-v1 at full size -----------------------------------------------------
# Written from the hub model card and the parler_tts 0.2.3 defaults: a flan-t5-large encoder (24 layers,
# d_model 1024, d_ff 2816, 16 heads, gated GELU), a 24-layer decoder of width 1024 with 16 heads, FFN 4096,
# 9 codebooks over a 1088-row vocabulary, sinusoidal positions (4096), and DAC 44.1 kHz (9 x 1024 codes,
# latent 1024). Not checked against the published config.json (no network here): the values recalled are
# the vocabulary width 1088 and the 4096 positions; the rest are the library's and T5-large's defaults.
MINI_V1_CONFIG = {
    "model_type": "parler_tts",
    "vocab_size": 32128,
    "prompt_cross_attention": False,
    "decoder_start_token_id": 1025,
    "pad_token_id": 1024,
    "text_encoder": {
        "model_type": "t5",
        "_name_or_path": "google/flan-t5-large",
        "vocab_size": 32128,
        "d_model": 1024,
        "d_kv": 64,
        "d_ff": 2816,
        "num_layers": 24,
        "num_decoder_layers": 24,
        "num_heads": 16,
        "relative_attention_num_buckets": 32,
        "relative_attention_max_distance": 128,
        "feed_forward_proj": "gated-gelu",
        "tie_word_embeddings": False,
    },
    "audio_encoder": {
        "model_type": "dac_on_the_hub",
        "num_codebooks": 9,
        "codebook_size": 1024,
        "latent_dim": 1024,
        "model_bitrate": 8,
        "frame_rate": 86,
        "sampling_rate": 44100,
    },
    "decoder": {
        "model_type": "parler_tts_decoder",
        "vocab_size": 1088,
        "hidden_size": 1024,
        "num_hidden_layers": 24,
        "num_attention_heads": 16,
        "num_key_value_heads": 16,
        "num_cross_attention_key_value_heads": 16,
        "ffn_dim": 4096,
        "num_codebooks": 9,
        "max_position_embeddings": 4096,
        "rope_embeddings": False,
        "activation_function": "gelu",
        "bos_token_id": 1025,
        "eos_token_id": 1024,
        "pad_token_id": 1024,
    },
}


def _reference_layout() -> dict[str, tuple[int, ...]]:
    """The checkpoint's tensor names and shapes, enumerated from the structure of the reference code
    (`ParlerTTSForConditionalGeneration`, transformers' `T5EncoderModel`, `dac.DAC` with weight norm)."""
    d, v, k = 1024, 1088, 9
    shapes: dict[str, tuple[int, ...]] = {"text_encoder.shared.weight": (32128, d)}
    shapes["text_encoder.encoder.embed_tokens.weight"] = (32128, d)
    for i in range(24):
        p = f"text_encoder.encoder.block.{i}.layer."
        for m in "qkvo":
            shapes[f"{p}0.SelfAttention.{m}.weight"] = (d, d)
        if i == 0:
            shapes[f"{p}0.SelfAttention.relative_attention_bias.weight"] = (32, 16)
        shapes[f"{p}0.layer_norm.weight"] = (d,)
        shapes[f"{p}1.DenseReluDense.wi_0.weight"] = (2816, d)
        shapes[f"{p}1.DenseReluDense.wi_1.weight"] = (2816, d)
        shapes[f"{p}1.DenseReluDense.wo.weight"] = (d, 2816)
        shapes[f"{p}1.layer_norm.weight"] = (d,)
    shapes["text_encoder.encoder.final_layer_norm.weight"] = (d,)
    shapes["embed_prompts.weight"] = (32128, d)
    p = "decoder.model.decoder."
    for c in range(k):
        shapes[f"{p}embed_tokens.{c}.weight"] = (v + 1, d)
        shapes[f"decoder.lm_heads.{c}.weight"] = (v, d)
    shapes[f"{p}embed_positions.weights"] = (4096, d)
    for i in range(24):
        q = f"{p}layers.{i}."
        for attention in ("self_attn", "encoder_attn"):
            for m in ("q", "k", "v", "out"):
                shapes[f"{q}{attention}.{m}_proj.weight"] = (d, d)
        for norm in ("self_attn_layer_norm", "encoder_attn_layer_norm", "final_layer_norm"):
            shapes[f"{q}{norm}.weight"] = shapes[f"{q}{norm}.bias"] = (d,)
        shapes[f"{q}fc1.weight"] = (4096, d)
        shapes[f"{q}fc2.weight"] = (d, 4096)
    shapes[f"{p}layer_norm.weight"] = shapes[f"{p}layer_norm.bias"] = (d,)

    def conv(name: str, cin: int, cout: int, kernel: int, transpose: bool = False) -> None:
        first = cin if transpose else cout
        shapes[f"{name}.weight_g"] = (first, 1, 1)
        shapes[f"{name}.weight_v"] = (cin, cout, kernel) if transpose else (cout, cin, kernel)
        shapes[f"{name}.bias"] = (cout,)

    def residual(name: str, ch: int) -> None:
        shapes[f"{name}.block.0.alpha"] = shapes[f"{name}.block.2.alpha"] = (1, ch, 1)
        conv(f"{name}.block.1", ch, ch, 7)
        conv(f"{name}.block.3", ch, ch, 1)

    e = "audio_encoder.model.encoder.block"
    conv(f"{e}.0", 1, 64, 7)
    ch = 64
    for i, stride in enumerate((2, 4, 8, 8), start=1):
        for j in range(3):
            residual(f"{e}.{i}.block.{j}", ch)
        shapes[f"{e}.{i}.block.3.alpha"] = (1, ch, 1)
        conv(f"{e}.{i}.block.4", ch, ch * 2, 2 * stride)
        ch *= 2
    shapes[f"{e}.5.alpha"] = (1, 1024, 1)
    conv(f"{e}.6", 1024, 1024, 3)
    for c in range(k):
        q = f"audio_encoder.model.quantizer.quantizers.{c}"
        conv(f"{q}.in_proj", 1024, 8, 1)
        conv(f"{q}.out_proj", 8, 1024, 1)
        shapes[f"{q}.codebook.weight"] = (1024, 8)
    m = "audio_encoder.model.decoder.model"
    conv(f"{m}.0", 1024, 1536, 7)
    for i, stride in enumerate((8, 8, 4, 2)):
        inner, outer = 1536 // 2**i, 1536 // 2 ** (i + 1)
        shapes[f"{m}.{i + 1}.block.0.alpha"] = (1, inner, 1)
        conv(f"{m}.{i + 1}.block.1", inner, outer, 2 * stride, transpose=True)
        for j in range(3):
            residual(f"{m}.{i + 1}.block.{j + 2}", outer)
    shapes[f"{m}.5.alpha"] = (1, 96, 1)
    conv(f"{m}.6", 96, 1, 7)
    return shapes


def test_full_size_layout_is_the_checkpoints():
    with torch.device("meta"):
        net = ParlerTTS(ParlerConfig.from_json(MINI_V1_CONFIG))
    ours = {name: tuple(t.shape) for name, t in net.state_dict().items()}
    reference = _reference_layout()
    assert sorted(set(reference) - set(ours)) == [] and sorted(set(ours) - set(reference)) == []
    assert ours == reference
    # About 880 M parameters, as the model card says (the tied T5 embedding counted once).
    tied = "text_encoder.encoder.embed_tokens.weight"
    values = sum(math.prod(shape) for name, shape in ours.items() if name != tied)
    assert 0.85e9 < values < 0.9e9, values
    assert len(ours) == len(reference)
