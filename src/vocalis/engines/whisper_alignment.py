"""Forced alignment with Whisper, for the languages pocketsphinx lacks: the transcript's tokens are forced
through the decoder and CTranslate2's `Whisper.align` finds, by dynamic time warping over the
cross-attention of Whisper's alignment heads, the 20 ms encoder frame where each token starts.

Whisper hears 30 s at a time. Longer audio is first transcribed with word timestamps; the transcript's
words are matched to the recognized ones and the text is cut, between two matched words, inside each
window. Attention timing is coarse and a pause goes to the word after it, so the word edges are then moved
onto the pauses that Silero VAD and the signal energy find.

Scripts written without spaces (Japanese, Chinese, Thai...) are aligned character by character: a
whitespace-separated "word" of such text may be a whole sentence, and each of its characters is timed from
the tokens that spell it.

`AlignedWord.loss` is the mean negative log-probability, in nats, of the word's tokens when the decoder is
forced through the transcript: 0 would be certainty. Measured: words that are spoken mostly score 0-3 (a
transcript's mean 0.1-0.8 on read speech in six languages, 1.1-1.3 on spontaneous English with fillers);
a transcript of other speech 6-10 (mean 8-10). Words that could not be aligned and were spread over their
window get `UNALIGNED_LOSS`.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vocalis.engines.protocols import AlignedWord, RecognizedWord
from vocalis.engines.vad import SileroVad
from vocalis.speech.timing import MIN_WORD_SECONDS, quiet_runs, rescale

SAMPLE_RATE = 16000
WINDOW_SECONDS = 30.0  # Whisper's input length
FRAMES_PER_SECOND = 50  # encoder frames: 2 mel frames of 10 ms each
MEDIAN_FILTER_WIDTH = 7  # Whisper's own smoothing of the attention weights
# The decoder holds 448 tokens: the start sequence (up to 3) and the end token leave this many for text.
MAX_TEXT_TOKENS = 440
# Attention-derived boundaries come out early: against the MFA reference alignments of the English corpus
# the median word edge is 40-70 ms before the reference, so every time is moved two encoder frames later
# (median error 50-100 ms -> 30-70 ms; against the Leopard timings of five other languages 50-100 -> 40-70).
LATENCY_SECONDS = 0.04
MIN_PAUSE_SECONDS = 0.1  # shorter silences are mostly stop closures inside words
UNALIGNED_LOSS = 10.0
# The VAD's own speech padding would hide short pauses between words.
_PAUSE_VAD = SileroVad(min_silence_duration_ms=100, speech_pad_ms=30)
_SPACELESS = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]"
)

Recognize = Callable[[np.ndarray], list[RecognizedWord]]


# --- Units of alignment -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    """A whole word of spaced text, or one character of text written without spaces."""

    word: int
    first: int  # the unit's characters within the word: [first, last)
    last: int
    spaced: bool


def _units(words: Sequence[str]) -> list[_Unit]:
    units = []
    for index, word in enumerate(words):
        if _SPACELESS.search(word):
            units += [_Unit(index, position, position + 1, False) for position in range(len(word))]
        else:
            units.append(_Unit(index, 0, len(word), True))
    return units


def _text(words: Sequence[str], unit: _Unit) -> str:
    return words[unit.word][unit.first : unit.last]


def _key(text: str) -> str:
    """A unit as compared with the recognizer's words: case-folded letters and digits only."""
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())


# --- One window -------------------------------------------------------------------------------------------


@dataclass
class _Timed:
    characters: list[tuple[float, float]]  # per character of the unit, in seconds of the whole audio
    nll: float  # summed negative log-probability of the tokens that start in this unit
    tokens: int
    aligned: bool = True


class _Window:
    """The tokens of some units, each with the unit and character it belongs to."""

    def __init__(self, tokenizer: Any, words: Sequence[str], units: Sequence[_Unit]):
        text = ""
        owners: list[tuple[int, int] | None] = []  # per character of `text`: (unit, character) or None
        for index, unit in enumerate(units):
            if unit.spaced:  # Whisper writes a word of spaced text with its leading space
                text += " "
                owners.append(None)
            piece = _text(words, unit)
            text += piece
            owners += [(index, k) for k in range(len(piece))]
        encoding = tokenizer.encode(text, add_special_tokens=False)
        self.ids: list[int] = list(encoding.ids)
        # Characters of each token; a character split over several tokens (multi-byte) is in each of them.
        self.spans = [[owners[c] for c in range(a, b) if owners[c] is not None] for a, b in encoding.offsets]


