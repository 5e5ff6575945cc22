"""Voices similar to a recording (`POST /v1/similar-voices`): the library's voices ranked by how close their
speech is to the recording's speaker.

On a self-hosted server the library is this server's voices: the premade ones and the user's own voices that
an installed engine renders (cloned, generated, trained professional). The recording's speech is found as
instant cloning finds a sample's (Silero VAD, at least a second of it) and embedded by every installed
speaker encoder; each voice is heard as the cloning search hears a candidate (`VoiceMatcher.voice_embeddings`:
a probe sentence in its blend, pitch-shifted and equalized as its spec says). The distance is ElevenLabs'
`similarity_threshold` scale, 1 - cosine similarity (0 to 2, smaller is closer), averaged over the encoders.

A voice's embeddings are kept per spec, so the first search renders each blend once (premade voices that
differ only in pitch, equalizer or pace share a rendering) and later searches only embed the recording.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

import numpy as np

from vocalis.engines.protocols import VoiceSpec
from vocalis.engines.registry import EngineRegistry
from vocalis.errors import InvalidRequest
from vocalis.voices.cloning import (
    SAMPLE_RATE,
    UploadedSample,
    check_size,
    decoded,
    enough_speech,
    speech_of,
)
from vocalis.voices.library import LibraryVoice, VoiceLibrary
from vocalis.voices.matching import VoiceMatcher

MAX_DISTANCE = 2.0
DEFAULT_TOP_K = 10  # when neither similarity_threshold nor top_k is given (the spec's example)
MAX_TOP_K = 100
# The encoders average over windows of about 1.6 s, so half a minute of speech fixes the speaker; more only
# costs embedding time.
MAX_SPEECH_SECONDS = 30.0
_KEPT_SPECS = 1024  # edited voices leave their old specs behind; keep memory bounded


@dataclass(frozen=True)
class SimilarVoice:
    voice: LibraryVoice
    distance: float  # 1 - cosine similarity of the speaker embeddings, 0 (same) to 2


@dataclass(frozen=True)
class SimilarVoices:
    voices: list[SimilarVoice]  # closest first, at most top_k
    total_count: int  # voices within the threshold, whether returned or not


def _checked(similarity_threshold: float | None, top_k: int | None) -> tuple[float, int]:
    """(threshold, top_k) to apply. Without a threshold every distance passes; without top_k, DEFAULT_TOP_K
    unless a threshold was given, which then alone decides (up to MAX_TOP_K voices)."""
    if similarity_threshold is not None and not 0.0 <= similarity_threshold <= MAX_DISTANCE:
        raise InvalidRequest(
            f"similarity_threshold must be between 0 and {MAX_DISTANCE:g}; got {similarity_threshold:g}.",
            code="invalid_parameters",
        )
    if top_k is not None and not 1 <= top_k <= MAX_TOP_K:
        raise InvalidRequest(
            f"top_k must be between 1 and {MAX_TOP_K}; got {top_k}.", code="invalid_parameters"
        )
    if top_k is None:
        top_k = DEFAULT_TOP_K if similarity_threshold is None else MAX_TOP_K
    return (MAX_DISTANCE if similarity_threshold is None else similarity_threshold), top_k


def _recording_speech(upload: UploadedSample) -> np.ndarray:
    """The upload's speech at 16 kHz, at most MAX_SPEECH_SECONDS of it (blocking)."""
    audio = decoded(upload)
    return speech_of(audio, enough_speech(upload, audio))[: int(MAX_SPEECH_SECONDS * SAMPLE_RATE)]


class SimilarVoiceSearch:
    """Ranks the library's voices by speaker similarity to a recording; heavy work runs in the engine pool."""

    def __init__(self, registry: EngineRegistry, library: VoiceLibrary, matcher: VoiceMatcher) -> None:
        self.registry = registry
        self.library = library
        self.matcher = matcher
        self._embeddings: dict[VoiceSpec, dict[str, np.ndarray]] = {}
        # Held while voices are embedded, so two first searches render each blend once between them.
        self._lock = threading.Lock()

    async def find(
        self, upload: UploadedSample | None, similarity_threshold: float | None, top_k: int | None
    ) -> SimilarVoices:
        threshold, limit = _checked(similarity_threshold, top_k)
        if upload is None:
            raise InvalidRequest("Upload a recording of the voice in audio_file.", code="invalid_parameters")
        check_size(upload)
        speech = await self.registry.run(_recording_speech, upload)
        async with self.registry.reserve("speaker"):
            ranked = await self.registry.run(self._ranked, speech)
        within = [match for match in ranked if match.distance <= threshold]
        return SimilarVoices(within[:limit], len(within))

    def _ranked(self, speech: np.ndarray) -> list[SimilarVoice]:
        """Every voice an installed engine renders, closest to the speech first (blocking)."""
        heard = self.matcher.embed(speech)
        voices = [
            voice
            for voice in self.library.all()
            if voice.unavailable is None and self.matcher.can_render(voice.spec.engine)
        ]
        ranked = []
        for voice in voices:
            embeddings = self._voice_embeddings(voice.spec)
            similarity = np.mean([float(np.dot(heard[name], embeddings[name])) for name in heard])
            ranked.append(SimilarVoice(voice, round(float(1.0 - similarity), 4)))
        return sorted(ranked, key=lambda match: match.distance)

    def _voice_embeddings(self, spec: VoiceSpec) -> dict[str, np.ndarray]:
        key = replace(spec, speed=1.0)  # the embeddings leave pace out (see VoiceMatcher.voice_embeddings)
        with self._lock:
            if (kept := self._embeddings.get(key)) is None:
                if len(self._embeddings) >= _KEPT_SPECS:
                    self._embeddings.clear()
                kept = self._embeddings[key] = self.matcher.voice_embeddings(key)
            return kept
