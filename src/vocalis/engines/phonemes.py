"""English text to IPA phonemes through the espeak-ng bundled with piper, each phoneme traced back to the
span of input text it sounds, so engines can turn phoneme durations into per-character timings.
"""

from __future__ import annotations

import difflib
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

Span = tuple[int, int]

# espeak's clause terminators (kept by piper's phonemizer) and the word separator.
_BREAKS = frozenset(" ,.;:!?")
# Marks ignored when comparing contextual and per-word phonemes: stress and length vary with context.
_IGNORED = str.maketrans("", "", "ˈˌː")
# Characters that are never spoken at the edges of a word ("(hi)," -> "hi").
_SILENT_EDGES = ".,;:!?…\"'“”‘’«»()[]{}-–—_*"
# A gap between aligned stretches larger than this (cells) is mapped proportionally instead of by DP.
_MAX_DP_CELLS = 4000
_MAX_GROUP = 12

_lock = threading.Lock()
_espeak = None


@dataclass(frozen=True)
class PhonemeSentence:
    """Phonemes of one espeak sentence, covering `text[text_start:text_end]` of the phonemized text.

    `phonemes` are single codepoints (NFD), including " " between words and clause punctuation, exactly
    as piper's phonemizer gives them; `spans[i]` is the `(start, end)` text range phoneme `i` sounds.
    `lead_span` and `tail_span` are where the silence before and after the sentence belongs.
    """

    text_start: int
    text_end: int
    phonemes: tuple[str, ...]
    spans: tuple[Span, ...]
    lead_span: Span
    tail_span: Span


@dataclass
class _Word:
    start: int  # core span: the word without silent punctuation at its edges
    end: int
    units: list[str]  # its espeak words when phonemized alone, normalized


def espeak_language(language: str) -> str:
    """The espeak voice for a request language; engines here speak English only."""
    if language.lower().replace("_", "-").split("-")[0] != "en":
        raise ValueError(f"language {language!r} is not supported; this engine speaks English")
    return "en-us"


def clamp_speed(speed: float) -> float:
    """Pace factors outside 0.25..4 make models stutter or mumble."""
    return min(max(speed, 0.25), 4.0)


def espeak_phonemize(text: str, language: str = "en-us") -> list[list[str]]:
    """Sentences of phoneme codepoints (NFD) the way piper's `EspeakPhonemizer` writes them, except that
    every clause not ending a sentence is followed by a space (piper glues a clause cut at "..." or a
    quote to the next word). espeak-ng has global state, so calls are serialized.
    """
    global _espeak
    with _lock:
        if _espeak is None:
            from piper import espeakbridge
            from piper.phonemize_espeak import EspeakPhonemizer

            EspeakPhonemizer()  # loads espeak-ng with the data bundled in piper
            _espeak = espeakbridge
        _espeak.set_voice(language)
        clauses = _espeak.get_phonemes(text)
    sentences: list[list[str]] = []
    current: list[str] = []
    for phonemes, terminator, end_of_sentence in clauses:
        # "(fr)" and the like mark language switches; they are not phonemes.
        current += unicodedata.normalize("NFD", re.sub(r"\([^)]+\)", "", phonemes) + terminator)
        if end_of_sentence:
            sentences.append(current)
            current = []
        else:
            current.append(" ")
    while current and current[-1] == " ":
        current.pop()
    if current:
        sentences.append(current)
    return sentences


def _split_words(phonemes: Sequence[str]) -> list[str]:
    """Espeak words of a phoneme sequence: runs between spaces and punctuation."""
    return [w for w in re.split(r"[ ,.;:!?]+", "".join(phonemes)) if w]


def _norm(word: str) -> str:
    return word.translate(_IGNORED)


def _text_words(text: str, language: str) -> list[_Word]:
    words = []
    for match in re.finditer(r"\S+", text):
        token = match.group()
        stripped = token.strip(_SILENT_EDGES)
        if not stripped:
            continue
        start = match.start() + token.index(stripped)
        units = [_norm(u) for s in espeak_phonemize(stripped, language) for u in _split_words(s)]
        words.append(_Word(start, start + len(stripped), [u for u in units if u]))
    return words