def _align_window(
    model: Any, audio: np.ndarray, offset: float, words: Sequence[str], units: Sequence[_Unit], language: str
) -> list[_Timed] | None:
    """Character times of `units` spoken in `audio` (at most 30 s, starting `offset` s into the file)."""
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer

    window = _Window(model.hf_tokenizer, words, units)
    if not window.ids or len(window.ids) > MAX_TEXT_TOKENS:
        return None
    tokenizer = Tokenizer(
        model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language
    )
    features = model.feature_extractor(audio)
    frames = min(features.shape[-1] - 1, model.feature_extractor.nb_max_frames)
    (result,) = model.model.align(
        model.encode(pad_or_trim(features)),
        tokenizer.sot_sequence,
        [window.ids],
        frames,
        median_filter_width=MEDIAN_FILTER_WIDTH,
    )
    token_index = np.array([pair[0] for pair in result.alignments])
    frame_index = np.array([pair[1] for pair in result.alignments])
    # The path's first frame on each token is where the token starts; the end token closes the last one.
    starts = (frame_index[np.diff(token_index, prepend=-1) > 0] / FRAMES_PER_SECOND + offset).tolist()
    if len(starts) != len(window.ids) + 1:
        return None
    timed = [_Timed([(math.inf, -math.inf)] * (unit.last - unit.first), 0.0, 0) for unit in units]
    for k, (span, probability) in enumerate(zip(window.spans, result.text_token_probs, strict=True)):
        if not span:
            continue
        step = (starts[k + 1] - starts[k]) / len(span)
        for j, (unit, character) in enumerate(span):
            a, b = timed[unit].characters[character]
            timed[unit].characters[character] = (
                min(a, starts[k] + j * step),
                max(b, starts[k] + (j + 1) * step),
            )
        owner = timed[span[0][0]]
        owner.nll += -math.log(max(probability, 1e-12))
        owner.tokens += 1
    previous = offset
    for result in timed:  # a character no token spells (none known, but offsets are the tokenizer's) sits
        for k, (a, b) in enumerate(result.characters):  # at the end of the one before it
            result.characters[k] = (a, b) if a <= b else (previous, previous)
            previous = result.characters[k][1]
    return timed


def _spread(units: Sequence[_Unit], start: float, end: float) -> list[_Timed]:
    """Share [start, end] out among `units` by length: for text the windows could not align."""
    lengths = np.cumsum([0] + [unit.last - unit.first for unit in units], dtype=np.float64)
    edges = start + (end - start) * lengths / max(lengths[-1], 1.0)
    timed = []
    for index, unit in enumerate(units):
        step = (edges[index + 1] - edges[index]) / (unit.last - unit.first)
        characters = [
            (edges[index] + k * step, edges[index] + (k + 1) * step) for k in range(unit.last - unit.first)
        ]
        timed.append(_Timed(characters, 0.0, 0, aligned=False))
    return timed


# --- Windows over long audio ------------------------------------------------------------------------------


def _anchors(
    words: Sequence[str], units: Sequence[_Unit], recognized: Sequence[RecognizedWord]
) -> dict[int, tuple[float, float]]:
    """Recognized times of the units that match the recognizer's transcript, by unit index."""
    heard: list[tuple[str, float, float]] = []
    for word in recognized:
        text = word.text.strip()
        if _SPACELESS.search(text):  # the recognizer's word is characters too: share its time out
            step = (word.end - word.start) / max(len(text), 1)
            heard += [
                (_key(c), word.start + i * step, word.start + (i + 1) * step) for i, c in enumerate(text)
            ]
        else:
            heard.append((_key(text), word.start, word.end))
    heard = [h for h in heard if h[0]]
    keyed = [(index, _key(_text(words, unit))) for index, unit in enumerate(units)]
    keyed = [(index, key) for index, key in keyed if key]
    matcher = difflib.SequenceMatcher(a=[k for _, k in keyed], b=[h[0] for h in heard], autojunk=False)
    anchors = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            anchors[keyed[block.a + k][0]] = heard[block.b + k][1:]
    return anchors


