"""Chatterbox through the `chatterbox-tts` package: what can be checked without its 3 GB of weights.

Its `ChatterboxTTS.from_local` builds the full-size networks (a 0.5 B Llama among them) whatever the
checkpoint holds, so no tiny stand-in can go through it; the generation test runs only where the package
and a real checkpoint folder (VOCALIS_CHATTERBOX_PATH) are present."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

from vocalis.config import Settings
from vocalis.engines import downloads
from vocalis.engines.chatterbox import ChatterboxSynthesizer, temperature
from vocalis.engines.protocols import SynthesisOptions, Synthesizer, VoiceSpec
from vocalis.engines.weights import WeightsError
from vocalis.services import engine_factories

HAVE_PACKAGE = importlib.util.find_spec("chatterbox") is not None
REAL_CHECKPOINT = os.environ.get("VOCALIS_CHATTERBOX_PATH")


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


@pytest.mark.slow
@pytest.mark.skipif(
    not (HAVE_PACKAGE and REAL_CHECKPOINT), reason="needs chatterbox-tts and VOCALIS_CHATTERBOX_PATH"
)
def test_speaks_with_the_real_checkpoint():
    engine = ChatterboxSynthesizer(REAL_CHECKPOINT)
    opts = SynthesisOptions(seed=1)
    (chunk,) = engine.synthesize("Hello there.", VoiceSpec("chatterbox", (("default", 1.0),)), opts)
    assert np.isfinite(chunk.audio).all() and len(chunk.audio) > engine.sample_rate // 2
    (cloned,) = engine.synthesize_like("Hello there.", chunk.audio, engine.sample_rate, opts)
    assert len(cloned.audio) > engine.sample_rate // 2
