"""Forced alignment with pocketsphinx: the en-us acoustic model and CMUdict that ship inside its wheel.

A transcript becomes spoken-form tokens (numbers and symbols as words, by the TTS text normalizer), each
token a pronunciation (CMUdict, or espeak-ng IPA converted to ARPAbet for words CMUdict lacks), and the
tokens are Viterbi-aligned to the audio through a linear grammar. Audio longer than a minute is aligned in
windows of at most 60 s, cut at quiet points, one after the other: a window's grammar may stop after any
token, and the next window starts where the last trusted word of the previous one ended.

`AlignedWord.loss` is the word's acoustic cost: nats per 10 ms frame by which the aligned HMM states score
below the best-scoring state of the acoustic model in each frame (transition penalties included), capped
at `UNALIGNED_LOSS`. 0 would be a perfect match. Measured: words that are spoken score 0.5-3.5 (a
transcript's mean 1.5-2.5 on clean speech, 3.7 for a speaker with a cold); words the audio does not contain
score 3-10 (mean 6.6). Words that could not be aligned and were spread over the audio between their
neighbours get `UNALIGNED_LOSS`; words with nothing to pronounce ("—", "…") get 0 and no duration.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from vocalis.engines.protocols import AlignedWord
from vocalis.speech.normalization import normalize

SAMPLE_RATE = 16000
FRAME_RATE = 100  # pocketsphinx frames per second
FRAME_SAMPLES = SAMPLE_RATE // FRAME_RATE
WINDOW_SECONDS = 60.0
MARGIN_SECONDS = 10.0  # the end of an open window that is aligned again by the next one
UNALIGNED_LOSS = 10.0

# Beams wide enough to prune almost nothing. With pocketsphinx's default beams (or the 1e-80 often used on
# failure) the right path through a fast or hoarse stretch gets pruned and an open-ended window then
# "succeeds" with every later word drifted by seconds. A linear grammar keeps unpruned search cheap: under
# 200 active HMMs per frame, real-time factor about 0.04.
_BEAMS = {"beam": 1e-300, "wbeam": 1e-300, "pbeam": 1e-300}
# Path scores are senone log-likelihoods (base 1.0001) shifted right by 10 bits; the Python binding turns
# them into probabilities without undoing the shift, so ln(ascore) * 2**10 is the cost in nats.
_SCORE_SCALE = float(1 << 10)
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_ALTERNATE = re.compile(r"\(\d+\)$")


# --- Pronunciations ---------------------------------------------------------------------------------------

# espeak-ng IPA (stress and length removed) to CMU ARPAbet, longest symbols first. Sounds English lacks map
# to the nearest English phone, so foreign names still get a plausible pronunciation.
_IPA_TO_ARPABET = {
    "aɪ": "AY",
    "aʊ": "AW",
    "eɪ": "EY",
    "oʊ": "OW",
    "əʊ": "OW",
    "ɔɪ": "OY",
    "tʃ": "CH",
    "dʒ": "JH",
    "ɜɹ": "ER",
    "ɚ": "ER",
    "ɝ": "ER",
    "ɜ": "ER",
    "ø": "ER",
    "œ": "ER",
    "i": "IY",
    "u": "UW",
    "y": "UW",
    "ɯ": "UW",
    "ɑ": "AA",
    "ɒ": "AA",
    "a": "AA",
    "ɔ": "AO",
    "æ": "AE",
    "ʌ": "AH",
    "ə": "AH",
    "ɐ": "AH",
    "ɤ": "AH",
    "ɪ": "IH",
    "ᵻ": "IH",
    "ɨ": "IH",
    "ɛ": "EH",
    "e": "EH",
    "ʊ": "UH",
    "o": "OW",
    "b": "B",
    "β": "B",
    "d": "D",
    "ð": "DH",
    "f": "F",
    "ɡ": "G",
    "g": "G",
    "ɣ": "G",
    "h": "HH",
    "ç": "HH",
    "j": "Y",
    "k": "K",
    "x": "K",
    "l": "L",
    "ɫ": "L",
    "ɬ": "L",
    "ʎ": "L",
    "m": "M",
    "n": "N",
    "ɲ": "N",
    "ŋ": "NG",
    "p": "P",
    "ɹ": "R",
    "r": "R",
    "ʁ": "R",
    "ʀ": "R",
    "s": "S",
    "ʃ": "SH",
    "t": "T",
    "ɾ": "T",  # the American flap in "butter": CMUdict writes T
    "ʔ": "T",  # the glottal stop in "button"
    "θ": "TH",
    "v": "V",
    "w": "W",
    "ʍ": "W",
    "z": "Z",
    "ʒ": "ZH",
}
_LONGEST_IPA = max(map(len, _IPA_TO_ARPABET))
_VOWELS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())
_SYLLABIC = "\u0329"  # the combining mark of "n̩" in "button": a vowel the model needs spelled out


def ipa_to_arpabet(ipa: str) -> list[str]:
    """ARPAbet phones for espeak-ng IPA (NFD codepoints); symbols with no English counterpart are dropped."""
    symbols = unicodedata.normalize("NFD", ipa).replace("ˈ", "").replace("ˌ", "").replace("ː", "")
    phones: list[str] = []
    position = 0
    while position < len(symbols):
        if symbols[position] == _SYLLABIC:
            if phones and (len(phones) == 1 or phones[-2] not in _VOWELS):
                phones.insert(-1, "AH")
            position += 1
            continue
        for size in range(_LONGEST_IPA, 0, -1):
            phone = _IPA_TO_ARPABET.get(symbols[position : position + size])
            if phone is not None:
                phones.append(phone)
                position += size
                break
        else:
            position += 1  # word breaks, palatalization marks and other modifiers
    return phones


def _phonemize(word: str) -> tuple[str, ...]:
    from vocalis.engines.phonemes import espeak_phonemize

    return tuple(ipa_to_arpabet("".join("".join(sentence) for sentence in espeak_phonemize(word))))


@lru_cache(maxsize=4096)
def _espeak_arpabet(word: str) -> tuple[str, ...]:
    """ARPAbet for a word CMUdict lacks, through espeak-ng's English voice."""
    phones = _phonemize(word)
    plain = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    if plain != word:
        # espeak spells out letters English lacks ("Nguyễn": "... u with hook above ..."); the word without
        # its accents is then far closer to what an English reader says.
        unaccented = _phonemize(plain)
        if len(phones) > 1.5 * len(unaccented) + 2:
            return unaccented
    return phones