def _windows(
    audio: np.ndarray, token_counts: Sequence[int], anchors: dict[int, tuple[float, float]]
) -> list[tuple[float, float, int, int]]:
    """(start s, end s, first unit, end unit) of windows of at most 30 s and MAX_TEXT_TOKENS tokens, cut in
    the gap between two matched units, the widest gap in the second half of the window where there is one."""
    duration = len(audio) / SAMPLE_RATE
    tokens = np.concatenate([[0], np.cumsum(token_counts)])
    count = len(token_counts)
    windows = []
    start, first = 0.0, 0
    while first < count:
        if duration - start <= WINDOW_SECONDS and tokens[count] - tokens[first] <= MAX_TEXT_TOKENS:
            windows.append((start, duration, first, count))
            break
        cuts = []  # (gap, cut time, last unit of the window + 1)
        for unit in range(first, count - 1):
            if tokens[unit + 1] - tokens[first] > MAX_TEXT_TOKENS:
                break
            if unit in anchors and unit + 1 in anchors:
                gap_start, gap_end = anchors[unit][1], anchors[unit + 1][0]
                if gap_start > start + WINDOW_SECONDS:
                    break  # matched units come in the order of the audio
                cut = (gap_start + max(gap_end, gap_start)) / 2
                if start < cut <= start + WINDOW_SECONDS:
                    cuts.append((gap_end - gap_start, cut, unit + 1))
        late = [c for c in cuts if c[1] > start + WINDOW_SECONDS / 2]
        if late:
            _, cut, end = max(late)
        elif cuts:
            _, cut, end = max(cuts, key=lambda c: c[1])
        else:  # nothing recognized matches the text here: cut both in proportion
            share = min(WINDOW_SECONDS / (duration - start), 1.0)
            end = first + max(1, round((count - first) * share))
            while end > first + 1 and tokens[end] - tokens[first] > MAX_TEXT_TOKENS:
                end -= 1
            cut = min(start + (duration - start) * (end - first) / (count - first), start + WINDOW_SECONDS)
        windows.append((start, cut, first, end))
        start, first = cut, end
    return windows


# --- Pauses -----------------------------------------------------------------------------------------------


def _pauses(audio: np.ndarray) -> list[tuple[float, float]]:
    """Stretches without speech: the gaps between Silero VAD's speech regions and the silences in the
    signal energy, merged, at least MIN_PAUSE_SECONDS long."""
    duration = len(audio) / SAMPLE_RATE
    edges = [0.0, *(t for region in _PAUSE_VAD.speech_segments(audio) for t in region), duration]
    runs = sorted([*zip(edges[::2], edges[1::2]), *quiet_runs(audio, SAMPLE_RATE)])
    merged: list[tuple[float, float]] = []
    for start, end in runs:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return [(start, end) for start, end in merged if end - start >= MIN_PAUSE_SECONDS]


def _fit_to_pauses(spans: list[list[float]], pauses: Sequence[tuple[float, float]], duration: float) -> None:
    """Move unit edges onto pauses, in place.

    The warping path stays on the token it will move to next while nothing is said, so a pause shows up at
    the start of the following unit, or across the boundary of two units. Such a pause becomes the gap
    between the two units (the first unit's start or the last unit's end where it lies at an end); of several
    pauses for one boundary the longest is used.
    """
    count = len(spans)
    chosen: dict[int, tuple[float, float]] = {}
    for start, end in pauses:
        # Boundary b lies before unit b (b = count: after the last unit).
        boundary = next(
            (b for b in range(count + 1) if start <= (spans[b][0] if b < count else spans[-1][1]) <= end),
            None,
        )
        if boundary is None:
            boundary = next((b for b, (s, e) in enumerate(spans) if s < start and end < e), None)
        if boundary is None:
            continue
        low = spans[boundary - 1][0] + MIN_WORD_SECONDS if boundary > 0 else 0.0
        high = spans[boundary][1] - MIN_WORD_SECONDS if boundary < count else duration
        start, end = max(start, low), min(end, high)
        if end - start < MIN_PAUSE_SECONDS / 2:
            continue
        if boundary not in chosen or end - start > chosen[boundary][1] - chosen[boundary][0]:
            chosen[boundary] = (start, end)
    for boundary, (start, end) in chosen.items():
        if boundary > 0:
            spans[boundary - 1][1] = start
        if boundary < count:
            spans[boundary][0] = end


