"""Inline controls in ElevenLabs TTS text: `<break>` pauses, `<phoneme>` pronunciations and Eleven v3 audio
tags such as `[laughs]`, split into text to speak and pauses so that no engine ever reads a tag aloud.

Audio tags the local engines can act out change the delivery instead of vanishing: `AUDIO_TAGS` maps them to a
pause and/or a prosody (pace, pitch, loudness) that lasts from the tag to the end of its sentence.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from vocalis.speech.sentences import split_sentences

MAX_PAUSE_SECONDS = 3.0  # ElevenLabs: "natural pauses up to 3 seconds"


@dataclass(frozen=True)
class Prosody:
    """A delivery the engines can render: pace and pitch for the engine, a gain on its audio."""

    speed: float = 1.0
    pitch_semitones: float = 0.0
    gain_db: float = 0.0

    def then(self, other: Prosody) -> Prosody:
        """Both deliveries at once, as for `[sad] [slowly]`."""
        return Prosody(
            self.speed * other.speed,
            self.pitch_semitones + other.pitch_semitones,
            self.gain_db + other.gain_db,
        )


NEUTRAL = Prosody()


@dataclass(frozen=True)
class AudioTag:
    """What an audio tag does: silence where it stands, then a prosody up to the end of its sentence."""

    pause_seconds: float = 0.0
    prosody: Prosody = NEUTRAL


def _tags(names: str, tag: AudioTag) -> dict[str, AudioTag]:
    return {name.strip(): tag for name in names.split(",")}


# Eleven v3 tags the local engines can act out (README, "Audio tags"), keyed by their lower-case words. Values
# are deliberately moderate: each stays recognisably the same voice and every engine renders it cleanly.
AUDIO_TAGS: dict[str, AudioTag] = {
    **_tags("whispers, whispering, whisper, whispered", AudioTag(prosody=Prosody(0.9, -0.5, -12.0))),
    **_tags("quietly, softly, gently, calmly, calm", AudioTag(prosody=Prosody(0.95, -0.5, -6.0))),
    **_tags("shouts, shouting, shout, yells, yelling", AudioTag(prosody=Prosody(1.1, 2.0, 6.0))),
    **_tags("excited, excitedly, elated, enthusiastic", AudioTag(prosody=Prosody(1.12, 1.5, 3.0))),
    **_tags("cheerfully, cheerful, happy, happily, delighted", AudioTag(prosody=Prosody(1.05, 1.0, 2.0))),
    **_tags("angry, angrily, frustrated", AudioTag(prosody=Prosody(1.05, 0.5, 4.0))),
    **_tags("sad, sadly, sorrowful, crying", AudioTag(prosody=Prosody(0.88, -1.5, -3.0))),
    **_tags("slowly, slow, deliberately", AudioTag(prosody=Prosody(speed=0.75))),
    **_tags("quickly, fast, rushed, hurriedly", AudioTag(prosody=Prosody(speed=1.25))),
    **_tags("pause, pauses", AudioTag(pause_seconds=0.5)),
    **_tags("short pause", AudioTag(pause_seconds=0.25)),
    **_tags("long pause", AudioTag(pause_seconds=1.0)),
    **_tags("sighs, sigh, sighing, exhales, exhale", AudioTag(pause_seconds=0.6)),
}


@dataclass(frozen=True)
class TextPart:
    """Text to speak, with tags removed and each whitespace run collapsed to one space (or one newline).

    `source_indices[i]` is the index in the parsed string of `text[i]`; it is needed because removed tags
    and collapsed whitespace make `text` a non-contiguous selection of the source. Left empty, it is filled
    as the contiguous run from `source_start`. `phonemes` holds `(start, end, alphabet, ph)` per word whose
    pronunciation was given, with `start:end` relative to `text` and `alphabet` lower-cased as written
    (ElevenLabs documents "ipa" and "cmu-arpabet"; an engine ignores what it cannot use). `prosody` is the
    delivery audio tags ask for.
    """

    text: str
    source_start: int
    phonemes: tuple[tuple[int, int, str, str], ...] = ()
    source_indices: tuple[int, ...] = ()
    prosody: Prosody = NEUTRAL

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
    """Silence requested by `<break time="..."/>` (capped at 3 s) or an audio tag at
    `source[source_start:source_end]`. A tag's characters stay zero-length in alignments, like removed tags;
    a break's share the pause's time."""

    seconds: float
    source_start: int
    source_end: int
    from_tag: bool = False


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
_CLOSING_AFTER_TAG = re.compile(r"\s*[" + re.escape("".join(sorted(_CLOSING))) + "]+")


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

    def finish(self, prosody: Prosody) -> TextPart | None:
        """The part collected so far (None if there is nothing to say); the builder starts over."""
        while self.chars and self.chars[-1] in " \n":
            self.chars.pop()
            self.indices.pop()
        part = None
        if self.chars:
            part = TextPart(
                "".join(self.chars), self.indices[0], tuple(self.phonemes), tuple(self.indices), prosody
            )
        self.chars, self.indices, self.phonemes, self.after_tag = [], [], [], False
        return part


def _tag_name(tag: str) -> str:
    return " ".join(tag[1:-1].lower().split())


def _sentence_ends(text: str) -> list[int]:
    """Where each sentence's last character ends, with breaks and tags read as spaces."""
    masked = _MARKUP.sub(lambda match: " " * len(match.group()) if not match["pho"] else match.group(), text)
    return [
        start + len(masked[start:end].rstrip()) for start, end in split_sentences(masked, max(len(text), 1))
    ]


