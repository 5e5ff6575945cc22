"""The voice isolation engines on real audio: DeepFilterNet3 and RNNoise through their C libraries, fed in
chunks of any size, give output exactly as long as the input and aligned with it, and raise SI-SDR."""

from __future__ import annotations

import tarfile

import numpy as np
import pytest

from tests.e2e.isolation_quality import best_lag, mixtures, si_sdr
from vocalis.audio import decode
from vocalis.engines import weights
from vocalis.engines.deepfilter import DeepFilterEnhancer, model_timing
from vocalis.engines.protocols import Enhancer
from vocalis.engines.rnnoise import RNNoiseEnhancer

RATE = 48000


@pytest.fixture(scope="module", params=["deepfilternet3", "rnnoise"])
def enhancer(request) -> Enhancer:
    engine = DeepFilterEnhancer() if request.param == "deepfilternet3" else RNNoiseEnhancer()
    assert isinstance(engine, Enhancer)
    return engine


@pytest.fixture(scope="module")
def mixture(corpus):
    """The 4.9 s mixture at 5 dB SNR (street noise), and its clean speech, at the engines' 48 kHz."""
    found = next(m for m in mixtures(corpus) if m.name == "mix_librispeech_61-70968-0000_noise573577_snr5")
    return decode(found.path, RATE).samples, decode(found.clean_path, RATE).samples


def test_output_is_aligned_as_long_as_the_input_and_independent_of_chunking(enhancer, mixture):
    noisy, clean = mixture
    whole = np.concatenate(list(enhancer.enhance([noisy])))
    # Ragged chunks, one shorter than a frame and one empty: the framing must not show in the output.
    cuts = [7, 7, 300, 12_345, 50_000, 50_001, 160_000]
    pieces = np.concatenate(list(enhancer.enhance(np.split(noisy, cuts))))
    assert len(whole) == len(pieces) == len(noisy)
    np.testing.assert_array_equal(whole, pieces)
    assert best_lag(whole, clean, max_lag=2 * enhancer.frame_length) == 0
    assert si_sdr(whole, clean) > si_sdr(noisy, clean) + 3.0


def test_short_and_silent_input(enhancer):
    assert [len(chunk) for chunk in enhancer.enhance([np.zeros(100, np.float32)])] == [100]
    silent = np.concatenate(list(enhancer.enhance([np.zeros(RATE, np.float32)])))
    assert len(silent) == RATE and np.max(np.abs(silent)) < 1e-3


def test_streams_run_side_by_side_with_their_own_state(enhancer, mixture):
    noisy = mixture[0][: 2 * RATE]
    alone = np.concatenate(list(enhancer.enhance([noisy])))
    first = enhancer.enhance(np.array_split(noisy, 8))
    second = enhancer.enhance(np.array_split(np.zeros_like(noisy), 8))
    interleaved = []
    for a, _b in zip(first, second):
        interleaved.append(a)
    np.testing.assert_array_equal(np.concatenate(interleaved), alone)
    second.close()  # a stream closed early frees its state; the engine keeps serving
    assert len(np.concatenate(list(enhancer.enhance([noisy[:100]])))) == 100


def test_deepfilternet_timing_comes_from_its_model_config():
    assert model_timing(weights.packaged(weights.DEEPFILTERNET3_MODEL)) == (480, 1440)


def test_an_archive_without_a_deepfilternet_config_is_refused(tmp_path):
    archive = tmp_path / "not_a_model.tar.gz"
    (tmp_path / "readme.txt").write_text("no model here")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "readme.txt", arcname="readme.txt")
    with pytest.raises(weights.WeightsError, match="config.ini"):
        DeepFilterEnhancer(model_path=archive).load()


def test_installed_native_files_are_the_tested_builds():
    assert weights.native_library(weights.DEEPFILTER_LIBRARIES).name == "libdeepfilter.so"
    assert weights.native_library(weights.RNNOISE_LIBRARIES).name == "librnnoise.so"
    with pytest.raises(weights.WeightsError, match="does not exist"):
        weights.native_library(weights.RNNOISE_LIBRARIES, "/nonexistent/librnnoise.so")
