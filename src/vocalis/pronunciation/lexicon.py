"""Finding where pronunciation rules apply in text.

ElevenLabs: "the dictionary is checked from start to end and only the very first replacement is used". Text
is read left to right; where several rules match at one place the earliest rule wins, and text a rule has
replaced is not looked at again. Several dictionaries of one request act as one, in locator order.

Rules are indexed by their first word, so a request costs a dictionary lookup per word, not a regex per
rule, and a rule's regex is compiled the first time its word appears: a lexicon of thousands of rules stays
cheap to build and to use.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from heapq import merge

from vocalis.pronunciation.rules import Rule

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Match:
    """`rule` applies to `text[start:end]`."""

    start: int
    end: int
    rule: Rule


def _pattern(rule: Rule) -> re.Pattern[str]:
    words = [re.escape(word) for word in rule.string_to_replace.split(" ")]
    body = r"\s+".join(words)
    if rule.word_boundaries:
        # A boundary only where the rule's own edge is a word character: "C++" may end before any letter.
        if _WORD.match(rule.string_to_replace[0]):
            body = r"(?<!\w)" + body
        if _WORD.match(rule.string_to_replace[-1]):
            body += r"(?!\w)"
    return re.compile(body, 0 if rule.case_sensitive else re.IGNORECASE)


class Lexicon:
    """The rules of one or more dictionary versions, ready to match."""

    def __init__(self, rules: Sequence[Rule]):
        self.rules = tuple(rules)
        self._patterns: list[re.Pattern[str] | None] = [None] * len(self.rules)
        # Whole-word rules are found from the word they start with; the others (mid-word rules, rules that
        # start with a symbol) from their first character. Lists stay in rule order.
        self._by_word: dict[str, list[int]] = {}
        self._by_char: dict[str, list[int]] = {}
        for index, rule in enumerate(self.rules):
            first = _WORD.match(rule.string_to_replace)
            if rule.word_boundaries and first:
                self._by_word.setdefault(first.group().casefold(), []).append(index)
            else:
                self._by_char.setdefault(rule.string_to_replace[0].casefold(), []).append(index)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def matches(self, text: str, protected: Sequence[tuple[int, int]] = ()) -> list[Match]:
        """Where rules apply in `text`, in order and never overlapping; no match touches a `protected` range
        (words whose pronunciation the text itself gives)."""
        found: list[Match] = []
        position = 0
        while position < len(text):
            blocked = next((end for start, end in protected if start <= position < end), None)
            if blocked is not None:
                position = blocked
                continue
            candidates = self._by_char.get(text[position].casefold(), [])
            if position == 0 or not _WORD.match(text[position - 1]):
                word = _WORD.match(text, position)
                if word:
                    candidates = list(merge(candidates, self._by_word.get(word.group().casefold(), [])))
            match = None
            for index in candidates:
                pattern = self._patterns[index]
                if pattern is None:  # threads racing here compile the same regex; either copy will do
                    pattern = self._patterns[index] = _pattern(self.rules[index])
                hit = pattern.match(text, position)
                if hit and hit.end() > position and not _overlaps(hit.start(), hit.end(), protected):
                    match = Match(hit.start(), hit.end(), self.rules[index])
                    break
            if match is None:
                position += 1
                continue
            found.append(match)
            position = match.end
        return found


def _overlaps(start: int, end: int, ranges: Sequence[tuple[int, int]]) -> bool:
    return any(start < range_end and range_start < end for range_start, range_end in ranges)
