"""Chatterbox through the `chatterbox-tts` package: the real loader and inference on a tiny random model of
the same architecture built here (chatterbox_support), Vocalis' stand-ins for the torchaudio pieces it uses,
and file and registry checks; a real checkpoint folder (VOCALIS_CHATTERBOX_PATH) is exercised too where one is
present."""

from __future__ import annotations

import gc
import importlib.util
import json
import math
import os
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from vocalis.audio import decode
from vocalis.config import Settings
from vocalis.engines import chatterbox_torchaudio, downloads, weights
from vocalis.engines.chatterbox import CHECKPOINT_FILES, ChatterboxSynthesizer, package, temperature
from vocalis.engines.protocols import SynthesisOptions, Synthesizer, VoiceSpec
from vocalis.engines.weights import WeightsError
from vocalis.services import Services, engine_factories

# Not `pytest.importorskip("chatterbox")`: importing the package bare fails on torchaudio (absent on purpose,
# see chatterbox_torchaudio), which importorskip would take for a missing package and skip.
HAVE_PACKAGE = importlib.util.find_spec("chatterbox") is not None
REAL_CHECKPOINT = os.environ.get("VOCALIS_CHATTERBOX_PATH")
needs_package = pytest.mark.skipif(
    not HAVE_PACKAGE,
    reason="chatterbox-tts is not installed (pip install --no-deps -r requirements/chatterbox.txt)",
)
DEFAULT_VOICE = VoiceSpec("chatterbox", (("default", 1.0),))
TEXT = "Hello there."


def test_variation_maps_to_the_default_temperature():
    assert temperature(0.5) == pytest.approx(0.8)
    assert temperature(0.0) < temperature(1.0) and temperature(5.0) == temperature(1.0)


def test_missing_files_are_named_before_anything_loads(tmp_path: Path):
    engine = ChatterboxSynthesizer(tmp_path)
    assert isinstance(engine, Synthesizer) and engine.sample_rate == 24000 and not engine.loaded
    with pytest.raises(WeightsError, match="lacks ve.safetensors, t3_cfg.safetensors"):
        engine.load()


def test_corrupt_pulled_files_are_refused(tmp_path: Path):
    for name in ("ve.safetensors", "t3_cfg.safetensors", "s3gen.safetensors", "tokenizer.json"):
        (tmp_path / name).write_bytes(b"x")
    with pytest.raises(WeightsError, match="corrupted"):
        ChatterboxSynthesizer(tmp_path, digests=downloads.digests_of(downloads.CHATTERBOX)).load()


def test_registered_only_with_its_package_and_weights(tmp_path: Path):
    settings = Settings(home=tmp_path / "home", chatterbox_path=tmp_path)
    assert ("chatterbox" in engine_factories(settings)) == HAVE_PACKAGE
    assert "chatterbox" not in engine_factories(Settings(home=tmp_path / "home", model_cache=tmp_path / "m"))


# --- Vocalis' stand-ins for the torchaudio pieces Chatterbox uses -------------------------------------------


def _tones(t):
    return 0.5 * (2 * math.pi * 440 * t).sin() + 0.1 * (2 * math.pi * 3000 * t * (1 + t)).sin()


def _signal(rate: int, seconds: float):
    import torch

    return _tones(torch.arange(int(rate * seconds), dtype=torch.float32) / rate).unsqueeze(0)


def test_fbank_stand_in_is_close_to_torchaudios():
    # Figures printed by torchaudio 2.11.0's kaldi.fbank for the same signal.
    features = chatterbox_torchaudio.fbank(_signal(16000, 0.25), num_mel_bins=80)
    assert tuple(features.shape) == (23, 80)  # whole 400-sample frames every 160 samples
    assert features.sum().item() == pytest.approx(-19544.457, rel=1e-4)
    expected = [-11.3407, -4.5745, -7.3328, -14.2881, -15.9424, -11.3654, -10.961, -15.9424]
    assert features[5, ::10].tolist() == pytest.approx(expected, rel=1e-3)
    with pytest.raises(NotImplementedError, match="dither"):
        chatterbox_torchaudio.fbank(_signal(16000, 0.25), dither=1.0)


