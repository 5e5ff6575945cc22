"""Forced alignment of a known transcript to speech, in ElevenLabs' terms: the transcript's words as
written and every one of its characters, spaces included, with start and end seconds.

The aligner times whole words; characters share out their word's span evenly, and the whitespace between
two words shares out the gap between them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from vocalis.engines.protocols import AlignedWord, Aligner
from vocalis.errors import InvalidRequest

SAMPLE_RATE = 16000
# ElevenLabs' documented limits.
MAX_AUDIO_SECONDS = 4.5 * 3600
MIN_AUDIO_SECONDS = 0.1
MAX_TEXT_CHARACTERS = 675_000
# Fast speech is about 20 characters a second; more text than this cannot be in the audio.
MAX_CHARACTERS_PER_SPEECH_SECOND = 30.0
# Quieter than this (the loud end of the recording, dBFS) is silence.
SILENCE_DBFS = -55.0
# Frames this far below the loud end are pauses, not speech.
SPEECH_RANGE_DB = 35.0

_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class TimedCharacter:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class ForcedAlignment:
    characters: list[TimedCharacter]
    words: list[AlignedWord]
    loss: float  # mean of the words' losses (the aligner's scale)


def check_text(text: str) -> None:
    """Refuse a transcript before any audio is decoded."""
    if not text.strip():
        raise InvalidRequest("text is empty: send the transcript of the audio.")
    if not any(character.isalnum() for character in text):
        raise InvalidRequest("text has no words to align, only punctuation or symbols.")
    if len(text) > MAX_TEXT_CHARACTERS:
        raise InvalidRequest(
            f"text has {len(text)} characters; the limit is {MAX_TEXT_CHARACTERS}.", code="text_too_long"
        )


def speech_seconds(audio: np.ndarray) -> float:
    """Roughly how many seconds of `audio` (16 kHz mono) are speech rather than silence or pauses."""
    hop = SAMPLE_RATE // 50  # 20 ms
    frames = len(audio) // hop
    if frames == 0:
        return 0.0
    blocks = np.asarray(audio[: frames * hop], dtype=np.float32).reshape(frames, hop)
    levels = 10 * np.log10(np.einsum("ij,ij->i", blocks, blocks) / hop + 1e-12)
    loud = float(np.percentile(levels, 95))
    if loud < SILENCE_DBFS:
        return 0.0
    return float(np.count_nonzero(levels > loud - SPEECH_RANGE_DB)) * hop / SAMPLE_RATE


def check_audio(audio: np.ndarray, text: str) -> None:
    """Refuse audio that is too short, too long, silent, or holds far too little speech for the text."""
    duration = len(audio) / SAMPLE_RATE
    if duration < MIN_AUDIO_SECONDS:
        raise InvalidRequest(
            f"The audio lasts {duration:.3f} s; at least {MIN_AUDIO_SECONDS} s is needed.",
            code="invalid_audio",
        )
    if duration > MAX_AUDIO_SECONDS:
        raise InvalidRequest(
            f"The audio lasts {duration / 3600:.1f} hours; the limit is 4.5 hours.", code="audio_too_long"
        )
    speech = speech_seconds(audio)
    if speech == 0:
        raise InvalidRequest("The audio is silent: there is no speech to align.", code="invalid_audio")
    characters = sum(not character.isspace() for character in text)
    if characters > MAX_CHARACTERS_PER_SPEECH_SECOND * max(speech, 1.0):
        raise InvalidRequest(
            f"text has {characters} characters but the audio holds only about {speech:.1f} s of speech; "
            "send the transcript of this audio only.",
            code="text_too_long",
        )


def align_text(audio: np.ndarray, text: str, aligner: Aligner, language: str = "en") -> ForcedAlignment:
    """Time `text` against `audio` (16 kHz mono float32). Blocking: run it in the engine pool."""
    check_text(text)
    check_audio(audio, text)
    matches = list(_WORD.finditer(text))
    words = aligner.align(audio, [match.group() for match in matches], language)
    characters: list[TimedCharacter] = []
    position = 0
    for index, (match, word) in enumerate(zip(matches, words, strict=True)):
        # Whitespace before the word fills the gap since the previous word (none before the first).
        gap_start = words[index - 1].end if index else word.start
        characters += _spread(text[position : match.start()], gap_start, word.start)
        characters += _spread(match.group(), word.start, word.end)
        position = match.end()
    characters += _spread(text[position:], words[-1].end, words[-1].end)
    loss = sum(word.loss for word in words) / len(words)
    return ForcedAlignment(characters=characters, words=words, loss=loss)


def _spread(text: str, start: float, end: float) -> list[TimedCharacter]:
    """The characters of `text`, each an equal share of [start, end]."""
    step = (end - start) / len(text) if text else 0.0
    return [
        TimedCharacter(character, start + index * step, start + (index + 1) * step)
        for index, character in enumerate(text)
    ]