# --- Transcript to tokens ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    word: int  # index of the transcript word it belongs to
    key: str  # its pronunciation dictionary entry
    phones: int  # number of phones, to share out time when a stretch cannot be aligned


def _tokens(words: Sequence[str], lookup: Callable[[str], str | None]) -> tuple[list[_Token], dict[str, str]]:
    """Dictionary tokens of the transcript's spoken form, and the pronunciations to add for unknown words.

    The joined words are normalized as one text, so "$5 million" or "10 kg" become the words a reader says;
    each spoken token is attributed to the transcript word under its middle character.
    """
    joined = " ".join(words)
    owner = np.empty(len(joined) + 1, dtype=np.int64)
    position = 0
    for index, word in enumerate(words):
        owner[position : position + len(word) + 1] = index  # a word and the space after it
        position += len(word) + 1
    spoken = normalize(joined)
    tokens: list[_Token] = []
    added: dict[str, str] = {}
    for match in _TOKEN.finditer(spoken.text):
        text = match.group().replace("’", "'")
        key = text.lower()
        pronunciation = added.get(key) or lookup(key)
        if pronunciation is None:
            # Cased text lets espeak spell acronyms ("TTS") and read names naturally.
            pronunciation = " ".join(_espeak_arpabet(text))
            if not pronunciation:
                continue  # nothing pronounceable: the word is placed between its neighbours
            added[key] = pronunciation
        word = int(owner[spoken.source_index((match.start() + match.end()) // 2)])
        tokens.append(_Token(word, key, len(pronunciation.split())))
    return tokens, added


# --- Audio levels -----------------------------------------------------------------------------------------


def _frame_levels(audio: np.ndarray) -> np.ndarray:
    """Level in dBFS of each 10 ms frame (the decoder's frame rate)."""
    frames = len(audio) // FRAME_SAMPLES
    blocks = audio[: frames * FRAME_SAMPLES].reshape(frames, FRAME_SAMPLES)
    energy = np.einsum("ij,ij->i", blocks, blocks) / FRAME_SAMPLES  # no squared copy of hours of audio
    return 10 * np.log10(energy + 1e-10)


def _speech_frames(levels: np.ndarray) -> np.ndarray:
    """Frames loud enough to be speech: within 35 dB of the loud end of the recording."""
    if len(levels) == 0:
        return np.zeros(0, dtype=bool)
    return levels > max(float(np.percentile(levels, 95)) - 35.0, -70.0)


def _quietest_frame(levels: np.ndarray, start: int, end: int) -> int:
    """The frame in [start, end) at the middle of its quietest 200 ms."""
    padded = np.pad(levels[start:end], 10, mode="edge")
    smoothed = np.convolve(padded, np.ones(21) / 21, mode="valid")
    return start + int(np.argmin(smoothed))


# --- Decoding ---------------------------------------------------------------------------------------------


@dataclass
class _Timing:
    start: int  # frames
    end: int  # frames, exclusive
    cost: float | None  # nats over the whole token; None when the token was spread, not aligned


def _decoder() -> Any:
    """A fresh decoder per request: it costs about 0.1 s and 30 MB, the C decoder is not thread-safe, and
    the words a request adds to its dictionary go away with it."""
    from pocketsphinx import Decoder

    return Decoder(samprate=SAMPLE_RATE, lm=None, bestpath=False, loglevel="FATAL", **_BEAMS)


def _decode(decoder: Any, audio: np.ndarray, keys: list[str], open_end: bool) -> list[_Timing] | None:
    """Align `keys` in order to all of `audio`; with `open_end` the grammar may stop after any key.

    Returns the timings of the keys it reached, or None when no path survived the beams.
    """
    final = len(keys) + 1 if open_end else len(keys)
    transitions: list[tuple] = [(i, i + 1, 1.0, key) for i, key in enumerate(keys)]
    if open_end:
        transitions += [(i, final, 1.0) for i in range(1, len(keys) + 1)]  # empty moves to the end
    decoder.add_fsg("vocalis_align", decoder.create_fsg("vocalis_align", 0, final, transitions))
    decoder.activate_search("vocalis_align")
    decoder.start_utt()
    decoder.process_raw((np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16).tobytes(), full_utt=True)
    decoder.end_utt()
    segments = decoder.seg()
    if segments is None:
        return None
    timings: list[_Timing] = []
    for segment in segments:
        word = _ALTERNATE.sub("", segment.word)
        if word.startswith(("<", "[", "(")):  # silence, noise and the grammar's empty moves
            continue
        if len(timings) == len(keys) or word != keys[len(timings)]:
            return None
        cost = -_SCORE_SCALE * math.log(max(segment.ascore, 1e-300))
        timings.append(_Timing(segment.start_frame, segment.end_frame + 1, cost))
    if not timings or (not open_end and len(timings) < len(keys)):
        return None
    return timings


def _spread(tokens: Sequence[_Token], speech: np.ndarray, start: int, end: int) -> list[_Timing]:
    """Share [start, end) out among tokens by phone count, over its speech frames where it has any."""
    frames = np.flatnonzero(speech[start:end]) + start
    if len(frames) == 0:
        frames = np.arange(start, max(end, start + 1))
    weights = np.cumsum([0] + [token.phones for token in tokens], dtype=np.float64)
    edges = np.round(weights / weights[-1] * (len(frames) - 1)).astype(int)
    return [
        _Timing(int(frames[a]), int(frames[b]) + (1 if i == len(tokens) - 1 else 0), None)
        for i, (a, b) in enumerate(zip(edges[:-1], edges[1:], strict=True))
    ]


class PocketsphinxAligner:
    """English forced alignment; see the module docstring for the loss scale."""

    name = "pocketsphinx"
    languages: tuple[str, ...] | None = ("en",)

    def __init__(self, window_seconds: float = WINDOW_SECONDS, margin_seconds: float = MARGIN_SECONDS):
        self.window_frames = int(window_seconds * FRAME_RATE)
        self.margin_frames = int(margin_seconds * FRAME_RATE)

    def align(self, audio: np.ndarray, words: list[str], language: str = "en") -> list[AlignedWord]:
        """One `AlignedWord` per input word (16 kHz mono float32 audio), in order, times in seconds."""
        if language.lower().replace("_", "-").split("-")[0] not in {"en", "eng"}:
            raise ValueError(f"language {language!r} is not supported; pocketsphinx aligns English only")
        if not words:
            return []
        audio = np.asarray(audio, dtype=np.float32)
        decoder = _decoder()
        tokens, added = _tokens(words, decoder.lookup_word)
        for number, (key, phones) in enumerate(added.items(), start=1):
            decoder.add_word(key, phones, number == len(added))  # rebuild the search once, at the end
        timings = self._align_tokens(decoder, audio, tokens) if tokens else []
        return _words(words, tokens, timings, len(audio) / SAMPLE_RATE)

    def unload(self) -> None:
        _espeak_arpabet.cache_clear()

    def _align_tokens(self, decoder: Any, audio: np.ndarray, tokens: list[_Token]) -> list[_Timing]:
        levels = _frame_levels(audio)
        speech = _speech_frames(levels)
        total = max(len(levels), 1)
        timings: list[_Timing] = []
        start = 0
        while len(timings) < len(tokens):
            done = len(timings)
            remaining = total - start
            last = remaining <= self.window_frames
            if last:
                end, count, expected = total, len(tokens) - done, len(tokens) - done
            else:
                # Two similar windows rather than a full one and a sliver the decoder has little data for.
                span = self.window_frames if remaining >= 2 * self.window_frames else remaining // 2
                end = _quietest_frame(levels, start + 3 * span // 4, start + span)
                share = speech[start:end].sum() / max(speech[start:].sum(), 1)
                expected = max(1, round((len(tokens) - done) * share))
                count = min(len(tokens) - done, 2 * expected + 20)  # unreached extra tokens cost nothing
            keys = [token.key for token in tokens[done : done + count]]
            window = audio[start * FRAME_SAMPLES : end * FRAME_SAMPLES]
            found = _decode(decoder, window, keys, open_end=not last)
            if found is None:  # the audio and text disagree here: share the window out instead
                timings += _spread(tokens[done : done + expected], speech, start, end)
                start = end
                continue
            if not last:
                # Near an open end the decoder may cut a word short, call a poorly matching stretch
                # silence and stop early, or squeeze in words spoken after the window: only words ending
                # well before the end are kept, and the next window aligns the rest again, in its middle.
                trusted = [t for t in found if t.end <= end - start - self.margin_frames]
                found = trusted or found[:1]
            timings += [_Timing(t.start + start, t.end + start, t.cost) for t in found]
            start = timings[-1].end
        return timings


def _words(
    words: Sequence[str], tokens: Sequence[_Token], timings: Sequence[_Timing], duration: float
) -> list[AlignedWord]:
    """Merge token timings into the transcript's words; words without tokens sit between their neighbours."""
    spans: list[tuple[float, float, float] | None] = [None] * len(words)
    grouped: dict[int, list[_Timing]] = {}
    for token, timing in zip(tokens, timings, strict=True):
        grouped.setdefault(token.word, []).append(timing)
    for index, group in grouped.items():
        frames = sum(t.end - t.start for t in group)
        if any(t.cost is None for t in group):
            loss = UNALIGNED_LOSS
        else:
            loss = min(sum(t.cost or 0.0 for t in group) / max(frames, 1), UNALIGNED_LOSS)
        spans[index] = (group[0].start / FRAME_RATE, group[-1].end / FRAME_RATE, loss)
    aligned: list[AlignedWord] = []
    for index, word in enumerate(words):
        span = spans[index]
        if span is None:
            previous = aligned[-1].end if aligned else None
            following = next((s[0] for s in spans[index + 1 :] if s is not None), None)
            at = previous if previous is not None else following if following is not None else 0.0
            span = (at, at, 0.0)
        start, end, loss = span
        aligned.append(AlignedWord(word, min(start, duration), min(end, duration), loss))
    return aligned
