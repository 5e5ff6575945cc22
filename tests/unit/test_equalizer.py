"""The equalizer of professional voices: spectra, fitted curves and the filter, on real speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vocalis.audio import decode, equalizer
from vocalis.engines.protocols import VoiceSpec
from vocalis.engines.shaping import shaped
from vocalis.voices.cloning import spec_json
from vocalis.voices.library import spec_from_json

RATE = 16000


@pytest.fixture(scope="module")
def speech(corpus: Path) -> np.ndarray:
    return decode((corpus / "voice_reference" / "ljspeech_LJ050-0131.wav").read_bytes(), RATE).samples


def _tilt(points: int, low_db: float, high_db: float) -> equalizer.Curve:
    centres = equalizer.BAND_CENTRES[:points] if points else equalizer.BAND_CENTRES
    gains = np.linspace(low_db, high_db, len(centres))
    return tuple((centre, float(gain)) for centre, gain in zip(centres, gains))


def test_a_fitted_curve_recovers_the_filter_that_coloured_the_speech(speech: np.ndarray):
    applied = _tilt(0, -6.0, 6.0)  # a bright channel: -6 dB at 80 Hz rising to +6 dB at 6.3 kHz
    coloured = equalizer.apply(speech, RATE, applied)
    fitted = equalizer.matching_curve(
        equalizer.long_term_spectrum(coloured, RATE), equalizer.long_term_spectrum(speech, RATE)
    )
    gains = np.array([gain for _, gain in fitted])
    expected = np.array([gain for _, gain in applied])
    # Equal loudness takes out a constant; the shape is what must come back, within 1.5 dB per band.
    offset = np.median(gains - expected)
    assert np.abs(gains - expected - offset).max() < 1.5
    # Undoing the colour with the inverse fit brings the spectrum back.
    undone = equalizer.apply(
        coloured,
        RATE,
        equalizer.matching_curve(
            equalizer.long_term_spectrum(speech, RATE), equalizer.long_term_spectrum(coloured, RATE)
        ),
    )

    def shape_error(audio: np.ndarray) -> float:
        """Spread of the dB difference to the original spectrum, 80 Hz-6.3 kHz (level does not count)."""
        ratio = equalizer.long_term_spectrum(audio, RATE) / equalizer.long_term_spectrum(speech, RATE)
        return float(np.std(10 * np.log10(ratio[5:404])))

    assert shape_error(coloured) > 2.0
    assert shape_error(undone) < 0.25 * shape_error(coloured)


def test_strength_scales_and_gains_stay_bounded(speech: np.ndarray):
    silent_highs = equalizer.apply(speech, RATE, _tilt(0, 0.0, -40.0))
    target, source = (
        equalizer.long_term_spectrum(silent_highs, RATE),
        equalizer.long_term_spectrum(speech, RATE),
    )
    full = np.array([g for _, g in equalizer.matching_curve(target, source)])
    half = np.array([g for _, g in equalizer.matching_curve(target, source, 0.5)])
    assert np.abs(full).max() == equalizer.MAX_GAIN_DB
    unclipped = np.abs(full) < equalizer.MAX_GAIN_DB
    np.testing.assert_allclose(half[unclipped], full[unclipped] / 2, atol=0.02)
    assert equalizer.matching_curve(source, source) == tuple((c, 0.0) for c in equalizer.BAND_CENTRES)


def test_the_filter_keeps_time_and_a_flat_curve_keeps_the_sound(speech: np.ndarray):
    click = np.zeros(RATE, dtype=np.float32)
    click[8000] = 1.0
    filtered = equalizer.apply(click, 24000, _tilt(0, -6.0, 6.0))
    assert filtered.shape == click.shape and int(np.argmax(np.abs(filtered))) == 8000
    flat = equalizer.apply(speech, RATE, tuple((c, 0.0) for c in equalizer.BAND_CENTRES))
    assert np.abs(flat - speech).max() < 0.02 * np.abs(speech).max()
    assert equalizer.apply(speech, RATE, ()) is speech


def test_voice_specs_carry_the_curve_through_storage_and_rendering(speech: np.ndarray):
    from vocalis.engines.protocols import ClonedVoice

    curve = _tilt(0, 3.0, -3.0)
    spec = VoiceSpec("kokoro", (("af_heart", 1.0),), 1.0, 0.0, curve)
    stored = spec_json(ClonedVoice(spec=spec, method="nearest-voice", similarity=0.7, details={}))
    assert spec_from_json(stored) == spec
    assert "equalizer" not in spec_json(
        ClonedVoice(spec=VoiceSpec("kokoro", (("af_heart", 1.0),)), method="x", similarity=0.0, details={})
    )
    np.testing.assert_array_equal(shaped(speech, RATE, spec), equalizer.apply(speech, RATE, curve))