def test_fbank_stand_in_puts_a_tone_in_its_mel_band():
    import torch

    t = torch.arange(16000, dtype=torch.float32) / 16000
    features = chatterbox_torchaudio.fbank((0.5 * torch.sin(2 * math.pi * 1000 * t)).unsqueeze(0), 40)
    assert tuple(features.shape) == (98, 40)
    # 40 triangles between 20 Hz and 8 kHz on Kaldi's mel scale, 1127 ln(1 + f / 700): 1 kHz is nearest the
    # centre of the band numbered round((mel(1000) - mel(20)) / step) - 1.
    mel = lambda hz: 1127 * math.log(1 + hz / 700)  # noqa: E731
    band = round((mel(1000) - mel(20)) / ((mel(8000) - mel(20)) / 41)) - 1
    assert set(features.argmax(dim=1).tolist()) == {band}


def test_resample_stand_in_is_close_to_torchaudios_and_to_the_signal():
    import torch

    # Figures printed by torchaudio 2.11.0's transforms.Resample for the same signal.
    resampled = chatterbox_torchaudio.Resample(24000, 16000)(_signal(24000, 0.25))
    assert tuple(resampled.shape) == (1, 4000) and resampled.dtype == torch.float32
    assert resampled.abs().sum().item() == pytest.approx(1284.1337, rel=1e-3)
    assert resampled[0, 1000:1005].tolist() == pytest.approx(
        [0.09802, -0.04327, -0.24668, -0.32802, -0.28042], abs=1e-3
    )
    # Away from the ends, the result is the band-limited signal sampled at the new rate.
    for source, target in ((24000, 16000), (22050, 16000), (16000, 24000)):
        resampled = chatterbox_torchaudio.Resample(source, target)(_signal(source, 0.5))[0].double()
        assert len(resampled) == math.ceil(source * 0.5 * target / source)
        exact = _tones(torch.arange(len(resampled), dtype=torch.float64) / target)
        error = (resampled - exact)[200:-200].square().sum() / exact[200:-200].square().sum()
        assert 10 * math.log10(1 / error.item()) > 60  # dB
    batch = torch.randn(2, 3, 1000)
    assert tuple(chatterbox_torchaudio.Resample(24000, 16000)(batch).shape) == (2, 3, 667)
    assert chatterbox_torchaudio.Resample(16000, 16000)(batch) is batch


def test_spectrogram_stand_ins_invert():
    import torch

    waveform = _signal(24000, 0.5)
    spectrogram = chatterbox_torchaudio.Spectrogram(n_fft=2048, hop_length=320, power=None)
    inverse = chatterbox_torchaudio.InverseSpectrogram(n_fft=2048, hop_length=320)
    spec = spectrogram(waveform)
    assert spec.is_complex() and tuple(spec.shape) == (1, 1025, 38)
    assert torch.allclose(inverse(spec, length=waveform.shape[-1]), waveform, atol=1e-5)
    power = chatterbox_torchaudio.Spectrogram(n_fft=2048, hop_length=320)(waveform[0])
    assert tuple(power.shape) == (1025, 38) and torch.allclose(power, spec[0].abs() ** 2)
    stretch = chatterbox_torchaudio.TimeStretch(hop_length=320, n_freq=1025)
    assert tuple(stretch.phase_advance.shape) == (1025, 1)
    with pytest.raises(NotImplementedError):
        stretch(spec)


@needs_package
def test_only_chatterbox_sees_the_stand_ins():
    tts = package()
    from chatterbox.models.s3gen import s3gen, xvector

    if chatterbox_torchaudio.torchaudio_loads():
        pytest.skip("torchaudio itself loads here, so Chatterbox uses it")
    assert s3gen.ta.transforms.Resample is chatterbox_torchaudio.Resample
    assert xvector.Kaldi.fbank is chatterbox_torchaudio.fbank
    assert tts.perth.PerthImplicitWatermarker is not None  # its torchaudio import did not fail
    assert "torchaudio" not in sys.modules  # nobody else is handed the stand-ins
    with pytest.raises((ImportError, OSError)):
        import torchaudio  # noqa: F401


