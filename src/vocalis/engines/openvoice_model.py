"""The networks of OpenVoice v2's tone-colour converter (MIT, MyShell.ai), written here in PyTorch.

The converter is a VITS model without its text half: a posterior encoder turns a linear spectrogram into a
latent, a normalizing flow conditioned on a speaker embedding removes the source speaker and puts the target
in, and a HiFi-GAN generator turns the latent back into a waveform; a small reference encoder makes the
256-d speaker embedding from a spectrogram. Module and parameter names follow the published checkpoint
(`enc_q.*`, `flow.*`, `dec.*`, `ref_enc.*`, weight-normed layers as `weight_g`/`weight_v`), so its state
dict loads with `strict=True`. Everything here is for batch-of-one inference, so no padding masks are kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

# HiFi-GAN's slope between layers; the generator's very last activation uses torch's default (0.01).
_LEAKY_SLOPE = 0.1
# The reference encoder's 2-D convolutions (each halves time and frequency) and its GRU width.
_REFERENCE_FILTERS = (32, 32, 64, 64, 128, 128)
_REFERENCE_GRU = 128
# Fixed by upstream's SynthesizerTrn rather than its config: kernel sizes and depths of the WaveNet stacks.
_POSTERIOR_LAYERS = 16
_FLOW_LAYERS = 4
_FLOW_COUPLINGS = 4
_WAVENET_KERNEL = 5


@dataclass(frozen=True)
class ConverterConfig:
    """The parts of a converter `config.json` that shape the network (the text-encoder fields are unused)."""

    sampling_rate: int
    filter_length: int
    hop_length: int
    win_length: int
    inter_channels: int
    hidden_channels: int
    resblock_kernel_sizes: tuple[int, ...]
    resblock_dilation_sizes: tuple[tuple[int, ...], ...]
    upsample_rates: tuple[int, ...]
    upsample_initial_channel: int
    upsample_kernel_sizes: tuple[int, ...]
    gin_channels: int
    zero_g: bool

    @property
    def spec_channels(self) -> int:
        return self.filter_length // 2 + 1


class _WeightNormed(nn.Module):
    """A convolution stored as `weight_g` (per-slot scale along the kernel's first axis) and `weight_v`
    (direction), as `torch.nn.utils.weight_norm` saved it in training; the effective weight is g * v / |v|."""

    def __init__(self, shape: tuple[int, ...], bias_size: int):
        super().__init__()
        self.weight_v = nn.Parameter(torch.empty(shape))
        nn.init.kaiming_uniform_(self.weight_v, a=math.sqrt(5))  # torch's own default for convolutions
        self.weight_g = nn.Parameter(self._norm().detach().clone())
        self.bias = nn.Parameter(torch.zeros(bias_size))

    def _norm(self) -> torch.Tensor:
        dims = tuple(range(1, self.weight_v.dim()))
        return torch.linalg.vector_norm(self.weight_v, dim=dims, keepdim=True)

    @property
    def weight(self) -> torch.Tensor:
        return self.weight_g * self.weight_v / self._norm()


class WeightNormConv1d(_WeightNormed):
    def __init__(self, channels_in: int, channels_out: int, kernel_size: int, dilation: int = 1):
        super().__init__((channels_out, channels_in, kernel_size), channels_out)
        self.dilation = dilation
        self.padding = (kernel_size * dilation - dilation) // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv1d(x, self.weight, self.bias, padding=self.padding, dilation=self.dilation)


class WeightNormConvTranspose1d(_WeightNormed):
    """Upsampling by `stride`; a transposed kernel is (in, out, k), so the norm runs per input channel."""

    def __init__(self, channels_in: int, channels_out: int, kernel_size: int, stride: int):
        super().__init__((channels_in, channels_out, kernel_size), channels_out)
        self.stride = stride
        self.padding = (kernel_size - stride) // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv_transpose1d(x, self.weight, self.bias, stride=self.stride, padding=self.padding)


class WeightNormConv2d(_WeightNormed):
    """3x3, stride 2: halves time and frequency."""

    def __init__(self, channels_in: int, channels_out: int):
        super().__init__((channels_out, channels_in, 3, 3), channels_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight, self.bias, stride=2, padding=1)


class WaveNet(nn.Module):
    """Gated, non-causal dilated convolutions with residual and skip paths, all conditioned on a speaker
    embedding through one 1x1 convolution whose output is sliced per layer."""

    def __init__(self, hidden: int, kernel_size: int, layers: int, gin_channels: int):
        super().__init__()
        self.hidden = hidden
        self.cond_layer = WeightNormConv1d(gin_channels, 2 * hidden * layers, 1)
        self.in_layers = nn.ModuleList(
            WeightNormConv1d(hidden, 2 * hidden, kernel_size) for _ in range(layers)
        )
        # The last layer only feeds the skip sum, so it has no residual half.
        self.res_skip_layers = nn.ModuleList(
            WeightNormConv1d(hidden, 2 * hidden if i < layers - 1 else hidden, 1) for i in range(layers)
        )

    def forward(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        conditions = self.cond_layer(g)
        output = torch.zeros_like(x)
        last = len(self.in_layers) - 1
        for i, (in_layer, res_skip) in enumerate(zip(self.in_layers, self.res_skip_layers)):
            gates = in_layer(x) + conditions[:, 2 * self.hidden * i : 2 * self.hidden * (i + 1)]
            acts = torch.tanh(gates[:, : self.hidden]) * torch.sigmoid(gates[:, self.hidden :])
            res_skip_acts = res_skip(acts)
            if i < last:
                x = x + res_skip_acts[:, : self.hidden]
                output = output + res_skip_acts[:, self.hidden :]
            else:
                output = output + res_skip_acts
        return output


class PosteriorEncoder(nn.Module):
    """Linear spectrogram → latent mean and log-scale; the latent is sampled at temperature `tau`."""

    def __init__(self, spec_channels: int, inter_channels: int, hidden: int, gin_channels: int):
        super().__init__()
        self.inter_channels = inter_channels
        self.pre = nn.Conv1d(spec_channels, hidden, 1)
        self.enc = WaveNet(hidden, _WAVENET_KERNEL, _POSTERIOR_LAYERS, gin_channels)
        self.proj = nn.Conv1d(hidden, 2 * inter_channels, 1)

    def forward(
        self, spec: torch.Tensor, g: torch.Tensor, tau: float, generator: torch.Generator | None
    ) -> torch.Tensor:
        stats = self.proj(self.enc(self.pre(spec), g))
        mean, log_scale = stats[:, : self.inter_channels], stats[:, self.inter_channels :]
        if tau == 0:
            return mean
        noise = torch.randn(mean.shape, generator=generator, dtype=mean.dtype, device=mean.device)
        return mean + noise * tau * torch.exp(log_scale)


class ResidualCouplingLayer(nn.Module):
    """Shifts one half of the channels by a function of the other half (mean-only, so exactly invertible)."""

    def __init__(self, channels: int, hidden: int, gin_channels: int):
        super().__init__()
        self.half = channels // 2
        self.pre = nn.Conv1d(self.half, hidden, 1)
        self.enc = WaveNet(hidden, _WAVENET_KERNEL, _FLOW_LAYERS, gin_channels)
        self.post = nn.Conv1d(hidden, self.half, 1)

    def forward(self, x: torch.Tensor, g: torch.Tensor, reverse: bool) -> torch.Tensor:
        fixed, moving = x[:, : self.half], x[:, self.half :]
        shift = self.post(self.enc(self.pre(fixed), g))
        return torch.cat([fixed, moving - shift if reverse else moving + shift], dim=1)


class _Flip(nn.Module):
    """Swaps the channel order between couplings; it has no parameters but holds a place in `flows`, so
    the coupling layers keep their checkpoint indices 0, 2, 4, 6."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flip(x, [1])


class ResidualCouplingBlock(nn.Module):
    def __init__(self, channels: int, hidden: int, gin_channels: int):
        super().__init__()
        self.flows = nn.ModuleList()
        for _ in range(_FLOW_COUPLINGS):
            self.flows.append(ResidualCouplingLayer(channels, hidden, gin_channels))
            self.flows.append(_Flip())

    def forward(self, x: torch.Tensor, g: torch.Tensor, reverse: bool = False) -> torch.Tensor:
        for flow in reversed(self.flows) if reverse else self.flows:
            x = flow(x, g, reverse) if isinstance(flow, ResidualCouplingLayer) else flow(x)
        return x


class ResBlock(nn.Module):
    """HiFi-GAN's multi-receptive-field block (upstream's "ResBlock1"): dilated then plain convolutions."""

    def __init__(self, channels: int, kernel_size: int, dilations: tuple[int, ...]):
        super().__init__()
        self.convs1 = nn.ModuleList(WeightNormConv1d(channels, channels, kernel_size, d) for d in dilations)
        self.convs2 = nn.ModuleList(WeightNormConv1d(channels, channels, kernel_size) for _ in dilations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for dilated, plain in zip(self.convs1, self.convs2):
            x = x + plain(F.leaky_relu(dilated(F.leaky_relu(x, _LEAKY_SLOPE)), _LEAKY_SLOPE))
        return x


class Generator(nn.Module):
    """HiFi-GAN: latent frames → waveform, upsampled by the product of `upsample_rates` (the hop length)."""

    def __init__(self, config: ConverterConfig):
        super().__init__()
        channels = config.upsample_initial_channel
        self.conv_pre = nn.Conv1d(config.inter_channels, channels, 7, padding=3)
        self.cond = nn.Conv1d(config.gin_channels, channels, 1)
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        for i, (rate, kernel) in enumerate(zip(config.upsample_rates, config.upsample_kernel_sizes)):
            self.ups.append(
                WeightNormConvTranspose1d(channels // 2**i, channels // 2 ** (i + 1), kernel, rate)
            )
            for size, dilations in zip(config.resblock_kernel_sizes, config.resblock_dilation_sizes):
                self.resblocks.append(ResBlock(channels // 2 ** (i + 1), size, dilations))
        self.kernels = len(config.resblock_kernel_sizes)
        self.conv_post = nn.Conv1d(channels // 2 ** len(config.upsample_rates), 1, 7, padding=3, bias=False)

    def forward(self, z: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        x = self.conv_pre(z) + self.cond(g)
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, _LEAKY_SLOPE))
            blocks = self.resblocks[i * self.kernels : (i + 1) * self.kernels]
            x = sum(block(x) for block in blocks) / self.kernels
        return torch.tanh(self.conv_post(F.leaky_relu(x)))


class ReferenceEncoder(nn.Module):
    """Spectrogram frames → one speaker embedding: six strided 2-D convolutions, a GRU over what is left of
    time, and a projection of its last state."""

    def __init__(self, spec_channels: int, gin_channels: int):
        super().__init__()
        self.spec_channels = spec_channels
        self.layernorm = nn.LayerNorm(spec_channels)
        filters = (1, *_REFERENCE_FILTERS)
        self.convs = nn.ModuleList(
            WeightNormConv2d(filters[i], filters[i + 1]) for i in range(len(filters) - 1)
        )
        frequencies = spec_channels
        for _ in _REFERENCE_FILTERS:
            frequencies = (frequencies - 1) // 2 + 1
        self.gru = nn.GRU(_REFERENCE_FILTERS[-1] * frequencies, _REFERENCE_GRU, batch_first=True)
        self.proj = nn.Linear(_REFERENCE_GRU, gin_channels)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """frames: (batch, time, spec_channels) → (batch, gin_channels)."""
        x = self.layernorm(frames).unsqueeze(1)
        for conv in self.convs:
            x = F.relu(conv(x))
        x = x.transpose(1, 2).flatten(2)  # (batch, time', channels * frequencies')
        _, last = self.gru(x)
        return self.proj(last.squeeze(0))


class ToneColorConverterNet(nn.Module):
    """The converter as one module; its attribute names are the checkpoint's top-level prefixes."""

    def __init__(self, config: ConverterConfig):
        super().__init__()
        self.zero_g = config.zero_g
        self.dec = Generator(config)
        self.enc_q = PosteriorEncoder(
            config.spec_channels, config.inter_channels, config.hidden_channels, config.gin_channels
        )
        self.flow = ResidualCouplingBlock(config.inter_channels, config.hidden_channels, config.gin_channels)
        self.ref_enc = ReferenceEncoder(config.spec_channels, config.gin_channels)

    def convert(
        self,
        spec: torch.Tensor,
        source: torch.Tensor,
        target: torch.Tensor,
        tau: float,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """spec: (1, spec_channels, frames); source/target: (1, gin_channels, 1) → (1, 1, frames * hop)."""
        # v2 was trained with the encoder and generator blind to the speaker (`zero_g`): only the flow sees
        # who is speaking, which is what lets it swap one speaker for another.
        blind = torch.zeros_like(source) if self.zero_g else None
        z = self.enc_q(spec, blind if blind is not None else source, tau, generator)
        z_hat = self.flow(self.flow(z, source), target, reverse=True)
        return self.dec(z_hat, blind if blind is not None else target)
