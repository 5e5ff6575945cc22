"""Parler-TTS networks written for Vocalis (inference only): a T5 encoder reads the voice description, a
decoder predicts 9 DAC codebooks in the delay pattern while attending to that reading and to the embedded
transcript it is prefixed with, and the DAC decoder turns the codes into 44.1 kHz audio.

Module and parameter names follow the published `parler-tts/parler-tts-mini-v1` checkpoint, so its
`model.safetensors` loads with `load_state_dict(strict=True)` after `checkpoint_state` has normalised the two
ways weight-normalised convolutions are saved and the tied T5 embedding.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

# DAC 44.1 kHz, 8 kbps: the codec Parler-TTS v1 speaks through.
DAC_ENCODER_DIM = 64
DAC_ENCODER_RATES = (2, 4, 8, 8)
DAC_DECODER_DIM = 1536
DAC_DECODER_RATES = (8, 8, 4, 2)
DAC_CODEBOOK_DIM = 8


@dataclass(frozen=True)
class DecoderConfig:
    vocab_size: int = 1088  # codebook_size + special ids (eos/pad 1024, bos 1025) and spare rows
    hidden_size: int = 1024
    num_hidden_layers: int = 24
    num_attention_heads: int = 16
    num_key_value_heads: int = 16
    num_cross_attention_key_value_heads: int = 16
    ffn_dim: int = 4096
    num_codebooks: int = 9
    max_position_embeddings: int = 4096
    rope_embeddings: bool = False
    rope_theta: float = 10_000.0
    scale_embedding: bool = False
    use_fused_lm_heads: bool = False
    activation_function: str = "gelu"
    bos_token_id: int = 1025
    eos_token_id: int = 1024
    pad_token_id: int = 1024


@dataclass(frozen=True)
class CodecConfig:
    num_codebooks: int = 9
    codebook_size: int = 1024
    latent_dim: int = 1024
    sampling_rate: int = 44100
    # Not in the published config (the DAC defaults there); settable for small test models.
    encoder_dim: int = DAC_ENCODER_DIM
    encoder_rates: tuple[int, ...] = DAC_ENCODER_RATES
    decoder_dim: int = DAC_DECODER_DIM
    decoder_rates: tuple[int, ...] = DAC_DECODER_RATES
    codebook_dim: int = DAC_CODEBOOK_DIM

    @property
    def hop_length(self) -> int:
        return math.prod(self.encoder_rates)


@dataclass(frozen=True)
class ParlerConfig:
    text_encoder: dict[str, Any]  # a T5 config
    decoder: DecoderConfig
    codec: CodecConfig
    prompt_vocab_size: int = 32128
    prompt_cross_attention: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, config: Mapping[str, Any]) -> ParlerConfig:
        """From the hub's `config.json` (keys the networks do not use are ignored)."""
        decoder_keys = DecoderConfig.__dataclass_fields__.keys()
        decoder = DecoderConfig(**{k: v for k, v in config["decoder"].items() if k in decoder_keys})
        audio = config["audio_encoder"]
        codec_keys = CodecConfig.__dataclass_fields__.keys()
        codec = CodecConfig(
            **{k: tuple(v) if isinstance(v, list) else v for k, v in audio.items() if k in codec_keys}
        )
        text = {k: v for k, v in config["text_encoder"].items() if not k.startswith("_")}
        return cls(
            text_encoder=text,
            decoder=decoder,
            codec=codec,
            prompt_vocab_size=config.get("vocab_size", 32128),
            prompt_cross_attention=config.get("prompt_cross_attention", False),
        )


# ---- DAC -------------------------------------------------------------------------------------------


