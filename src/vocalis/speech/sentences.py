"""Sentence chunking for streaming synthesis: short natural pieces let the first audio start early and keep
every engine call within the length its model renders well.
"""

from __future__ import annotations

import re

_BOUNDARY = re.compile(
    r"""(?P<stop>[.!?…]+) ["'”’)\]»]* (?=\s|$)   # Western stops need a space (or the end) after them
      | [。！？]+ [」』）"”’]*                    # CJK stops do not
      | \n""",
    re.VERBOSE,
)
# Words whose period is not a sentence end ("Dr. Smith"); the second set only before a number ("No. 5").
_ABBREVIATIONS = frozenset(
    "mr mrs ms mx dr prof rev st mt ft gen col capt lt sgt gov sen rep hon vs etc approx dept est "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
_BEFORE_NUMBER = frozenset("no nos vol fig figs ch sec pp p eq art op".split())
_SPACE = re.compile(r"\s*")
_CLAUSE = re.compile(r"[,;:—–](?=\s)|[、，；：]")


def _ends_sentence(text: str, stop: str, stop_start: int, next_start: int) -> bool:
    """Whether a run of "." / "…" / "!" / "?" ending before `next_start` closes a sentence."""
    if "!" in stop or "?" in stop:
        return True
    if text[next_start : next_start + 1].islower():
        return False  # "Well… maybe", "e.g. this": a sentence does not go on in lower case
    if stop != ".":
        return True
    words = text[max(0, stop_start - 20) : stop_start].split()
    word = words[-1].lstrip("\"'“‘([") if words else ""
    if word.lower() in _ABBREVIATIONS:
        return False
    if word.lower() in _BEFORE_NUMBER and text[next_start : next_start + 1].isdigit():
        return False
    # Initials and dotted abbreviations: "J. K. Rowling", "U.S.", "e.g."
    return not (len(word) == 1 and word.isupper()) and not re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", word)


def _split_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut one over-long sentence at clause punctuation, else at a space, else anywhere."""
    pieces = []
    while True:
        content = _SPACE.match(text, start).end()  # the piece's first non-space character
        if len(text[content:end].rstrip()) <= max_chars:
            pieces.append((start, end))
            return pieces
        limit = content + max_chars  # the piece's words must end by here
        clauses = [m.end() for m in _CLAUSE.finditer(text, content, min(limit + 1, end))]
        space = next((i for i in range(limit, content, -1) if text[i].isspace()), None)
        if clauses and clauses[-1] - content >= max_chars // 3:  # a clause, unless it leaves a scrap
            cut = clauses[-1]
        elif space is not None:
            cut = space
        elif clauses:
            cut = clauses[-1]
        else:
            cut = limit
        cut = _SPACE.match(text, cut).end()
        pieces.append((start, cut))
        start = cut


def split_sentences(text: str, max_chars: int = 300) -> list[tuple[int, int]]:
    """`(start, end)` spans covering `text` in order, one per sentence (trailing whitespace included).

    Splits after ".", "!", "?", "…" (not after abbreviations such as "Dr.", "e.g.", "U.S.", initials, nor
    inside "3.14"), after CJK "。！？" and at line breaks. A sentence whose words are longer than `max_chars`
    is cut at the last clause mark (, ; : dash) or space that keeps it within `max_chars`.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    ends: list[int] = []
    for match in _BOUNDARY.finditer(text):
        next_start = _SPACE.match(text, match.end()).end()
        if match["stop"] and not _ends_sentence(text, match["stop"], match.start(), next_start):
            continue
        if not ends or next_start > ends[-1]:
            ends.append(next_start)
    if text and (not ends or ends[-1] < len(text)):
        ends.append(len(text))
    spans: list[tuple[int, int]] = []
    start = 0
    for end in ends:
        spans.extend(_split_long(text, start, end, max_chars))
        start = end
    return spans
