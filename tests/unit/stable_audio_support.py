"""A tiny Stable Audio pipeline for the tests: the same diffusers/transformers classes as Stable Audio Open
1.0 with random weights, saved in the layout `StableAudioPipeline.save_pretrained` writes (the real weights
are gigabytes)."""

from __future__ import annotations

from pathlib import Path

TINY_RATE = 4000  # the tiny VAE's sampling rate; it makes at most 2048 latents x 4 = 2.048 s


def write_tiny_pipeline(directory: Path) -> Path:
    """Save a tiny `StableAudioPipeline` with random weights into `directory`; returns it."""
    import torch
    from diffusers import AutoencoderOobleck, CosineDPMSolverMultistepScheduler, StableAudioDiTModel
    from diffusers.pipelines.stable_audio import StableAudioPipeline, StableAudioProjectionModel
    from transformers import T5Config, T5EncoderModel, T5Tokenizer

    torch.manual_seed(0)
    words = ["rain", "thunder", "dog", "bark", "door", "wind", "glass", "on", "the", "a"]
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    vocab += [("▁" + word, -1.0) for word in words] + [
        (letter, -5.0) for letter in "abcdefghijklmnopqrstuvwxyz"
    ]
    tokenizer = T5Tokenizer(vocab=vocab, extra_ids=0, model_max_length=16)
    text_encoder = T5EncoderModel(
        T5Config(vocab_size=len(tokenizer), d_model=16, d_kv=8, d_ff=32, num_layers=1, num_heads=2)
    )
    vae = AutoencoderOobleck(
        encoder_hidden_size=8,
        downsampling_ratios=[2, 2],
        channel_multiples=[1, 2],
        decoder_channels=8,
        decoder_input_channels=4,
        audio_channels=2,
        sampling_rate=TINY_RATE,
    )
    transformer = StableAudioDiTModel(
        sample_size=2048,
        in_channels=4,
        num_layers=1,
        attention_head_dim=8,
        num_attention_heads=2,
        num_key_value_attention_heads=1,
        out_channels=4,
        cross_attention_dim=16,
        time_proj_dim=8,
        global_states_input_dim=32,
        cross_attention_input_dim=16,
    )
    pipeline = StableAudioPipeline(
        vae=vae,
        text_encoder=text_encoder,
        projection_model=StableAudioProjectionModel(
            text_encoder_dim=16, conditioning_dim=16, min_value=0, max_value=64
        ),
        tokenizer=tokenizer,
        transformer=transformer,
        scheduler=CosineDPMSolverMultistepScheduler(solver_order=2, prediction_type="v_prediction"),
    )
    pipeline.save_pretrained(directory)
    return directory