# --- the real engine on a tiny random Chatterbox ---------------------------------------------------------


def _clip(corpus: Path, name: str) -> tuple[np.ndarray, int, dict]:
    path = corpus / "voice_reference" / name
    sidecar = json.loads(path.with_name(name + ".json").read_text())
    audio = decode(path)
    assert audio.sample_rate == sidecar["sample_rate"]
    assert len(audio.samples) / audio.sample_rate == pytest.approx(sidecar["duration_s"], abs=0.05)
    return audio.samples, audio.sample_rate, sidecar


@pytest.fixture(scope="module", autouse=True)
def _torch_threads() -> Iterator[None]:
    """The engines here run one thread (tiny layers); later modules get the process's count back."""
    if importlib.util.find_spec("torch") is None:
        yield
        return
    import torch

    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Path:
    if not HAVE_PACKAGE:
        pytest.skip("chatterbox-tts is not installed")
    from chatterbox_support import tiny_architecture, write_checkpoint

    with tiny_architecture():
        # The built-in voice (conds.pt) is LJ Speech's reader, conditioned by the package itself.
        return write_checkpoint(
            tmp_path_factory.mktemp("chatterbox") / "tiny",
            corpus / "voice_reference" / "ljspeech_LJ050-0131.wav",
        )


def _loaded(engine: ChatterboxSynthesizer) -> ChatterboxSynthesizer:
    from chatterbox_support import tiny_architecture

    with tiny_architecture():  # the package's constructors take no sizes; loading builds the tiny networks
        engine.load()
    return engine


@pytest.fixture(scope="module")
def engine(tiny_dir: Path) -> ChatterboxSynthesizer:
    digests = {name: weights.file_sha256(tiny_dir / name) for name in (*CHECKPOINT_FILES, "conds.pt")}
    return _loaded(ChatterboxSynthesizer(tiny_dir, digests=digests, threads=1))


@pytest.fixture(scope="module")
def speakers(corpus: Path) -> dict[str, tuple[np.ndarray, int]]:
    clips = {}
    for name in ("picovoice_eagle_speaker_1_utt_1.wav", "librispeech_198-209-0000.ogg"):
        samples, rate, sidecar = _clip(corpus, name)
        clips[sidecar["ground_truth"]["speaker"]] = (samples, rate)
    assert len(clips) == 2  # two different people, by the corpus's own labels
    return clips


def _speech(audio: np.ndarray) -> None:
    from chatterbox_support import SPEECH_TOKENS

    assert audio.dtype == np.float32 and audio.ndim == 1 and np.isfinite(audio).all()
    # 40 ms per speech token; the tiny model's tokens outside the speech vocabulary are dropped.
    assert 5 * 960 <= len(audio) <= SPEECH_TOKENS * 960
    assert np.abs(audio).max() <= 1.0 and audio.std() > 1e-4


@pytest.mark.slow
def test_tiny_checkpoint_is_checked_against_its_digests(tiny_dir: Path):
    assert sorted(path.name for path in tiny_dir.iterdir()) == sorted((*CHECKPOINT_FILES, "conds.pt"))
    tampered = ChatterboxSynthesizer(tiny_dir, digests={"t3_cfg.safetensors": "0" * 64})
    with pytest.raises(WeightsError, match="corrupted"):
        tampered.load()
    assert not tampered.loaded


@pytest.mark.slow
def test_speaks_in_its_builtin_voice(engine: ChatterboxSynthesizer):
    assert engine.loaded and engine.voices()[0].name == "default"
    (chunk,) = engine.synthesize(TEXT, DEFAULT_VOICE, SynthesisOptions(seed=1))
    _speech(chunk.audio)
    assert (chunk.text_start, chunk.text_end) == (0, len(TEXT))
    # Other speaker names need a reference resolver (the server's voice references).
    with pytest.raises(ValueError, match="no reference for speaker 'someone'"):
        next(engine.synthesize(TEXT, VoiceSpec("chatterbox", (("someone", 1.0),)), SynthesisOptions()))
    with pytest.raises(ValueError, match="one speaker"):
        next(engine.synthesize(TEXT, VoiceSpec("chatterbox", (("a", 0.5), ("b", 0.5))), SynthesisOptions()))