class WeightNormConv1d(nn.Module):
    """A Conv1d (or its transpose) whose weight is `weight_g * weight_v / |weight_v|`, the norm taken per
    slice of dimension 0, as DAC saves them."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        *,
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        transpose: bool = False,
    ):
        super().__init__()
        shape = (
            (in_channels, out_channels, kernel_size)
            if transpose
            else (out_channels, in_channels, kernel_size)
        )
        self.weight_g = nn.Parameter(torch.ones(shape[0], 1, 1))
        self.weight_v = nn.Parameter(torch.randn(shape) * 0.02)
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.stride, self.padding, self.dilation, self.transpose = stride, padding, dilation, transpose

    def weight(self) -> torch.Tensor:
        norm = self.weight_v.pow(2).sum(dim=(1, 2), keepdim=True).sqrt()
        return self.weight_v * (self.weight_g / norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.transpose:
            return F.conv_transpose1d(x, self.weight(), self.bias, self.stride, self.padding)
        return F.conv1d(x, self.weight(), self.bias, self.stride, self.padding, self.dilation)


class Snake(nn.Module):
    """x + sin²(αx)/α per channel: the periodic activation of DAC."""

    def __init__(self, channels: int):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(1, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.sin(self.alpha * x).pow(2) / (self.alpha + 1e-9)


class ResidualUnit(nn.Module):
    def __init__(self, channels: int, dilation: int):
        super().__init__()
        self.block = nn.Sequential(
            Snake(channels),
            WeightNormConv1d(channels, channels, 7, dilation=dilation, padding=3 * dilation),
            Snake(channels),
            WeightNormConv1d(channels, channels, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        trim = (x.shape[-1] - y.shape[-1]) // 2
        if trim > 0:
            x = x[..., trim:-trim]
        return x + y


def _encoder_block(channels: int, stride: int) -> nn.Sequential:
    half = channels // 2
    return nn.Sequential(
        ResidualUnit(half, 1),
        ResidualUnit(half, 3),
        ResidualUnit(half, 9),
        Snake(half),
        WeightNormConv1d(half, channels, 2 * stride, stride=stride, padding=math.ceil(stride / 2)),
    )


class _Block(nn.Module):
    """A named `block` Sequential, the way DAC nests its encoder and decoder stages."""

    def __init__(self, layers: nn.Sequential):
        super().__init__()
        self.block = layers

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x)


class DacEncoder(nn.Module):
    """Only built so the checkpoint's encoder weights have a home; speech generation never encodes."""

    def __init__(self, codec: CodecConfig):
        super().__init__()
        channels = codec.encoder_dim
        layers: list[nn.Module] = [WeightNormConv1d(1, channels, 7, padding=3)]
        for stride in codec.encoder_rates:
            channels *= 2
            layers.append(_Block(_encoder_block(channels, stride)))
        layers += [Snake(channels), WeightNormConv1d(channels, codec.latent_dim, 3, padding=1)]
        self.block = nn.Sequential(*layers)


class DacDecoder(nn.Module):
    def __init__(self, codec: CodecConfig):
        super().__init__()
        width = codec.decoder_dim
        layers: list[nn.Module] = [WeightNormConv1d(codec.latent_dim, width, 7, padding=3)]
        for i, stride in enumerate(codec.decoder_rates):
            inner, outer = width // 2**i, width // 2 ** (i + 1)
            stage = nn.Sequential(
                Snake(inner),
                WeightNormConv1d(
                    inner, outer, 2 * stride, stride=stride, padding=math.ceil(stride / 2), transpose=True
                ),
                ResidualUnit(outer, 1),
                ResidualUnit(outer, 3),
                ResidualUnit(outer, 9),
            )
            layers.append(_Block(stage))
        layers += [Snake(outer), WeightNormConv1d(outer, 1, 7, padding=3), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        return self.model(latent)


class CodebookQuantizer(nn.Module):
    def __init__(self, codec: CodecConfig):
        super().__init__()
        self.in_proj = WeightNormConv1d(codec.latent_dim, codec.codebook_dim, 1)
        self.out_proj = WeightNormConv1d(codec.codebook_dim, codec.latent_dim, 1)
        self.codebook = nn.Embedding(codec.codebook_size, codec.codebook_dim)


class ResidualQuantizer(nn.Module):
    def __init__(self, codec: CodecConfig):
        super().__init__()
        self.quantizers = nn.ModuleList(CodebookQuantizer(codec) for _ in range(codec.num_codebooks))

    def latent(self, codes: torch.Tensor) -> torch.Tensor:
        """(batch, codebooks, frames) codes → (batch, latent_dim, frames): the sum of each codebook's
        entry, projected back to the latent width."""
        total = 0
        for k, quantizer in enumerate(self.quantizers[: codes.shape[1]]):
            entries = quantizer.codebook(codes[:, k]).transpose(1, 2)
            total = total + quantizer.out_proj(entries)
        return total  # type: ignore[return-value]


class DacCodec(nn.Module):
    def __init__(self, codec: CodecConfig):
        super().__init__()
        self.encoder = DacEncoder(codec)
        self.quantizer = ResidualQuantizer(codec)
        self.decoder = DacDecoder(codec)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.quantizer.latent(codes))


