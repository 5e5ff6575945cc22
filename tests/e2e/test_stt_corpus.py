"""Speech to text on the real recordings of the corpus: word error rate of Whisper tiny.en on `stt_en`,
and Whisper base's language detection (and error rates) on `stt_multilingual`.

Both sides of each comparison are normalized alike: case, punctuation, and numbers spelled out (English).
Run with `-s` to see the per-file figures and the real-time factors.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import jiwer
import pytest

from vocalis.audio import decode
from vocalis.engines.protocols import RecognitionOptions
from vocalis.engines.whisper import WhisperRecognizer

from . import quality

pytestmark = pytest.mark.slow

RATE = 16_000
# Measured on the project's 2-core machine: tiny.en 3.3 % (5 errors in 151 words; base, not run here to
# save time, 2.6 %). The bound leaves room for int8 kernels that round differently on other CPUs.
MAX_TINY_WER = 0.08
MAX_FILE_WER = 0.35  # the worst file alone: a 4-word clip with one miss is already 25 %
# Latin-script languages with human transcripts (es, sv, de, fr, it, pt): base measured 14.6 %.
MAX_BASE_MULTILINGUAL_WER = 0.25
MIN_LANGUAGE_ACCURACY = 12 / 13  # measured 13/13
CHARACTER_LANGUAGES = ("zh", "ja", "ko")  # scored by character error rate, reported only (see below)


def media(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix != ".json")


def sidecar(path: Path) -> dict:
    return json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))


def timed_text(recognizer: WhisperRecognizer, path: Path, opts: RecognitionOptions) -> tuple[str, str, float]:
    """(detected language, text, seconds of compute) for one file, decoding included in the time."""
    audio = decode(path, sample_rate=RATE).samples
    start = time.perf_counter()
    result = recognizer.transcribe(audio, opts)
    text = " ".join(segment.text.strip() for segment in result.segments)
    return result.language, text, time.perf_counter() - start


def words(text: str) -> list[str]:
    """Lowercase words without punctuation, for any script (accents kept: they change words)."""
    text = unicodedata.normalize("NFC", text).lower()
    return "".join(c if c.isalnum() or c.isspace() or c == "'" else " " for c in text).split()


def characters(text: str) -> str:
    return "".join(words(text))


@pytest.fixture(scope="module")
def tiny() -> Iterator[WhisperRecognizer]:
    recognizer = WhisperRecognizer("tiny.en")
    recognizer.load()  # loading is not part of the real-time factor
    yield recognizer
    recognizer.unload()


@pytest.fixture(scope="module")
def base(model_cache: Path) -> Iterator[WhisperRecognizer]:
    recognizer = WhisperRecognizer("base", cache_dir=model_cache)
    recognizer.load()
    yield recognizer
    recognizer.unload()


def test_english_word_error_rate(tiny: WhisperRecognizer, corpus: Path) -> None:
    errors = total = 0
    compute = audio_seconds = 0.0
    worst = ("", 0.0)
    print()
    for path in media(corpus / "stt_en"):
        reference = sidecar(path)["ground_truth"]["transcript"]
        _, text, seconds = timed_text(tiny, path, RecognitionOptions())
        file_errors, file_words = quality.word_errors(reference, text)
        errors, total = errors + file_errors, total + file_words
        compute += seconds
        audio_seconds += sidecar(path)["duration_s"]
        worst = max(worst, (path.name, file_errors / file_words), key=lambda item: item[1])
        print(f"  {path.name:42s} WER {file_errors / file_words:6.1%}  {text}")
    wer = errors / total
    print(f"  total WER {wer:.1%} ({errors}/{total} words); RTF {compute / audio_seconds:.3f} with VAD")
    assert wer < MAX_TINY_WER
    assert worst[1] <= MAX_FILE_WER, worst


def test_multilingual_language_detection_and_error_rates(base: WhisperRecognizer, corpus: Path) -> None:
    """Language detection on every file; error rates where the sidecar holds a human transcript.

    Character error rates of zh/ja/ko are printed, not asserted: base writes Traditional characters for
    this Mandarin clip, and Japanese spelling (kanji or kana) varies without being wrong.
    """
    correct = 0
    errors = total = 0
    compute = audio_seconds = 0.0
    print()
    for path in media(corpus / "stt_multilingual"):
        meta = sidecar(path)
        expected = meta["language"].split("+")[0]  # "en+de" starts in English
        truth = meta["ground_truth"]
        human = truth["kind"] != "approximate_model_output_in_tests"
        if human:
            language, text, seconds = timed_text(base, path, RecognitionOptions())
            compute += seconds
            audio_seconds += meta["duration_s"]
        else:  # model output, not ground truth: only its language is checked, without decoding the text
            audio = decode(path, sample_rate=RATE).samples
            language, text = base.transcribe(audio, RecognitionOptions()).language, ""
        correct += language == expected
        score = ""
        if human and expected in CHARACTER_LANGUAGES:
            score = f"CER {jiwer.cer(characters(truth['transcript']), characters(text)):6.1%}"
        elif human:
            output = jiwer.process_words(" ".join(words(truth["transcript"])), " ".join(words(text)))
            file_errors = output.substitutions + output.deletions + output.insertions
            errors, total = errors + file_errors, total + len(words(truth["transcript"]))
            score = f"WER {output.wer:6.1%}"
        print(f"  {path.name:45s} {expected} -> {language}  {score:11s} {text[:70]}")
    accuracy = correct / len(media(corpus / "stt_multilingual"))
    rtf = compute / audio_seconds
    print(f"  language accuracy {accuracy:.0%}; Latin-script WER {errors / total:.1%}; RTF {rtf:.3f}")
    assert accuracy >= MIN_LANGUAGE_ACCURACY
    assert errors / total < MAX_BASE_MULTILINGUAL_WER


def test_numbers_are_normalized_alike() -> None:
    """The scorer itself: digits and spelled-out numbers, case and punctuation compare equal."""
    assert quality.word_errors("go forward ten meters", "Go forward 10 meters.") == (0, 4)
    assert quality.word_errors("IT WAS THE FIRST", "It was the first.") == (0, 4)
    assert re.sub(r"\s+", " ", " ".join(words("¿Qué tal, Señor?"))) == "qué tal señor"