# --- The aligner ------------------------------------------------------------------------------------------


def align_words(
    model: Any, audio: np.ndarray, words: list[str], language: str, recognize: Recognize
) -> list[AlignedWord]:
    """One `AlignedWord` per input word, with character times; `model` is a faster-whisper `WhisperModel`,
    `recognize` transcribes audio into timed words (used only for audio longer than one window)."""
    samples = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
    duration = len(samples) / SAMPLE_RATE
    units = _units(words)
    if not units:
        return []
    token_counts = [
        len(_Window(model.hf_tokenizer, words, [unit]).ids) for unit in units
    ]  # the same as in a window: pre-tokenization splits at spaces, and characters stand alone
    long = duration > WINDOW_SECONDS or sum(token_counts) > MAX_TEXT_TOKENS
    anchors = _anchors(words, units, recognize(samples)) if long else {}
    timed: list[_Timed] = []
    for start, end, first, last in _windows(samples, token_counts, anchors):
        clip = samples[round(start * SAMPLE_RATE) : round(end * SAMPLE_RATE)]
        found = _align_window(model, clip, start, words, units[first:last], language)
        timed += found if found is not None else _spread(units[first:last], start, end)
    return _words(words, units, timed, _pauses(samples), duration)


def _words(
    words: Sequence[str],
    units: Sequence[_Unit],
    timed: Sequence[_Timed],
    pauses: Sequence[tuple[float, float]],
    duration: float,
) -> list[AlignedWord]:
    """Unit times calibrated and fitted to pauses, gathered into words."""
    characters: list[list[tuple[float, float]]] = [[(0.0, 0.0)] * len(word) for word in words]
    flat: list[tuple[float, float]] = []
    for result in timed:
        shift = LATENCY_SECONDS if result.aligned else 0.0
        flat += [(min(a + shift, duration), min(b + shift, duration)) for a, b in result.characters]
    spans = []
    position = 0
    for unit in units:
        size = unit.last - unit.first
        spans.append([flat[position][0], flat[position + size - 1][1]])
        position += size
    _fit_to_pauses(spans, pauses, duration)
    position = 0
    for unit, (start, end) in zip(units, spans, strict=True):
        size = unit.last - unit.first
        rescale(flat, position, position + size, start, end)
        characters[unit.word][unit.first : unit.last] = flat[position : position + size]
        position += size
    nll = [0.0] * len(words)
    tokens = [0] * len(words)
    unaligned = [False] * len(words)
    for unit, result in zip(units, timed, strict=True):
        nll[unit.word] += result.nll
        tokens[unit.word] += result.tokens
        unaligned[unit.word] |= not result.aligned
    aligned = []
    for index, word in enumerate(words):
        loss = UNALIGNED_LOSS if unaligned[index] else min(nll[index] / max(tokens[index], 1), UNALIGNED_LOSS)
        times = characters[index]
        aligned.append(AlignedWord(word, times[0][0], times[-1][1], loss, times))
    return aligned


def detect_language(model: Any, audio: np.ndarray) -> tuple[str, float]:
    """Whisper's language of the first 30 s of speech in `audio`, and its probability."""
    samples = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
    regions = SileroVad().speech_segments(samples)
    if regions:  # leading silence or music would take the window's place
        samples = np.concatenate(
            [samples[round(a * SAMPLE_RATE) : round(b * SAMPLE_RATE)] for a, b in regions]
        )
    language, probability, _ = model.detect_language(audio=samples[: int(WINDOW_SECONDS * SAMPLE_RATE)])
    return language, float(probability)
