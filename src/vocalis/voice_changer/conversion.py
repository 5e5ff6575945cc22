"""Voice changing with a neural converter (OpenVoice v2's tone-colour converter, once pulled): the input's own
audio given the target voice's timbre, a block at a time, so its words, timing, intonation, non-speech sounds
and language all stay.

The target's timbre is the converter's embedding of the target voice's speech, rendered by the TTS engines
and kept per voice (a changed voice is rendered again). The input's own timbre is measured once over all of
it, so every block is converted from the same source.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np

from vocalis.engines.protocols import ConversionOptions, SpeakerReference, VoiceConverter
from vocalis.schemas.text_to_speech import TextToSpeechRequest
from vocalis.speech.service import SpeechResult, SpeechService
from vocalis.voice_changer.timeline import blocks
from vocalis.voices.library import LibraryVoice

# About 12 s with most English phonemes: the reference encoder averages over every frame it is given.
REFERENCE_TEXT = (
    "The quick brown fox jumps over the lazy dog. She sells sea shells by the sea shore, while I watch "
    "the yellow moon rise over the quiet hills. How much wood would a woodchuck chuck, if a woodchuck "
    "could chuck wood?"
)
REFERENCE_SEED = 0  # one rendering per voice, the same on every server
MAX_REFERENCES = 256
MIN_BLOCK_SECONDS = 0.1  # converters need a few spectrogram frames; shorter input is padded
# OpenVoice's own default `tau` (0.3) at ElevenLabs' default stability (0.5).
VARIATION_PER_INSTABILITY = 0.6


@dataclass
class ConversionJob:
    """What one request converts: the input at `sample_rate`, its speech regions (seconds), the voice."""

    audio: np.ndarray
    sample_rate: int
    speech: list[tuple[float, float]]
    voice: LibraryVoice
    stability: float
    seed: int | None = None


class Converter:
    def __init__(self, speech: SpeechService, engine: str):
        self.speech = speech
        self.registry = speech.registry
        self.engine = engine
        self._references: dict[tuple, SpeakerReference] = {}

    async def target(self, voice: LibraryVoice, converter: VoiceConverter) -> SpeakerReference:
        """The voice's timbre as `converter` encodes it, from a rendering of the voice."""
        key = (converter.name, voice.voice_id, voice.spec)
        if key not in self._references:
            prepared = self.speech.prepare(
                voice.voice_id,
                TextToSpeechRequest(text=REFERENCE_TEXT, seed=REFERENCE_SEED),
                output_format="pcm_24000",
                optimize_streaming_latency=None,
                enable_logging=False,
                key_id=None,
                streaming=False,
            )
            rendering = SpeechResult()
            async for piece in self.speech.pieces(prepared):
                rendering.add(piece)
            reference = await self.registry.run(
                converter.reference, rendering.samples(), rendering.sample_rate
            )
            if len(self._references) >= MAX_REFERENCES:  # voices come and go; keep the memory bounded
                self._references.clear()
            self._references[key] = reference
        return self._references[key]

    async def convert(self, job: ConversionJob) -> AsyncIterator[np.ndarray]:
        """The converted audio at the converter's rate, a block at a time, exactly as long as the input."""
        duration = len(job.audio) / job.sample_rate
        async with self.registry.reserve(self.engine) as converter:
            target = await self.target(job.voice, converter)
            audio, input_rate = job.audio, job.sample_rate
            source = await self.registry.run(converter.reference, _padded(audio, input_rate), input_rate)
            rate = converter.sample_rate
            variation = VARIATION_PER_INSTABILITY * (1.0 - job.stability)
            for index, (start, end) in enumerate(blocks(job.speech, duration)):
                clip = audio[round(start * input_rate) : round(end * input_rate)]
                options = ConversionOptions(
                    variation=variation, seed=None if job.seed is None else (job.seed + index) % 2**32
                )
                converted = await self.registry.run(
                    converter.convert, _padded(clip, input_rate), input_rate, target, options, source
                )
                # Block edges in the output's own samples, so the blocks add up to the input's length.
                length = round(end * rate) - round(start * rate)
                yield np.pad(converted[:length], (0, max(0, length - len(converted))))


def _padded(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    return np.pad(audio, (0, max(0, round(MIN_BLOCK_SECONDS * sample_rate) - len(audio))))
