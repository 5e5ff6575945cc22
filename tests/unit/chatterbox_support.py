"""A tiny Chatterbox of the real architecture with random weights, to test the engine's loading and inference.

`ChatterboxTTS.from_local` builds its networks with no sizes passed (`T3()`, `S3Gen()`, `VoiceEncoder()`), so
`tiny_architecture()` shrinks what those constructors read while it is active: the Llama config that T3 looks
up by name, the perceiver resampler, and the S3Gen parts (speech tokenizer, conformer encoder, flow-matching
decoder, CAM++ speaker encoder, HiFT vocoder), keeping every layer kind and the 80-bin mel / 24 kHz
interfaces. `write_checkpoint` saves such a model as the published folder holds it (three safetensors files,
a BPE `tokenizer.json` of the English format, and `conds.pt` made by the package's own
`prepare_conditionals` from a real speech clip), and both must run inside `tiny_architecture()`.

Random weights would sample speech tokens until the package's 1000-token cap (40 s of audio); instead one
coordinate of T3's residual stream is kept at zero except in the speech position embeddings from
`SPEECH_TOKENS` on, and the stop token's logit reads only that coordinate, so the model speaks
`SPEECH_TOKENS` tokens (about a second) and then stops through the package's own end-of-speech check.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import torch

from vocalis.engines.chatterbox import package

SPEECH_TOKENS = 30
TINY_LLAMA = dict(
    vocab_size=8,
    max_position_embeddings=131072,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=2,
    num_key_value_heads=2,
    head_dim=16,
    attn_implementation="sdpa",
    tie_word_embeddings=False,
    hidden_act="silu",
    attention_bias=False,
    attention_dropout=0.0,
    initializer_range=0.02,
    mlp_bias=False,
    model_type="llama",
    pretraining_tp=1,
    rms_norm_eps=1e-05,
    rope_scaling=dict(
        factor=8.0,
        high_freq_factor=4.0,
        low_freq_factor=1.0,
        original_max_position_embeddings=8192,
        rope_type="llama3",
    ),
    rope_theta=500000.0,
    torch_dtype="float32",
    use_cache=True,
)
# Overrides of the sizes S3Gen's constructor passes (its conformer keeps 512 channels: its lookahead and
# upsampling layers are built at 512 whatever it is given).
S3GEN_SIZES: dict[str, dict[str, Any]] = {
    "UpsampleConformerEncoder": dict(attention_heads=2, linear_units=64, num_blocks=1),
    "ConditionalDecoder": dict(
        channels=[32], n_blocks=1, num_mid_blocks=1, num_heads=2, attention_head_dim=16
    ),
    "CAMPPlus": dict(growth_rate=8, bn_size=2, init_channels=32),
    "ConvRNNF0Predictor": dict(cond_channels=32),
    "HiFTGenerator": dict(base_channels=32),
}
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'\"-"


def _sized(cls: type, overrides: dict[str, Any]) -> Any:
    def build(*args: Any, **kwargs: Any) -> Any:
        return cls(*args, **{**kwargs, **overrides})

    return build


@contextmanager
def tiny_architecture() -> Iterator[None]:
    """Chatterbox's constructors build the tiny networks while this is active (and full size again after)."""
    package()  # imports chatterbox with torchaudio's stand-ins where needed
    from chatterbox.models.s3gen import s3gen
    from chatterbox.models.t3 import llama_configs
    from chatterbox.models.t3.modules import cond_enc
    from s3tokenizer.model_v2 import ModelConfig, S3TokenizerV2

    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(llama_configs.LLAMA_CONFIGS, "Llama_520M", TINY_LLAMA)
        dim = TINY_LLAMA["hidden_size"]
        patch.setattr(
            cond_enc,
            "Perceiver",
            _sized(
                cond_enc.Perceiver, dict(pre_attention_query_size=dim, embedding_dim=dim, num_attn_heads=2)
            ),
        )
        for name, overrides in S3GEN_SIZES.items():
            patch.setattr(s3gen, name, _sized(getattr(s3gen, name), overrides))
        # S3Tokenizer hands no config to S3TokenizerV2, which takes its sizes from a default argument; heads
        # stay 64 wide (its rotary table).
        tokenizer_config = ModelConfig(n_audio_state=128, n_audio_head=2, n_audio_layer=1)
        patch.setattr(S3TokenizerV2.__init__, "__defaults__", (tokenizer_config,))
        yield


def _stop_after(t3: Any, tokens: int) -> None:
    """Coordinate 0 of T3's residual stream is zero everywhere but in the speech positions from `tokens` on,
    where it dominates; the stop token's logit reads only that coordinate."""
    with torch.no_grad():
        for table in (t3.text_emb.weight, t3.speech_emb.weight, t3.text_pos_emb.emb.weight):
            table[:, 0] = 0.0
        t3.speech_pos_emb.emb.weight[:tokens, 0] = 0.0
        t3.speech_pos_emb.emb.weight[tokens:, 0] = 10.0
        for layer in t3.tfmr.layers:  # no layer writes the coordinate
            layer.self_attn.o_proj.weight[0, :] = 0.0
            layer.mlp.down_proj.weight[0, :] = 0.0
        stop = t3.hp.stop_speech_token
        t3.speech_head.weight[stop] = 0.0
        t3.speech_head.weight[stop, 0] = 5.0


def write_tokenizer(path: Path) -> None:
    """A BPE tokenizer in the English format `EnTokenizer` reads: [STOP] 0, [START] 255, spaces as [SPACE]."""
    from tokenizers import Tokenizer
    from tokenizers.models import BPE
    from tokenizers.pre_tokenizers import Whitespace

    special = ["[STOP]", "[UNK]", "[SPACE]", "[PAD]", "[SEP]", "[CLS]", "[MASK]"]
    vocab = {token: i for i, token in enumerate(special + list(LETTERS))}
    merges = [("t", "h"), ("th", "e"), ("e", "r"), ("l", "l")]
    for left, right in merges:
        vocab[left + right] = len(vocab)
    vocab["[START]"] = 255
    tokenizer = Tokenizer(BPE(vocab, merges, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    tokenizer.add_special_tokens(special + ["[START]"])
    tokenizer.save(str(path))


def write_checkpoint(directory: Path, builtin_voice: Path, seed: int = 0) -> Path:
    """The five files `from_local` reads, for a tiny random model whose built-in voice is `builtin_voice`."""
    from safetensors.torch import save_file

    tts = package()
    from chatterbox.models.s3gen import S3Gen
    from chatterbox.models.t3 import T3
    from chatterbox.models.tokenizers import EnTokenizer
    from chatterbox.models.voice_encoder import VoiceEncoder

    directory.mkdir(parents=True, exist_ok=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny layers: a second thread only adds waiting, the more so on a busy machine
    try:
        torch.manual_seed(seed)
        ve, t3, s3gen = VoiceEncoder().eval(), T3().eval(), S3Gen().eval()
        _stop_after(t3, SPEECH_TOKENS)
        for name, net in (("ve", ve), ("t3_cfg", t3), ("s3gen", s3gen)):
            state = {key: value.detach().clone().contiguous() for key, value in net.state_dict().items()}
            save_file(state, str(directory / f"{name}.safetensors"))
        write_tokenizer(directory / "tokenizer.json")
        model = tts.ChatterboxTTS(t3, s3gen, ve, EnTokenizer(str(directory / "tokenizer.json")), "cpu")
        model.prepare_conditionals(str(builtin_voice))  # as the published conds.pt was made
        model.conds.save(directory / "conds.pt")
    finally:
        torch.set_num_threads(threads)
    return directory
