"""OpenVoice v2 tone-colour converter: the real loader and inference on a tiny random converter built here,
and the full-size parameter layout checked against upstream's, so the published checkpoint loads strictly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from openvoice_support import TINY_CONFIG, V2_CONFIG, write_converter

from vocalis.audio import decode
from vocalis.engines import weights
from vocalis.engines.openvoice import OpenVoiceConverter, linear_spectrogram, read_config
from vocalis.engines.openvoice_model import ToneColorConverterNet
from vocalis.engines.protocols import ConversionOptions, SpeakerReference, VoiceConverter
from vocalis.engines.weights import WeightsError


def upstream_v2_shapes() -> dict[str, tuple[int, ...]]:
    """Every tensor of the published v2 converter checkpoint, spelled out from upstream's
    SynthesizerTrn(n_speakers=0): weight-normed layers as weight_g/weight_v, flips holding odd flow slots."""
    shapes: dict[str, tuple[int, ...]] = {}

    def conv(name: str, out: int, inp: int, k: int, bias: bool = True) -> None:
        shapes[f"{name}.weight"] = (out, inp, k)
        if bias:
            shapes[f"{name}.bias"] = (out,)

    def wn(name: str, out: int, inp: int, *kernel: int, transposed: bool = False) -> None:
        shapes[f"{name}.bias"] = (inp if transposed else out,)
        shapes[f"{name}.weight_g"] = (out, 1, *([1] * len(kernel)))
        shapes[f"{name}.weight_v"] = (out, inp, *kernel)

    def wavenet(name: str, layers: int) -> None:
        wn(f"{name}.cond_layer", 2 * 192 * layers, 256, 1)
        for i in range(layers):
            wn(f"{name}.in_layers.{i}", 384, 192, 5)
            wn(f"{name}.res_skip_layers.{i}", 384 if i < layers - 1 else 192, 192, 1)

    conv("dec.conv_pre", 512, 192, 7)
    conv("dec.cond", 512, 256, 1)
    for i, k in enumerate((16, 16, 4, 4)):
        # A transposed kernel is (in, out, k); weight_norm's g runs along its first axis.
        wn(f"dec.ups.{i}", 512 // 2**i, 512 // 2 ** (i + 1), k, transposed=True)
        for j, rk in enumerate((3, 7, 11)):
            for part in ("convs1", "convs2"):
                for n in range(3):
                    wn(f"dec.resblocks.{3 * i + j}.{part}.{n}", 512 // 2 ** (i + 1), 512 // 2 ** (i + 1), rk)
    conv("dec.conv_post", 1, 32, 7, bias=False)
    conv("enc_q.pre", 192, 513, 1)
    wavenet("enc_q.enc", 16)
    conv("enc_q.proj", 384, 192, 1)
    for f in (0, 2, 4, 6):
        conv(f"flow.flows.{f}.pre", 192, 96, 1)
        wavenet(f"flow.flows.{f}.enc", 4)
        conv(f"flow.flows.{f}.post", 96, 192, 1)
    shapes["ref_enc.layernorm.weight"] = shapes["ref_enc.layernorm.bias"] = (513,)
    for i, (inp, out) in enumerate(zip((1, 32, 32, 64, 64, 128), (32, 32, 64, 64, 128, 128))):
        wn(f"ref_enc.convs.{i}", out, inp, 3, 3)
    # 513 frequency bins halve six times to 9; the GRU sees 128 channels x 9 per step, 128 wide.
    shapes["ref_enc.gru.weight_ih_l0"] = (3 * 128, 128 * 9)
    shapes["ref_enc.gru.weight_hh_l0"] = (3 * 128, 128)
    shapes["ref_enc.gru.bias_ih_l0"] = shapes["ref_enc.gru.bias_hh_l0"] = (3 * 128,)
    shapes["ref_enc.proj.weight"] = (256, 128)
    shapes["ref_enc.proj.bias"] = (256,)
    return shapes


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_converter(tmp_path_factory.mktemp("openvoice") / "converter", TINY_CONFIG)


@pytest.fixture(scope="module")
def converter(tiny_dir: Path) -> OpenVoiceConverter:
    digests = {name: weights.file_sha256(tiny_dir / name) for name in ("config.json", "checkpoint.pth")}
    return OpenVoiceConverter(tiny_dir, digests=digests)


@pytest.fixture(scope="module")
def speech(corpus: Path) -> np.ndarray:
    return decode(corpus / "voice_reference" / "ljspeech_LJ050-0131.wav", sample_rate=22050).samples


@pytest.fixture(scope="module")
def other_speaker(corpus: Path, converter: OpenVoiceConverter) -> SpeakerReference:
    clip = decode(corpus / "voice_reference" / "picovoice_eagle_speaker_1_utt_1.wav")
    return converter.reference(clip.samples, clip.sample_rate)


def test_full_size_layout_is_upstreams(tmp_path: Path):
    (tmp_path / "config.json").write_text(json.dumps(V2_CONFIG))
    with torch.device("meta"):  # shapes only, no memory
        net = ToneColorConverterNet(read_config(tmp_path / "config.json"))
    ours = {name: tuple(tensor.shape) for name, tensor in net.state_dict().items()}
    assert ours == upstream_v2_shapes()
    # The published converter/checkpoint.pth (sha256 9652c27e…) holds 486 tensors, 32,792,226 values.
    assert len(ours) == 486
    assert sum(int(np.prod(shape)) for shape in ours.values()) == 32_792_226


def test_loads_lazily_and_unloads(tiny_dir: Path, speech: np.ndarray):
    fresh = OpenVoiceConverter(tiny_dir)
    assert isinstance(fresh, VoiceConverter) and fresh.sample_rate == 22050
    assert not fresh.loaded
    fresh.reference(speech[:22050], 22050)
    assert fresh.loaded
    fresh.unload()
    assert not fresh.loaded


def test_loads_strictly_and_converts(converter: OpenVoiceConverter, speech: np.ndarray, other_speaker):
    converted = converter.convert(speech, 22050, other_speaker, ConversionOptions(seed=1))
    assert converted.dtype == np.float32 and converted.shape == speech.shape
    assert np.isfinite(converted).all()
    assert np.sqrt(np.mean(converted**2)) > 1e-4  # not silent


def test_reference_is_a_speaker_embedding(converter: OpenVoiceConverter, speech: np.ndarray, other_speaker):
    own = converter.reference(speech, 22050)
    assert own.engine == "openvoice-v2" and own.embedding.shape == (32,) and own.embedding.dtype == np.float32
    assert not np.allclose(own.embedding, other_speaker.embedding)
    mean = SpeakerReference.average([own, other_speaker])
    np.testing.assert_allclose(mean.embedding, (own.embedding + other_speaker.embedding) / 2, rtol=1e-6)


def test_target_variation_and_seed_steer_the_output(converter, speech, other_speaker):
    clip = speech[: 22050 * 2]
    own = converter.reference(clip, 22050)
    base = converter.convert(clip, 22050, other_speaker, ConversionOptions(variation=0.3, seed=7))
    assert np.array_equal(base, converter.convert(clip, 22050, other_speaker, ConversionOptions(0.3, seed=7)))
    assert not np.allclose(
        base, converter.convert(clip, 22050, other_speaker, ConversionOptions(0.3, seed=8))
    )
    assert not np.allclose(
        base, converter.convert(clip, 22050, other_speaker, ConversionOptions(0.9, seed=7))
    )
    assert not np.allclose(base, converter.convert(clip, 22050, own, ConversionOptions(0.3, seed=7)))
    # Variation 0 is the posterior mean: the same output with no seed at all.
    still = converter.convert(clip, 22050, other_speaker, ConversionOptions(variation=0.0))
    assert np.array_equal(
        still, converter.convert(clip, 22050, other_speaker, ConversionOptions(variation=0.0))
    )
    # A known source speaker replaces the one measured from the input.
    assert not np.allclose(
        still, converter.convert(clip, 22050, other_speaker, ConversionOptions(0.0), source=other_speaker)
    )


def test_windows_join_without_seams(converter: OpenVoiceConverter, speech: np.ndarray, other_speaker):
    """7.7 s at hop 64 is three windows; with context on each side they match one pass over everything."""
    converted = converter.convert(speech, 22050, other_speaker, ConversionOptions(variation=0.0))
    net = converter._load()
    spec = linear_spectrogram(torch.from_numpy(speech), converter.config)
    with torch.inference_mode():
        source = net.ref_enc(spec.transpose(1, 2))[..., None]
        target = torch.from_numpy(other_speaker.embedding)[None, :, None]
        whole = net.convert(spec, source, target, 0.0)[0, 0].numpy()
    np.testing.assert_allclose(converted[: len(whole)], whole, atol=1e-4 * np.abs(whole).max() + 1e-7)


def test_other_sample_rates_keep_the_duration(converter: OpenVoiceConverter, corpus: Path, other_speaker):
    clip = decode(corpus / "voice_reference" / "picovoice_eagle_speaker_2_test_utt.wav")
    assert clip.sample_rate == 16000
    converted = converter.convert(clip.samples, 16000, other_speaker, ConversionOptions(seed=0))
    assert len(converted) == round(len(clip.samples) * 22050 / 16000)


def test_flow_is_exactly_invertible(converter: OpenVoiceConverter):
    net = converter._load()
    z, g = torch.randn(1, 16, 40), torch.randn(1, 32, 1)
    with torch.inference_mode():
        torch.testing.assert_close(net.flow(net.flow(z, g), g, reverse=True), z)


def test_bad_inputs_are_refused(converter: OpenVoiceConverter, other_speaker):
    with pytest.raises(ValueError, match="too short"):
        converter.convert(np.zeros(100, np.float32), 22050, other_speaker, ConversionOptions())
    with pytest.raises(ValueError, match="variation"):
        converter.convert(np.zeros(22050, np.float32), 22050, other_speaker, ConversionOptions(variation=2.0))
    foreign = SpeakerReference("resemblyzer", np.zeros(256, np.float32))
    with pytest.raises(ValueError, match="derive it again"):
        converter.convert(np.zeros(22050, np.float32), 22050, foreign, ConversionOptions())


def test_a_checkpoint_of_another_shape_is_refused(tmp_path: Path):
    directory = write_converter(tmp_path / "a", TINY_CONFIG)
    smaller = json.loads(json.dumps(TINY_CONFIG))
    smaller["model"]["hidden_channels"] = 8
    (directory / "config.json").write_text(json.dumps(smaller))
    with pytest.raises(WeightsError, match="does not fit"):
        OpenVoiceConverter(directory).load()


def test_missing_keys_and_corrupt_files_are_refused(tmp_path: Path):
    directory = write_converter(tmp_path / "b", TINY_CONFIG)
    digest = weights.file_sha256(directory / "checkpoint.pth")
    state = torch.load(directory / "checkpoint.pth", weights_only=True)["model"]
    del state["ref_enc.proj.bias"]
    torch.save({"model": state}, directory / "checkpoint.pth")
    with pytest.raises(WeightsError, match=r"missing \['ref_enc.proj.bias'\]"):
        OpenVoiceConverter(directory).load()
    with pytest.raises(WeightsError, match="corrupted"):
        OpenVoiceConverter(directory, digests={"checkpoint.pth": digest}).load()
    (directory / "checkpoint.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsError, match="cannot read"):
        OpenVoiceConverter(directory).load()
    base_tts = json.loads(json.dumps(TINY_CONFIG))
    base_tts["data"]["n_speakers"] = 10
    (directory / "config.json").write_text(json.dumps(base_tts))
    with pytest.raises(WeightsError, match="base TTS"):
        OpenVoiceConverter(directory)
