"""Voice changing with a neural converter (OpenVoice v2's tone-colour converter, once pulled): the input's own
audio given the target voice's timbre, a block at a time, so its words, timing, intonation, non-speech sounds
and language all stay.

The target's timbre is the converter's embedding of the target voice's speech: for a cloned voice, the one
its professional training kept, else its samples' (their speech, averaged); for any other voice, a
rendering of it by the TTS engines. It is kept per voice, and made again when the voice or its samples
change. The input's own timbre is measured once over all of it, so every block is converted from the same
source.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np

from vocalis.audio import decode
from vocalis.engines.protocols import ConversionOptions, SpeakerReference, VoiceConverter
from vocalis.engines.vad import SileroVad
from vocalis.schemas.text_to_speech import TextToSpeechRequest
from vocalis.speech.service import SpeechResult, SpeechService
from vocalis.store.tables import VoiceSample
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
RATE = 16000  # samples are read at the rate the voice library analyses them at
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
        self.voices = speech.voices
        self.engine = engine
        self._references: dict[tuple, SpeakerReference] = {}

    async def target(self, voice: LibraryVoice, converter: VoiceConverter) -> SpeakerReference:
        """The voice's timbre as `converter` encodes it."""
        stored = not self.voices.is_premade(voice.voice_id)
        trained = self._trained(voice.voice_id, converter.name) if stored else None
        if trained is not None:
            return trained
        samples = self.voices.repository.samples([voice.voice_id]).get(voice.voice_id, []) if stored else []
        key = (converter.name, voice.voice_id, voice.spec, tuple(sample.sample_id for sample in samples))
        if key not in self._references:
            if samples:
                speech = [await self.registry.run(self._speech, sample) for sample in samples]
                references = [await self.registry.run(converter.reference, clip, RATE) for clip in speech]
                reference = SpeakerReference.average(references)
            else:
                reference = await self._rendered(voice, converter)
            if len(self._references) >= MAX_REFERENCES:  # voices come and go; keep the memory bounded
                self._references.clear()
            self._references[key] = reference
        return self._references[key]

    def _trained(self, voice_id: str, engine: str) -> SpeakerReference | None:
        """The reference professional-clone training kept, if this converter made it."""
        kept = (self.voices.row(voice_id).speaker_data or {}).get("converter_reference")
        if not kept or kept.get("engine") != engine:
            return None
        embedding = np.frombuffer(base64.b64decode(kept["embedding"]), dtype=np.float32).copy()
        return SpeakerReference(engine, embedding)

    def _speech(self, sample: VoiceSample) -> np.ndarray:
        """A stored sample's speech (its pauses left out) at RATE."""
        audio = decode(self.voices.blobs.get(sample.blob_key), RATE).samples
        regions = SileroVad().speech_segments(audio)
        if not regions:
            return audio
        return np.concatenate([audio[round(start * RATE) : round(end * RATE)] for start, end in regions])

    async def _rendered(self, voice: LibraryVoice, converter: VoiceConverter) -> SpeakerReference:
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
        return await self.registry.run(converter.reference, rendering.samples(), rendering.sample_rate)

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
