"""A finished transcript as plain data, in ElevenLabs' Scribe terms (words, spacing, audio events)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

WordType = Literal["word", "spacing", "audio_event"]


@dataclass
class TranscriptCharacter:
    text: str
    start: float
    end: float


@dataclass
class TranscriptWord:
    """One entry of `words[]`: a word, the spacing between two words, or an audio event like (laughter)."""

    text: str
    start: float
    end: float
    type: WordType = "word"
    speaker_id: str | None = None
    logprob: float = 0.0
    characters: list[TranscriptCharacter] | None = None
    channel_index: int | None = None  # the audio channel it was heard on (multichannel requests)


@dataclass
class TranscriptResult:
    language_code: str  # ISO-639-3, as Scribe reports it
    language_probability: float
    text: str
    words: list[TranscriptWord] = field(default_factory=list)
    duration: float = 0.0
    channel_index: int | None = None  # set on each channel's transcript of a multichannel request