def parse(text: str) -> list[TextPart | Pause]:
    """Split TTS text into parts to speak and pauses, in order.

    `<break time="1.5s" />` (or "500ms", single quotes, no space before "/>") becomes a `Pause` capped at
    3 s; `<phoneme alphabet="..." ph="...">word</phoneme>` keeps the word and records its phonemes;
    `[laughs]`-style audio tags (three or more letters, spaces or punctuation, no digits, not a Markdown
    link) are dropped, those in `AUDIO_TAGS` leaving a `Pause` and/or a new part whose prosody lasts to the
    end of the tag's sentence (tags of one sentence combine). Anything malformed stays as text. Parts are
    never empty and never start or end with whitespace.
    """
    items: list[TextPart | Pause] = []
    builder = _PartBuilder()
    pos = 0
    prosody, prosody_end = NEUTRAL, 0
    sentence_ends: list[int] | None = None  # found when a tag first needs them

    def flush() -> None:
        part = builder.finish(prosody)
        if part:
            items.append(part)

    def add_until(end: int) -> None:
        """Add `text[pos:end]`, closing the part where a tagged sentence ends."""
        nonlocal pos, prosody
        if prosody != NEUTRAL and prosody_end <= end:
            cut = max(prosody_end, pos)
            builder.add(text[pos:cut], pos)
            pos = cut
            flush()
            prosody = NEUTRAL
        builder.add(text[pos:end], pos)
        pos = end

    for match in _MARKUP.finditer(text):
        add_until(match.start())
        pos = match.end()
        if match["brk"]:
            seconds = float(match["amount"]) / (1000 if match["unit"].lower() == "ms" else 1)
            flush()
            items.append(Pause(min(seconds, MAX_PAUSE_SECONDS), match.start(), match.end()))
        elif match["tag"]:
            tag = AUDIO_TAGS.get(_tag_name(match["tag"]))
            if tag is None:
                builder.remove_tag(match.start())
                continue
            closing = _CLOSING_AFTER_TAG.match(text, match.end())
            if closing:  # "I'm fine [sighs]." ends the sentence before the pause, not after it
                builder.remove_tag(match.start())
                builder.add(text[match.end() : closing.end()], match.end())
                pos = closing.end()
            flush()
            if tag.pause_seconds:
                items.append(Pause(tag.pause_seconds, match.start(), match.end(), from_tag=True))
            if tag.prosody != NEUTRAL:
                sentence_ends = sentence_ends if sentence_ends is not None else _sentence_ends(text)
                prosody = prosody.then(tag.prosody)
                prosody_end = next((end for end in sentence_ends if end > match.start()), len(text))
        else:
            attributes = _attributes(match["attrs"])
            word = match["word"]
            if attributes is None or not {"alphabet", "ph"} <= attributes.keys() or not word.strip():
                builder.add(match.group(), match.start())  # malformed: read as written
                continue
            word_start = match.start("word") + len(word) - len(word.lstrip())
            alphabet, ph = attributes["alphabet"].lower(), html.unescape(attributes["ph"]).strip()
            builder.add_phoneme_word(word.strip(), word_start, alphabet, ph)
    add_until(len(text))
    flush()
    return items