@pytest.mark.slow
def test_a_seed_repeats_the_speech(engine: ChatterboxSynthesizer):
    def speak(seed: int) -> np.ndarray:
        return next(engine.synthesize(TEXT, DEFAULT_VOICE, SynthesisOptions(seed=seed))).audio

    first = speak(7)
    assert np.array_equal(first, speak(7))
    other = speak(8)
    assert len(other) != len(first) or not np.allclose(other, first)


@pytest.mark.slow
def test_speaks_like_a_reference_clip(engine: ChatterboxSynthesizer, speakers: dict):
    opts = SynthesisOptions(seed=3)
    builtin = next(engine.synthesize(TEXT, DEFAULT_VOICE, opts)).audio
    rendered = {}
    for speaker, (samples, rate) in speakers.items():  # a 16 kHz WAV and a 22.05 kHz Ogg
        rendered[speaker] = next(engine.synthesize_like(TEXT, samples, rate, opts)).audio
        _speech(rendered[speaker])
    first, second = rendered.values()
    assert not np.array_equal(first, second)  # the reference steers the speech
    assert not np.array_equal(first, builtin)
    samples, rate = next(iter(speakers.values()))
    assert np.array_equal(next(engine.synthesize_like(TEXT, samples, rate, opts)).audio, first)
    # A reference leaves the built-in voice as it was.
    assert np.array_equal(next(engine.synthesize(TEXT, DEFAULT_VOICE, opts)).audio, builtin)
    with pytest.raises(ValueError, match="at least 0.5 s"):
        next(engine.synthesize_like(TEXT, samples[: rate // 4], rate, opts))


@pytest.mark.slow
def test_unload_frees_the_model(tiny_dir: Path):
    engine = _loaded(ChatterboxSynthesizer(tiny_dir, threads=1))
    before = next(engine.synthesize(TEXT, DEFAULT_VOICE, SynthesisOptions(seed=5))).audio
    model = weakref.ref(engine._model)
    engine.unload()
    gc.collect()
    assert not engine.loaded and model() is None
    _loaded(engine)  # a fresh load of the same files speaks the same
    assert np.array_equal(
        next(engine.synthesize(TEXT, DEFAULT_VOICE, SynthesisOptions(seed=5))).audio, before
    )


@pytest.mark.slow
def test_the_server_speaks_through_it(tiny_dir: Path, tmp_path: Path):
    from vocalis.speech.synthesis import SpeechInput, synthesize

    services = Services.open(Settings(home=tmp_path / "home", chatterbox_path=tiny_dir, engine_threads=1))
    try:
        model = next(m for m in services.registry.models() if m.model_id == "chatterbox")
        assert model.can_do_text_to_speech
        engine = _loaded(services.registry.engine("chatterbox"))
        text = "Hello there. How are you today?"
        pieces = list(synthesize(engine, SpeechInput(text, DEFAULT_VOICE, SynthesisOptions(seed=2))))
        assert len(pieces) == 2 and all(piece.sample_rate == 24000 for piece in pieces)  # one per sentence
        for piece in pieces:
            _speech(piece.audio)
        assert "".join(pieces[0].alignment.characters + pieces[1].alignment.characters).strip() == text
    finally:
        services.close()


@pytest.mark.slow
@pytest.mark.skipif(
    not (HAVE_PACKAGE and REAL_CHECKPOINT), reason="needs chatterbox-tts and VOCALIS_CHATTERBOX_PATH"
)
def test_speaks_with_the_real_checkpoint():
    engine = ChatterboxSynthesizer(REAL_CHECKPOINT)
    opts = SynthesisOptions(seed=1)
    (chunk,) = engine.synthesize("Hello there.", DEFAULT_VOICE, opts)
    assert np.isfinite(chunk.audio).all() and len(chunk.audio) > engine.sample_rate // 2
    (cloned,) = engine.synthesize_like("Hello there.", chunk.audio, engine.sample_rate, opts)
    assert len(cloned.audio) > engine.sample_rate // 2
