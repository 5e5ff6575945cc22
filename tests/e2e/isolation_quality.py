"""Judges of voice isolation for the tests and `bench/audio_tools.py`: the corpus' constructed mixtures with
their exact clean speech, scale-invariant SDR, and undoing the MP3 encoder's start-up delay before comparing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vocalis.audio import decode, resample

SAMPLE_RATE = 16000
MIXTURE_FOLDERS = ("noisy_speech", "music_mix")
# An MP3 decoder without the encoder's gapless tag starts with the encoder's priming samples (LAME: 1105 at
# the 44.1 kHz of the isolator's output) and ends with the padding of the last frame (< 1152 samples).
MP3_RATE = 44100
MP3_PRIMING_SAMPLES = 1105
MP3_SLACK_SECONDS = (MP3_PRIMING_SAMPLES + 1152) / MP3_RATE


@dataclass(frozen=True)
class Mixture:
    """A corpus mixture (`clean + noise`, exactly) with the clean speech and its transcript."""

    path: Path
    clean_path: Path
    transcript: str
    snr_db: float
    duration_s: float

    @property
    def name(self) -> str:
        return self.path.stem


def mixtures(corpus: Path) -> list[Mixture]:
    """Every constructed mixture of the noisy-speech and music folders, from their sidecars."""
    found = []
    for folder in MIXTURE_FOLDERS:
        for sidecar in sorted((corpus / folder).glob("*.json")):
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
            truth = meta.get("ground_truth", {})
            if truth.get("kind") != "constructed_mixture":
                continue
            found.append(
                Mixture(
                    path=sidecar.with_name(meta["file"]),
                    clean_path=sidecar.with_name(truth["clean_target"]),
                    transcript=truth["transcript"],
                    snr_db=float(truth["snr_db"]),
                    duration_s=float(meta["duration_s"]),
                )
            )
    return found


def load(path: Path | bytes) -> np.ndarray:
    return decode(path, SAMPLE_RATE).samples


def si_sdr(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Scale-invariant signal-to-distortion ratio in dB of `estimate` against `reference` (same length)."""
    estimate = np.asarray(estimate, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    target = np.dot(estimate, reference) / np.dot(reference, reference) * reference
    distortion = estimate - target
    return float(10 * np.log10(np.dot(target, target) / np.dot(distortion, distortion)))


def isolated(mp3: bytes, length: int) -> np.ndarray:
    """The isolator's MP3 as the `length` samples at 16 kHz that match its input: the priming samples are
    dropped at the MP3's own rate, since a fraction of a sample off at 16 kHz already costs dBs of SI-SDR."""
    decoded = decode(mp3).samples
    return resample(decoded[MP3_PRIMING_SAMPLES:], MP3_RATE, SAMPLE_RATE)[:length]


def best_lag(estimate: np.ndarray, reference: np.ndarray, max_lag: int) -> int:
    """The shift in samples (-max_lag..max_lag) at which `estimate` best matches `reference`."""
    span = len(reference) - 2 * max_lag
    window = reference[max_lag : max_lag + span]
    scores = {
        lag: float(np.dot(estimate[max_lag + lag : max_lag + lag + span], window))
        / (float(np.linalg.norm(estimate[max_lag + lag : max_lag + lag + span])) + 1e-12)
        for lag in range(-max_lag, max_lag + 1)
    }
    return max(scores, key=scores.__getitem__)


def looped(samples: np.ndarray, seconds: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """`samples` repeated up to `seconds` (long inputs built from the corpus)."""
    return np.resize(samples, round(seconds * sample_rate)).astype(np.float32)