class DacWrapper(nn.Module):
    """`audio_encoder.model.*` in the checkpoint."""

    def __init__(self, codec: CodecConfig):
        super().__init__()
        self.model = DacCodec(codec)


# ---- the Parler-TTS decoder ---------------------------------------------------------------------------


def sinusoids(positions: int, dim: int) -> torch.Tensor:
    """The fixed position table: cosines in the first half of each row, sines in the second."""
    half = dim // 2
    rate = math.log(10000) / (half - 1)
    frequencies = torch.exp(torch.arange(half, dtype=torch.float32) * -rate)
    angles = torch.arange(positions, dtype=torch.float32)[:, None] * frequencies[None]
    table = torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)
    if dim % 2:
        table = torch.cat([table, torch.zeros(positions, 1)], dim=1)
    return table


class SinusoidalPositions(nn.Module):
    def __init__(self, positions: int, dim: int):
        super().__init__()
        self.weights = nn.Parameter(sinusoids(positions, dim), requires_grad=False)

    def forward(self, start: int, length: int) -> torch.Tensor:
        if start + length > self.weights.shape[0]:
            return sinusoids(start + length, self.weights.shape[1])[start:].to(self.weights)
        return self.weights[start : start + length]


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    first, second = x.chunk(2, dim=-1)
    return x * cos + torch.cat([-second, first], dim=-1) * sin


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int, kv_heads: int):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, dim // heads
        self.q_proj = nn.Linear(dim, dim, bias=False)
        self.k_proj = nn.Linear(dim, kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(dim, kv_heads * self.head_dim, bias=False)
        self.out_proj = nn.Linear(dim, dim, bias=False)

    def _split(self, x: torch.Tensor, heads: int) -> torch.Tensor:
        return x.view(x.shape[0], x.shape[1], heads, self.head_dim).transpose(1, 2)

    def keys_values(
        self, source: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor] | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        keys = self._split(self.k_proj(source), self.kv_heads)
        if rope is not None:
            keys = _rotate(keys, *rope)
        return keys, self._split(self.v_proj(source), self.kv_heads)

    def forward(
        self,
        x: torch.Tensor,
        keys: torch.Tensor,
        values: torch.Tensor,
        mask: torch.Tensor | None,
        rope: tuple[torch.Tensor, torch.Tensor] | None,
    ) -> torch.Tensor:
        query = self._split(self.q_proj(x), self.heads)
        if rope is not None:  # the query turns by its position in cross-attention too, as trained
            query = _rotate(query, *rope)
        repeat = self.heads // self.kv_heads
        if repeat > 1:
            keys, values = keys.repeat_interleave(repeat, dim=1), values.repeat_interleave(repeat, dim=1)
        out = F.scaled_dot_product_attention(query, keys, values, attn_mask=mask)
        return self.out_proj(out.transpose(1, 2).reshape(x.shape[0], x.shape[1], -1))


@dataclass
class LayerCache:
    keys: torch.Tensor | None = None
    values: torch.Tensor | None = None
    cross_keys: torch.Tensor | None = None
    cross_values: torch.Tensor | None = None


class DecoderLayer(nn.Module):
    def __init__(self, config: DecoderConfig):
        super().__init__()
        dim = config.hidden_size
        self.self_attn = Attention(dim, config.num_attention_heads, config.num_key_value_heads)
        self.self_attn_layer_norm = nn.LayerNorm(dim)
        self.encoder_attn = Attention(
            dim, config.num_attention_heads, config.num_cross_attention_key_value_heads
        )
        self.encoder_attn_layer_norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, config.ffn_dim, bias=False)
        self.fc2 = nn.Linear(config.ffn_dim, dim, bias=False)
        self.final_layer_norm = nn.LayerNorm(dim)
        if config.activation_function not in ("gelu", "relu", "silu", "gelu_new"):
            raise ValueError(f"unsupported activation {config.activation_function!r}")
        self.activation = config.activation_function

    def _activate(self, x: torch.Tensor) -> torch.Tensor:
        if self.activation == "gelu":
            return F.gelu(x)
        if self.activation == "gelu_new":
            return F.gelu(x, approximate="tanh")
        return F.relu(x) if self.activation == "relu" else F.silu(x)

    def forward(
        self,
        x: torch.Tensor,
        encoding: torch.Tensor,
        cache: LayerCache,
        mask: torch.Tensor | None,
        rope: tuple[torch.Tensor, torch.Tensor] | None,
    ) -> torch.Tensor:
        h = self.self_attn_layer_norm(x)
        keys, values = self.self_attn.keys_values(h, rope)
        if cache.keys is not None:
            keys, values = torch.cat([cache.keys, keys], dim=2), torch.cat([cache.values, values], dim=2)
        cache.keys, cache.values = keys, values
        x = x + self.self_attn(h, keys, values, mask, rope)
        h = self.encoder_attn_layer_norm(x)
        if cache.cross_keys is None:
            cache.cross_keys, cache.cross_values = self.encoder_attn.keys_values(encoding, None)
        x = x + self.encoder_attn(h, cache.cross_keys, cache.cross_values, None, rope)
        h = self.final_layer_norm(x)
        return x + self.fc2(self._activate(self.fc1(h)))


