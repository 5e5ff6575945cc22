"""Tiny OpenVoice converters for the tests: the published v2 config, a small one of the same architecture,
and a writer of config.json + checkpoint.pth with random weights."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from vocalis.engines.openvoice import read_config
from vocalis.engines.openvoice_model import ToneColorConverterNet

# checkpoints_v2/converter/config.json of myshell-ai/OpenVoiceV2, as published.
V2_CONFIG = {
    "_version_": "v2",
    "data": {
        "sampling_rate": 22050,
        "filter_length": 1024,
        "hop_length": 256,
        "win_length": 1024,
        "n_speakers": 0,
    },
    "model": {
        "zero_g": True,
        "inter_channels": 192,
        "hidden_channels": 192,
        "filter_channels": 768,
        "n_heads": 2,
        "n_layers": 6,
        "kernel_size": 3,
        "p_dropout": 0.1,
        "resblock": "1",
        "resblock_kernel_sizes": [3, 7, 11],
        "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
        "upsample_rates": [8, 8, 2, 2],
        "upsample_initial_channel": 512,
        "upsample_kernel_sizes": [16, 16, 4, 4],
        "gin_channels": 256,
    },
}
# The same architecture, small enough to build and run in well under a second.
TINY_CONFIG = {
    "data": {
        "sampling_rate": 22050,
        "filter_length": 256,
        "hop_length": 64,
        "win_length": 256,
        "n_speakers": 0,
    },
    "model": {
        "zero_g": True,
        "inter_channels": 16,
        "hidden_channels": 16,
        "resblock": "1",
        "resblock_kernel_sizes": [3, 5],
        "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5]],
        "upsample_rates": [4, 4, 4],
        "upsample_initial_channel": 32,
        "upsample_kernel_sizes": [8, 8, 8],
        "gin_channels": 32,
    },
}


def write_converter(directory: Path, config: dict, seed: int = 0) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(config))
    torch.manual_seed(seed)
    net = ToneColorConverterNet(read_config(directory / "config.json"))
    # Laid out as upstream's training saves it: the state dict under "model", beside training data.
    torch.save(
        {"model": net.state_dict(), "iteration": 1, "learning_rate": 2e-4}, directory / "checkpoint.pth"
    )
    return directory
