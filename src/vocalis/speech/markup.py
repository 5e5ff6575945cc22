"""Inline controls in ElevenLabs TTS text: `<break>` pauses, `<phoneme>` pronunciations and Eleven v3 audio
tags such as `[laughs]`, split into text to speak and pauses so that no engine ever reads a tag aloud.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

MAX_PAUSE_SECONDS = 3.0  # ElevenLabs: "natural pauses up to 3 seconds"


@dataclass(frozen=True)
class TextPart:
    """Text to speak, with tags removed and each whitespace run collapsed to one space (or one newline).

    `source_indices[i]` is the index in the parsed string of `text[i]`; it is needed because removed tags
    and collapsed whitespace make `text` a non-contiguous selection of the source. Left empty, it is filled
    as the contiguous run from `source_start`. `phonemes` holds `(start, end, alphabet, ph)` per word whose
    pronunciation was given, with `start:end` relative to `text` and `alphabet` lower-cased as written
    (ElevenLabs documents "ipa" and "cmu-arpabet"; an engine ignores what it cannot use).
    """

    text: str
    source_start: int
    phonemes: tuple[tuple[int, int, str, str], ...] = ()
    source_indices: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not self.source_indices:
            contiguous = tuple(range(self.source_start, self.source_start + len(self.text)))
            object.__setattr__(self, "source_indices", contiguous)
        if len(self.source_indices) != len(self.text):
            raise ValueError("TextPart needs one source index per character of text")

    @property
    def source_end(self) -> int:
        """One past the source index of the last character."""
        return self.source_indices[-1] + 1 if self.source_indices else self.source_start


@dataclass(frozen=True)
class Pause:
    """Silence requested by `<break time="..."/>` at `source[source_start:source_end]`, capped at 3 s."""

    seconds: float
    source_start: int
    source_end: int


_MARKUP = re.compile(
    r"""(?P<brk> <break\s+time\s*=\s*(?P<q>["'])
                 \s*(?P<amount>[0-9]*\.?[0-9]+)\s*(?P<unit>ms|s)\s* (?P=q)\s*/?> )
      | (?P<pho> <phoneme(?P<attrs>(?:\s+[^<>]*?)?)\s*>(?P<word>[^<]*)</phoneme\s*> )
      | (?P<tag> \[(?=[^\W\d_])[^\[\]\n0-9<>]{3,80}\](?!\() )""",
    re.VERBOSE | re.IGNORECASE,
)
_ATTRIBUTE = re.compile(r"""\s*([A-Za-z][\w-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')\s*""")
# Punctuation that should hug the preceding word when a removed tag stood between them: "it [laughs]!".
_CLOSING = set(".,;:!?…)]}”’»。，、！？；：")


def _attributes(text: str) -> dict[str, str] | None:
    """`name="value"` pairs in any order, or None when anything else is there."""
    found: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        match = _ATTRIBUTE.match(text, pos)
        if not match:
            return None
        found[match[1].lower()] = match[2] if match[2] is not None else match[3]
        pos = match.end()
    return found


class _PartBuilder:
    """Collects the characters of one text part, collapsing whitespace as it goes."""

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.indices: list[int] = []
        self.phonemes: list[tuple[int, int, str, str]] = []
        self.after_tag = False  # a tag was just removed, so closing punctuation may pull the word back

    def add(self, text: str, source_start: int) -> None:
        for offset, char in enumerate(text):
            if char.isspace():
                if self.chars and self.chars[-1] not in " \n":
                    self.chars.append(" ")
                    self.indices.append(source_start + offset)
                if char == "\n" and self.chars:
                    self.chars[-1] = "\n"  # a run with a line break stays a line break
                continue
            if self.after_tag and char in _CLOSING:
                while self.chars and self.chars[-1] in " \n":
                    self.chars.pop()
                    self.indices.pop()
            self.after_tag = False
            self.chars.append(char)
            self.indices.append(source_start + offset)

    def remove_tag(self, source_start: int) -> None:
        """A removed tag separates words like a space would: "Hello[laughs]world" -> "Hello world"."""
        if self.chars and self.chars[-1] not in " \n":
            self.chars.append(" ")
            self.indices.append(source_start)
        self.after_tag = True

    def add_phoneme_word(self, word: str, source_start: int, alphabet: str, ph: str) -> None:
        self.after_tag = False  # keep the space before the word so `start` below is where the word begins
        start = len(self.chars)
        self.add(word, source_start)
        self.phonemes.append((start, len(self.chars), alphabet, ph))

    def finish(self) -> TextPart | None:
        """The part collected so far (None if there is nothing to say); the builder starts over."""
        while self.chars and self.chars[-1] in " \n":
            self.chars.pop()
            self.indices.pop()
        part = None
        if self.chars:
            part = TextPart("".join(self.chars), self.indices[0], tuple(self.phonemes), tuple(self.indices))
        self.chars, self.indices, self.phonemes, self.after_tag = [], [], [], False
        return part


def parse(text: str) -> list[TextPart | Pause]:
    """Split TTS text into parts to speak and pauses, in order.

    `<break time="1.5s" />` (or "500ms", single quotes, no space before "/>") becomes a `Pause` capped at
    3 s; `<phoneme alphabet="..." ph="...">word</phoneme>` keeps the word and records its phonemes;
    `[laughs]`-style audio tags (three or more letters, spaces or punctuation, no digits, not a Markdown
    link) are dropped. Anything malformed stays as text. Parts are never empty and never start or end
    with whitespace.
    """
    items: list[TextPart | Pause] = []
    builder = _PartBuilder()
    pos = 0

    def flush() -> None:
        part = builder.finish()
        if part:
            items.append(part)

    for match in _MARKUP.finditer(text):
        builder.add(text[pos : match.start()], pos)
        pos = match.end()
        if match["brk"]:
            seconds = float(match["amount"]) / (1000 if match["unit"].lower() == "ms" else 1)
            flush()
            items.append(Pause(min(seconds, MAX_PAUSE_SECONDS), match.start(), match.end()))
        elif match["tag"]:
            builder.remove_tag(match.start())
        else:
            attributes = _attributes(match["attrs"])
            word = match["word"]
            if attributes is None or not {"alphabet", "ph"} <= attributes.keys() or not word.strip():
                builder.add(match.group(), match.start())  # malformed: read as written
                continue
            word_start = match.start("word") + len(word) - len(word.lstrip())
            alphabet, ph = attributes["alphabet"].lower(), html.unescape(attributes["ph"]).strip()
            builder.add_phoneme_word(word.strip(), word_start, alphabet, ph)
    builder.add(text[pos:], pos)
    flush()
    return items