class RotaryTable(nn.Module):
    def __init__(self, head_dim: int, theta: float):
        super().__init__()
        inverse = 1.0 / theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
        self.register_buffer("inverse", inverse, persistent=False)

    def forward(self, start: int, length: int) -> tuple[torch.Tensor, torch.Tensor]:
        positions = torch.arange(start, start + length, dtype=torch.float32)
        angles = positions[:, None] * self.inverse[None]
        angles = torch.cat([angles, angles], dim=-1)
        return angles.cos()[None, None], angles.sin()[None, None]


class Decoder(nn.Module):
    """`decoder.model.decoder.*`."""

    def __init__(self, config: DecoderConfig):
        super().__init__()
        self.config = config
        self.embed_tokens = nn.ModuleList(
            nn.Embedding(config.vocab_size + 1, config.hidden_size) for _ in range(config.num_codebooks)
        )
        if config.rope_embeddings:
            self.rotary_emb = RotaryTable(config.hidden_size // config.num_attention_heads, config.rope_theta)
        else:
            self.embed_positions = SinusoidalPositions(config.max_position_embeddings, config.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(config) for _ in range(config.num_hidden_layers))
        self.layer_norm = nn.LayerNorm(config.hidden_size)
        self.embed_scale = math.sqrt(config.hidden_size) if config.scale_embedding else 1.0

    def forward(
        self,
        codes: torch.Tensor,
        prefix: torch.Tensor | None,
        encoding: torch.Tensor,
        caches: list[LayerCache],
        start: int,
    ) -> torch.Tensor:
        """codes (batch, codebooks, steps) → hidden states of the last layer; `prefix` (the embedded
        transcript) goes in front on the first call, `start` is how many positions the caches hold."""
        x = sum(embed(codes[:, k]) for k, embed in enumerate(self.embed_tokens)) * self.embed_scale
        if prefix is not None:
            x = torch.cat([prefix, x], dim=1)
        length = x.shape[1]
        rope = None
        if self.config.rope_embeddings:
            rope = self.rotary_emb(start, length)
        else:
            x = x + self.embed_positions(start, length)[None]
        mask = None
        if length > 1:
            mask = torch.ones(length, start + length, dtype=torch.bool).tril(diagonal=start)
        for layer, cache in zip(self.layers, caches, strict=True):
            x = layer(x, encoding, cache, mask, rope)
        return self.layer_norm(x)


class DecoderModel(nn.Module):
    def __init__(self, config: DecoderConfig):
        super().__init__()
        self.decoder = Decoder(config)


class CodeDecoder(nn.Module):
    """`decoder.*`: the transformer and one linear head per codebook."""

    def __init__(self, config: DecoderConfig):
        super().__init__()
        self.config = config
        self.model = DecoderModel(config)
        if config.use_fused_lm_heads:
            self.lm_heads: nn.Module = nn.Linear(
                config.hidden_size, config.vocab_size * config.num_codebooks, bias=False
            )
        else:
            self.lm_heads = nn.ModuleList(
                nn.Linear(config.hidden_size, config.vocab_size, bias=False)
                for _ in range(config.num_codebooks)
            )

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """(batch, dim) → (batch, codebooks, vocab)."""
        if self.config.use_fused_lm_heads:
            return self.lm_heads(hidden).view(hidden.shape[0], self.config.num_codebooks, -1)
        return torch.stack([head(hidden) for head in self.lm_heads], dim=1)  # type: ignore[union-attr]


class ParlerTTS(nn.Module):
    """The whole checkpoint: `text_encoder.*`, `decoder.*`, `audio_encoder.*`, `embed_prompts`."""

    def __init__(self, config: ParlerConfig):
        super().__init__()
        from transformers import T5Config, T5EncoderModel

        self.config = config
        text_config = T5Config(**{k: v for k, v in config.text_encoder.items() if k != "model_type"})
        self.text_encoder = T5EncoderModel(text_config)
        self.decoder = CodeDecoder(config.decoder)
        self.audio_encoder = DacWrapper(config.codec)
        dim = config.decoder.hidden_size
        if text_config.d_model != dim:
            self.enc_to_dec_proj = nn.Linear(text_config.d_model, dim)
        self.embed_prompts = nn.Embedding(config.prompt_vocab_size, dim)
        if config.prompt_cross_attention:
            self.embed_positions = SinusoidalPositions(config.decoder.max_position_embeddings, dim)

    def encode_description(self, description_ids: torch.Tensor) -> torch.Tensor:
        encoding = self.text_encoder(input_ids=description_ids).last_hidden_state
        if hasattr(self, "enc_to_dec_proj"):
            encoding = self.enc_to_dec_proj(encoding)
        return encoding


def checkpoint_state(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The checkpoint's tensors under our names: weight-normalised convolutions saved by torch's
    parametrizations (`parametrizations.weight.original0/1`) become `weight_g/weight_v`, and the T5
    embedding, tied and so saved once, is given under both of its names."""
    renamed: dict[str, torch.Tensor] = {}
    for name, tensor in state.items():
        name = name.replace("parametrizations.weight.original0", "weight_g")
        name = name.replace("parametrizations.weight.original1", "weight_v")
        renamed[name] = tensor
    shared, tied = "text_encoder.shared.weight", "text_encoder.encoder.embed_tokens.weight"
    if shared in renamed and tied not in renamed:
        renamed[tied] = renamed[shared]
    elif tied in renamed and shared not in renamed:
        renamed[shared] = renamed[tied]
    return renamed
