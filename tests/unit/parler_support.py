"""A tiny random Parler-TTS of the real architecture (2 T5 layers, 2 decoder layers, 4 codebooks of 16
codes, a two-stage DAC) saved in the hub repository's file layout: config.json, generation_config.json,
model.safetensors (weight-normalised convolutions under torch's parametrization names and the T5
embedding saved once, as a transformers save writes them) and a character-level tokenizer.json."""

from __future__ import annotations

import json
import string
from pathlib import Path

import torch

from vocalis.engines.parler_model import ParlerConfig, ParlerTTS

CODEBOOK_SIZE = 16
EOS = CODEBOOK_SIZE
BOS = CODEBOOK_SIZE + 1
SAMPLE_RATE = 16000
HOP = 16

TINY_CONFIG = {
    "model_type": "parler_tts",
    "vocab_size": 64,
    "prompt_cross_attention": False,
    "decoder_start_token_id": BOS,
    "pad_token_id": EOS,
    "text_encoder": {
        "model_type": "t5",
        "vocab_size": 64,
        "d_model": 32,
        "d_kv": 8,
        "d_ff": 48,
        "num_layers": 2,
        "num_heads": 4,
        "relative_attention_num_buckets": 8,
        "relative_attention_max_distance": 32,
        "feed_forward_proj": "gated-gelu",
        "dropout_rate": 0.1,
    },
    "audio_encoder": {
        "model_type": "dac_on_the_hub",
        "num_codebooks": 4,
        "codebook_size": CODEBOOK_SIZE,
        "latent_dim": 16,
        "sampling_rate": SAMPLE_RATE,
        "encoder_dim": 4,
        "encoder_rates": [4, 4],
        "decoder_dim": 16,
        "decoder_rates": [4, 4],
        "codebook_dim": 4,
    },
    "decoder": {
        "model_type": "parler_tts_decoder",
        "vocab_size": CODEBOOK_SIZE + 2,
        "hidden_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "num_cross_attention_key_value_heads": 4,
        "ffn_dim": 64,
        "num_codebooks": 4,
        "max_position_embeddings": 512,
        "rope_embeddings": False,
        "bos_token_id": BOS,
        "eos_token_id": EOS,
        "pad_token_id": EOS,
    },
}


def _tokenizer_json() -> str:
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors

    symbols = ["<pad>", "</s>", "<unk>", *string.ascii_lowercase, *string.digits, *" .,!?'-;:"]
    tokenizer = Tokenizer(models.WordLevel({s: i for i, s in enumerate(symbols)}, unk_token="<unk>"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tokenizer.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    return tokenizer.to_str()


def tiny_state(config: dict, seed: int = 0, *, eos_bias: float | None = None) -> dict[str, torch.Tensor]:
    """Random weights; `eos_bias` makes every codebook's end token that much more (or, negative, less)
    likely than any code, whatever the input (the final norm gives a constant hidden state), and the
    start token unlikely."""
    torch.manual_seed(seed)
    net = ParlerTTS(ParlerConfig.from_json(config))
    with torch.no_grad():
        for p in net.parameters():
            if p.requires_grad and p.dim() > 1:
                p.normal_(0.0, 0.3)
        if eos_bias is not None:
            norm = net.decoder.model.decoder.layer_norm
            norm.weight.zero_()
            norm.bias.fill_(1.0)
            for head in net.decoder.lm_heads:
                head.weight.zero_()
                head.weight[EOS] = eos_bias / head.weight.shape[1]
                head.weight[BOS] = -abs(eos_bias) / head.weight.shape[1]  # never predicted by a trained one
    state = {}
    for name, tensor in net.state_dict().items():
        if name == "text_encoder.encoder.embed_tokens.weight":
            continue  # tied to text_encoder.shared.weight, saved once
        name = name.replace("weight_g", "parametrizations.weight.original0")
        name = name.replace("weight_v", "parametrizations.weight.original1")
        state[name] = tensor.contiguous().clone()
    return state


def write_tiny_parler(folder: Path, seed: int = 0, *, eos_bias: float | None = None) -> Path:
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(TINY_CONFIG, indent=2))
    generation = {"do_sample": True, "max_length": 400, "decoder_start_token_id": BOS, "eos_token_id": EOS}
    (folder / "generation_config.json").write_text(json.dumps(generation))
    (folder / "tokenizer.json").write_text(_tokenizer_json())
    save_file(tiny_state(TINY_CONFIG, seed, eos_bias=eos_bias), str(folder / "model.safetensors"))
    return folder
