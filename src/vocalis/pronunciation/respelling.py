"""A text part as the engine should say it: dictionary aliases and given phonemes applied, the rest
normalized, with the map from spoken text back to the request text that alignments need.

An alias replaces its words the way the normalizer replaces "$5" with "five dollars": one rewritten span,
so `alignment` keeps spelling the request text while `normalized_alignment` spells the alias. Words with
given phonemes (SSML `<phoneme>`, phoneme rules) are kept as written, untouched by the normalizer, and their
IPA goes to the engine with their position in the spoken text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vocalis.pronunciation.lexicon import Lexicon
from vocalis.pronunciation.phonetics import engine_ipa
from vocalis.speech.normalization import NormalizedText, Span

Pronunciation = tuple[int, int, str]  # (start, end, IPA) in spoken text


@dataclass(frozen=True)
class Respelled:
    normalized: NormalizedText  # `source` is the part's text, `text` what the engine says
    pronunciations: tuple[Pronunciation, ...] = ()

    def within(self, start: int, end: int) -> tuple[Pronunciation, ...]:
        """Pronunciations inside `normalized.text[start:end]`, relative to `start`."""
        return tuple(
            (word_start - start, word_end - start, ipa)
            for word_start, word_end, ipa in self.pronunciations
            if start <= word_start and word_end <= end
        )


@dataclass(frozen=True)
class _Rewrite:
    start: int
    end: int
    spoken: str
    ipa: str | None


def _tag_rewrites(text: str, tags: Sequence[tuple[int, int, str, str]]) -> list[_Rewrite]:
    """SSML `<phoneme>` words; a tag whose alphabet or phonemes cannot be read leaves its word as written."""
    rewrites = []
    for start, end, alphabet, ph in tags:
        try:
            rewrites.append(_Rewrite(start, end, text[start:end], engine_ipa(ph, alphabet)))
        except ValueError:
            continue
    return rewrites


def respell(
    text: str,
    tags: Sequence[tuple[int, int, str, str]],
    lexicon: Lexicon | None,
    speak: Callable[[str], NormalizedText],
) -> Respelled:
    """`text` with its `<phoneme>` `tags` (start, end, alphabet, ph) and the `lexicon`'s rules applied, and
    everything else through `speak` (the normalizer, or identity when normalization is off)."""
    rewrites = _tag_rewrites(text, tags)
    if lexicon:
        protected = [(tag[0], tag[1]) for tag in tags]
        for match in lexicon.matches(text, protected):
            rule = match.rule
            if rule.type == "alias":
                rewrites.append(_Rewrite(match.start, match.end, rule.alias or "", None))
            else:
                rewrites.append(_Rewrite(match.start, match.end, text[match.start : match.end], rule.ipa))
    if not rewrites:
        return Respelled(speak(text))
    rewrites.sort(key=lambda rewrite: rewrite.start)
    pieces: list[str] = []
    spans: list[Span] = []
    pronunciations: list[Pronunciation] = []
    spoken_length = 0

    def add_span(source_start: int, source_end: int, spoken: str) -> None:
        nonlocal spoken_length
        pieces.append(spoken)
        spans.append(Span(source_start, source_end, spoken_length, spoken_length + len(spoken)))
        spoken_length += len(spoken)

    def add_gap(source_start: int, source_end: int) -> None:
        if source_start >= source_end:
            return
        gap = speak(text[source_start:source_end])
        for span in gap.spans:
            add_span(
                source_start + span.source_start,
                source_start + span.source_end,
                gap.text[span.normalized_start : span.normalized_end],
            )

    copied_to = 0
    for rewrite in rewrites:
        add_gap(copied_to, rewrite.start)
        if rewrite.ipa is not None:
            pronunciations.append((spoken_length, spoken_length + len(rewrite.spoken), rewrite.ipa))
        add_span(rewrite.start, rewrite.end, rewrite.spoken)
        copied_to = rewrite.end
    add_gap(copied_to, len(text))
    return Respelled(NormalizedText(text, "".join(pieces), tuple(spans)), tuple(pronunciations))
