"""Small protocols every model backend implements; the rest of Vocalis only sees these.

Engines are plain Python: no FastAPI, no database. They take text or audio in and give numpy data and
plain dataclasses back, so they can be run in a worker thread, a process pool or a Celery worker alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class VoiceSpec:
    """What an engine needs to render one voice.

    `blend` maps the engine's own voice names to weights (a convex mix for Kokoro style packs; Piper
    takes a single speaker). `speed` is the voice's natural pace, multiplied by the request's speed.
    `pitch_semitones` shifts the rendered voice (used to spread a few base voices over more premade ones).
    `equalizer` is a curve of (Hz, dB) points applied after that (a professional voice's fitted timbre).
    """

    engine: str
    blend: tuple[tuple[str, float], ...]
    speed: float = 1.0
    pitch_semitones: float = 0.0
    equalizer: tuple[tuple[float, float], ...] = ()


@dataclass
class EngineVoice:
    """One voice an engine can render on its own (before blending)."""

    name: str
    gender: str  # "male" | "female" | "neutral"
    language: str  # BCP-47-ish, e.g. "en-us", "ja"


@dataclass
class SynthesisOptions:
    """Per-request knobs, already validated and mapped from ElevenLabs voice settings.

    `speed` is the final pace (request speed x voice speed). `variation` is 0..1 where 0 is the most
    stable (monotone, repeatable) and 1 the most varied; it comes from `1 - stability`.
    A fixed `seed` makes the output repeatable for the same text and options.
    `pronunciations` holds `(start, end, ipa)` for words of the text to synthesize whose pronunciation the
    request gave (SSML `<phoneme>`, pronunciation dictionaries), in espeak-style IPA: engines that speak
    phonemes use these instead of their own reading of those words.
    """

    speed: float = 1.0
    variation: float = 0.5
    seed: int | None = None
    language: str = "en-us"
    pronunciations: tuple[tuple[int, int, str], ...] = ()


@dataclass
class SpeechChunk:
    """A piece of synthesized speech covering `text[text_start:text_end]` of the engine's input.

    `audio` is float32 mono PCM in [-1, 1] at the engine's `sample_rate`.
    `char_times` holds (start, end) seconds relative to the start of this chunk's audio, one pair per
    character of the covered span, derived from the model's own phoneme durations.
    """

    audio: np.ndarray
    text_start: int
    text_end: int
    char_times: list[tuple[float, float]] = field(default_factory=list)


@runtime_checkable
class Synthesizer(Protocol):
    """Text to speech, streamed in chunks (one or more per sentence)."""

    name: str
    sample_rate: int

    def voices(self) -> list[EngineVoice]: ...

    def synthesize(self, text: str, voice: VoiceSpec, opts: SynthesisOptions) -> Iterator[SpeechChunk]: ...

    def unload(self) -> None: ...


# Speech to text ---------------------------------------------------------------------------------


@dataclass
class RecognitionOptions:
    """Per-request recognizer knobs. `language` is ISO-639-1 (None: detect it)."""

    language: str | None = None
    word_timestamps: bool = True
    temperature: float | None = None
    seed: int | None = None
    task: str = "transcribe"  # or "translate" (any language → English)
    vad: bool = True
    audio_events: bool = False  # let the recognizer caption non-speech sounds, e.g. "(laughter)"


@dataclass
class RecognizedWord:
    text: str  # as the recognizer spells it, with its leading space if any
    start: float
    end: float
    probability: float


@dataclass
class RecognizedSegment:
    start: float
    end: float
    text: str
    words: list[RecognizedWord]
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0


@dataclass
class Transcription:
    """Detected language and a lazy stream of segments (consumed once, in order)."""

    language: str
    language_probability: float
    duration: float
    segments: Iterator[RecognizedSegment]


@runtime_checkable
class Recognizer(Protocol):
    """Speech (16 kHz mono float32) to timed words."""

    name: str
    languages: tuple[str, ...] | None  # None: multilingual

    def transcribe(self, audio: np.ndarray, opts: RecognitionOptions) -> Transcription: ...

    def unload(self) -> None: ...


@runtime_checkable
class VoiceActivityDetector(Protocol):
    """Where speech is, in (start, end) seconds of 16 kHz mono audio."""

    def speech_segments(self, audio: np.ndarray) -> list[tuple[float, float]]: ...


@runtime_checkable
class SpeakerEncoder(Protocol):
    """A fixed-size, L2-normalized voice embedding of 16 kHz mono speech."""

    name: str
    dimension: int

    def embed(self, audio: np.ndarray) -> np.ndarray: ...

    def unload(self) -> None: ...


@dataclass
class AlignedWord:
    text: str
    start: float
    end: float
    loss: float = 0.0
    # (start, end) of each character of `text`, from aligners that time characters themselves (Whisper
    # times its tokens, which are characters in Japanese or Chinese); callers share out the word's span
    # when absent.
    characters: list[tuple[float, float]] | None = None


@runtime_checkable
class Aligner(Protocol):
    """Forced alignment: where each word of a known transcript is spoken in 16 kHz mono audio."""

    name: str
    languages: tuple[str, ...] | None

    def align(self, audio: np.ndarray, words: list[str], language: str) -> list[AlignedWord]: ...

    def unload(self) -> None: ...


# Voice conversion ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpeakerReference:
    """A speaker's timbre as one voice converter encodes it, derived once from their recordings and kept.

    `engine` names the converter that made it (its `name`); another converter, or the same one with other
    weights (a different `embedding` length), refuses it. `embedding` is a float32 vector meant to be
    stored as it is (e.g. `embedding.tobytes()`); references of several clips of one speaker are combined
    with `average`.
    """

    engine: str
    embedding: np.ndarray

    @classmethod
    def average(cls, references: list[SpeakerReference]) -> SpeakerReference:
        if not references or len({(r.engine, r.embedding.shape) for r in references}) != 1:
            raise ValueError("average needs one or more references of one engine and size")
        mean = np.mean([r.embedding for r in references], axis=0).astype(np.float32)
        return cls(references[0].engine, mean)


@dataclass
class ConversionOptions:
    """Per-request knobs of a conversion. `variation` (0..1) is how freely the converter may depart from
    the most likely rendering (0 is deterministic); a fixed `seed` makes the output repeatable."""

    variation: float = 0.3
    seed: int | None = None


@runtime_checkable
class VoiceConverter(Protocol):
    """Any speech (a recording or TTS output) → the same words, timing and intonation in another voice.

    Audio goes in as mono float32 at any `sample_rate` and comes out at the converter's `sample_rate`,
    as long as the input give or take the converter's frame size. `source` is the input's own speaker
    when the caller already knows it (e.g. a premade voice's stored reference); else it is measured from
    the input itself.
    """

    name: str
    sample_rate: int

    def reference(self, audio: np.ndarray, sample_rate: int) -> SpeakerReference: ...

    def convert(
        self,
        audio: np.ndarray,
        sample_rate: int,
        target: SpeakerReference,
        opts: ConversionOptions,
        source: SpeakerReference | None = None,
    ) -> np.ndarray: ...

    def unload(self) -> None: ...


# Voice isolation ----------------------------------------------------------------------------------------


@runtime_checkable
class Enhancer(Protocol):
    """Voice isolation: speech kept, background noise and music suppressed.

    `enhance` takes mono float32 chunks at `sample_rate`, of any lengths, and yields the enhanced audio as it
    becomes ready, aligned with the input (the engine compensates its own delay) and, once the input ends,
    exactly as long as it. Every call has its own model state, so several streams can run at once.
    """

    name: str
    sample_rate: int

    def enhance(self, chunks: Iterable[np.ndarray]) -> Iterator[np.ndarray]: ...

    def unload(self) -> None: ...


# Text embeddings and sound generation -------------------------------------------------------------


@runtime_checkable
class TextEmbedder(Protocol):
    """Sentences → L2-normalised float32 vectors (one row per sentence); similar meaning, close vectors."""

    name: str

    def embed(self, texts: list[str]) -> np.ndarray: ...

    def unload(self) -> None: ...


@dataclass
class SoundOptions:
    """Per-request knobs of a text-to-sound generation.

    `duration_seconds` is what the engine renders (the caller trims or loops it to the exact length);
    `prompt_influence` (0..1) is how literally to follow the prompt, 1 being the least variable; a fixed
    `seed` makes the output repeatable.
    """

    duration_seconds: float
    prompt_influence: float = 0.3
    seed: int = 0


@dataclass
class GeneratedSound:
    """Mono float32 audio at `sample_rate`, and what the engine made of the prompt (for the response
    headers), e.g. {"recipe": "rain"}."""

    audio: np.ndarray
    sample_rate: int
    details: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class SoundGenerator(Protocol):
    """Text → sound effect (or ambience, or musical loop) of a requested length, up to `max_seconds`."""

    name: str
    max_seconds: float

    def generate(self, prompt: str, opts: SoundOptions) -> GeneratedSound: ...

    def unload(self) -> None: ...


# Voice cloning -----------------------------------------------------------------------------------


@dataclass
class ClonedVoice:
    """A voice made from reference speech: the spec an installed Synthesizer renders it with.

    `method` names how it was made (e.g. "nearest-voice", the offline search; a neural engine's name);
    `similarity` is the mean cosine between the speaker encoders' embeddings of the reference and of the
    voice's own speech, when the cloner measured it; `details` is JSON-ready data for the API and bench.
    """

    spec: VoiceSpec
    method: str
    similarity: float | None = None
    details: dict = field(default_factory=dict)


@runtime_checkable
class VoiceCloner(Protocol):
    """Speech of one speaker (16 kHz mono clips, silences removed) → a voice that can be synthesized.

    `effort` scales the work where the method is a search or a fit: 1.0 is instant cloning (seconds);
    professional cloning passes more (minutes).
    """

    name: str

    def clone(self, speech: list[np.ndarray], effort: float = 1.0) -> ClonedVoice: ...