def _distance(a: str, b: str) -> float:
    """Levenshtein distance normalized to 0..1."""
    if a == b:
        return 0.0
    if not a or not b:
        return 1.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1] / max(len(a), len(b))


def _align_gap(ctx: list[str], units: list[str]) -> list[list[int]]:
    """For each contextual word in a gap, the indices (into `units`) it sounds; DP over groupings."""
    n, m = len(ctx), len(units)
    if not m:
        return [[] for _ in ctx]
    if n * m > _MAX_DP_CELLS:
        # Proportional fallback for huge mismatches: place words by cumulative phoneme length.
        total_c = sum(len(c) for c in ctx) or 1
        bounds, acc = [], 0
        for u in units:
            acc += len(u)
            bounds.append(acc / (sum(len(u) for u in units) or 1))
        out, acc = [], 0
        for c in ctx:
            mid = (acc + len(c) / 2) / total_c
            acc += len(c)
            out.append([next((k for k, b in enumerate(bounds) if mid <= b), m - 1)])
        return out
    inf = float("inf")
    cost = [[inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    cost[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            here = cost[i][j]
            if here == inf:
                continue
            steps = [(1, 0, 1.0), (0, 1, 1.0)]  # espeak word without a unit, unit left unsaid
            steps += [(a, 1, None) for a in range(1, min(_MAX_GROUP, n - i) + 1)]
            steps += [(1, b, None) for b in range(2, min(_MAX_GROUP, m - j) + 1)]
            for a, b, fixed in steps:
                if i + a > n or j + b > m:
                    continue
                step = (
                    fixed
                    if fixed is not None
                    else _distance("".join(ctx[i : i + a]), "".join(units[j : j + b]))
                )
                if here + step < cost[i + a][j + b]:
                    cost[i + a][j + b] = here + step
                    back[i + a][j + b] = (a, b)
    out: list[list[int]] = [[] for _ in ctx]
    i, j = n, m
    while i or j:
        a, b = back[i][j]  # type: ignore[misc]
        for k in range(i - a, i):
            out[k] = list(range(j - b, j)) if b else []
        i, j = i - a, j - b
    # An espeak word with no unit sounds the nearest unit before it (or the first one).
    last = [0]
    for k, units_of in enumerate(out):
        if units_of:
            last = units_of[-1:]
        else:
            out[k] = last
    return out


def _align(ctx: list[str], units: list[str]) -> list[list[int]]:
    """Map every contextual espeak word to the per-word units it sounds (monotonic)."""
    matcher = difflib.SequenceMatcher(None, ctx, units, autojunk=False)
    out: list[list[int]] = [[] for _ in ctx]
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                out[i1 + k] = [j1 + k]
        elif i2 > i1:
            gap = _align_gap(ctx[i1:i2], units[j1:j2])
            for k, local in enumerate(gap):
                if local:
                    out[i1 + k] = [j1 + u for u in local]
                else:
                    # Nothing on the text side here: lean on the unit just before (or after) the gap.
                    out[i1 + k] = [max(j1 - 1, 0)] if j1 > 0 or not units else [min(j1, len(units) - 1)]
    return out


def phonemize(
    text: str, language: str = "en-us", given: Sequence[tuple[int, int, str]] = ()
) -> list[PhonemeSentence]:
    """Phonemize `text` into espeak sentences whose spans tile the text from 0 to `len(text)`.

    espeak phonemizes the whole text in one call, so it keeps its context (reduced function words,
    numbers, abbreviations), but it merges and rewrites words ("in the" -> "ɪnðə", "42" -> "fˈɔːɹɾi
    tˈuː"). Each whitespace-separated word is therefore also phonemized on its own, and the contextual
    espeak words are aligned to those per-word units: exact matches first (difflib, stress and length
    marks ignored), then a small edit-distance alignment inside the stretches that differ, where one
    espeak word may cover several text words (its phonemes are split in proportion) or several espeak
    words one text word. Spaces and punctuation between two words belong to the text between them; a
    sentence's leading and trailing silence to the text before its first and after its last word.
    Sentences without any sounded word are dropped (their text joins a neighbour's span).

    `given` holds `(start, end, ipa)` for words whose pronunciation the request gave: their phonemes are
    `ipa` (espeak-style IPA) instead of espeak's reading, spanning `text[start:end]`.
    """
    words = _text_words(text, language)
    units, unit_word = [], []
    for w_index, word in enumerate(words):
        for unit in word.units:
            units.append(unit)
            unit_word.append(w_index)
    sentences = [s for s in espeak_phonemize(text, language) if _split_words(s)]
    if not words or not units or not sentences:
        return []

    # Contextual espeak words of the whole text and, per sentence, the phoneme runs that form them.
    ctx: list[str] = []
    runs: list[list[tuple[int, int, int | None]]] = []  # per sentence: (start, end, ctx index or None)
    for phonemes in sentences:
        sentence_runs = []
        i = 0
        while i < len(phonemes):
            is_break = phonemes[i] in _BREAKS
            j = i
            while j < len(phonemes) and (phonemes[j] in _BREAKS) == is_break:
                j += 1
            if is_break:
                sentence_runs.append((i, j, None))
            else:
                sentence_runs.append((i, j, len(ctx)))
                ctx.append(_norm("".join(phonemes[i:j])))
            i = j
        runs.append(sentence_runs)
    ctx_units = _align(ctx, units)

    def word_spans(c_index: int, length: int) -> list[Span]:
        """Spans for the `length` phonemes of contextual word `c_index`, split over the words it covers."""
        owners: list[tuple[int, int]] = []  # (word index, weight)
        for u in ctx_units[c_index]:
            w = unit_word[u]
            if owners and owners[-1][0] == w:
                owners[-1] = (w, owners[-1][1] + len(units[u]))
            else:
                owners.append((w, len(units[u])))
        total = sum(weight for _, weight in owners) or 1
        spans, acc = [], 0
        for w, weight in owners:
            upto = round(length * (acc + weight) / total)
            spans += [(words[w].start, words[w].end)] * (upto - len(spans))
            acc += weight
        return spans

    # A sentence that starts inside the previous one's last word ("Mr.Smith") joins that sentence, so
    # sentence spans never share a word.
    merged_sentences: list[list[str]] = []
    merged_runs: list[list[tuple[int, int, int | None]]] = []
    firsts: list[int] = []
    last_word = -1
    for phonemes, sentence_runs in zip(sentences, runs, strict=True):
        owned = [c for _, _, c in sentence_runs if c is not None]
        first = unit_word[ctx_units[owned[0]][0]]
        if merged_sentences and first <= last_word:
            offset = len(merged_sentences[-1]) + 1
            merged_runs[-1].append((offset - 1, offset, None))
            merged_runs[-1] += [(i + offset, j + offset, c) for i, j, c in sentence_runs]
            merged_sentences[-1] = merged_sentences[-1] + [" "] + phonemes
        else:
            merged_sentences.append(list(phonemes))
            merged_runs.append(list(sentence_runs))
            firsts.append(first)
        last_word = max(last_word, unit_word[ctx_units[owned[-1]][-1]])
    sentences, runs = merged_sentences, merged_runs
    starts = [0] + [words[w].start for w in firsts[1:]]
    result = []
    for s_index, (phonemes, sentence_runs) in enumerate(zip(sentences, runs, strict=True)):
        text_start = starts[s_index]
        text_end = starts[s_index + 1] if s_index + 1 < len(starts) else len(text)
        spans: list[Span] = [(0, 0)] * len(phonemes)
        owner_of = {}
        for i, j, c in sentence_runs:
            if c is not None:
                spans[i:j] = word_spans(c, j - i)
                owner_of[i] = unit_word[ctx_units[c][0]], unit_word[ctx_units[c][-1]]
        first_word = owner_of[min(owner_of)][0]
        last_word = owner_of[max(owner_of)][1]
        for r_index, (i, j, c) in enumerate(sentence_runs):
            if c is not None:
                continue
            before = next(
                (owner_of[x][1] for x, _, cc in reversed(sentence_runs[:r_index]) if cc is not None), None
            )
            after = next(
                (owner_of[x][0] for x, _, cc in sentence_runs[r_index + 1 :] if cc is not None), None
            )
            if before is None:
                gap = (text_start, words[after].start) if after is not None else (text_start, text_end)
            elif after is None:
                gap = (words[before].end, text_end)
            elif before == after:
                gap = (words[before].start, words[before].end)
            else:
                gap = (words[before].end, words[after].start)
            if gap[0] >= gap[1]:
                # Words written together ("hello-world"): the break belongs to the word before it.
                near = words[before if before is not None else after]
                gap = (near.start, near.end)
            spans[i:j] = [gap] * (j - i)
        lead = (text_start, words[first_word].start)
        tail = (words[last_word].end, text_end)
        result.append(
            PhonemeSentence(
                text_start=text_start,
                text_end=text_end,
                phonemes=tuple(phonemes),
                spans=tuple(spans),
                lead_span=lead if lead[0] < lead[1] else (words[first_word].start, words[first_word].end),
                tail_span=tail if tail[0] < tail[1] else (words[last_word].start, words[last_word].end),
            )
        )
    return [_with_given(sentence, given) for sentence in result] if given else result


def _with_given(sentence: PhonemeSentence, given: Sequence[tuple[int, int, str]]) -> PhonemeSentence:
    """`sentence` with the phonemes espeak read for each given word replaced by the given ones.

    A given word's phonemes are the sounded ones whose spans lie inside it; the run from its first to its
    last (word breaks inside a phrase included) becomes its IPA. Breaks around the word stay.
    """
    phonemes, spans = list(sentence.phonemes), list(sentence.spans)
    for start, end, ipa in sorted(given, reverse=True):  # from the end, so earlier indices stay valid
        inside = [
            index
            for index, (span, phoneme) in enumerate(zip(spans, phonemes, strict=True))
            if phoneme not in _BREAKS and start <= span[0] and span[1] <= end and span[0] < span[1]
        ]
        if not inside:
            continue
        symbols = list(unicodedata.normalize("NFD", ipa))
        phonemes[inside[0] : inside[-1] + 1] = symbols
        spans[inside[0] : inside[-1] + 1] = [(start, end)] * len(symbols)
    return replace(sentence, phonemes=tuple(phonemes), spans=tuple(spans))


def substitute(
    phonemes: Sequence[str], spans: Sequence[Span], table: Sequence[tuple[str, str]]
) -> tuple[list[str], list[Span]]:
    """Rewrite phoneme sequences by `table` (longest match first), keeping each output's text span."""
    ordered = sorted(table, key=lambda kv: -len(kv[0]))
    out: list[str] = []
    out_spans: list[Span] = []
    i = 0
    while i < len(phonemes):
        for old, new in ordered:
            if "".join(phonemes[i : i + len(old)]) == old:
                out += list(new)
                out_spans += [spans[i]] * len(new)
                i += len(old)
                break
        else:
            out.append(phonemes[i])
            out_spans.append(spans[i])
            i += 1
    return out, out_spans


def char_times(
    text_start: int, text_end: int, spans: Sequence[Span], seconds: Sequence[float]
) -> list[tuple[float, float]]:
    """Per-character (start, end) times for `text[text_start:text_end]` from timed phoneme spans.

    `spans[i]` is sounded for `seconds[i]`, in order from time 0. Each span's time is split evenly over its
    characters; characters no phoneme sounds get a zero-length time where the speech is at that moment.
    """
    first: dict[Span, float] = {}
    last: dict[Span, float] = {}
    t = 0.0
    for span, dt in zip(spans, seconds, strict=True):
        first.setdefault(span, t)
        t += float(dt)
        last[span] = t
    char_start: list[float | None] = [None] * (text_end - text_start)
    char_end: list[float] = [0.0] * (text_end - text_start)
    for span, t0 in first.items():
        s, e = max(span[0], text_start), min(span[1], text_end)
        step = last[span] - t0
        for k in range(s, e):
            char_start[k - text_start] = t0 + step * (k - s) / (e - s)
            char_end[k - text_start] = t0 + step * (k + 1 - s) / (e - s)
    times: list[tuple[float, float]] = []
    now = 0.0
    for k in range(text_end - text_start):
        begin = char_start[k]
        if begin is None:
            times.append((now, now))
            continue
        start = max(begin, now)
        end = max(char_end[k], start)
        times.append((start, end))
        now = end
    return times
