"""A voice as a reference clip, for a zero-shot engine (Chatterbox) that speaks like whatever clip it hears.

A cloned voice's clip is the speech of its own samples (voice-isolated where the user asked for that when
adding them); any other voice (premade, designed, professional) is heard as its local engine renders it.
Clips are kept per voice and per state of the voice, so an edit or new samples make a new clip.
"""

from __future__ import annotations

import threading

import numpy as np

from vocalis.audio import decode
from vocalis.engines.protocols import SynthesisOptions, VoiceSpec
from vocalis.engines.registry import EngineRegistry
from vocalis.engines.vad import SileroVad
from vocalis.store.tables import VoiceSample
from vocalis.voices.cloning import SAMPLE_RATE, isolated
from vocalis.voices.library import VoiceLibrary

# Chatterbox conditions on up to 10 s (its decoder prompt); more is read for nothing.
MAX_SECONDS = 10.0
# About 9 s in most voices, with the vowels, fricatives and nasals a speaker's timbre shows in.
RENDERED_TEXT = (
    "She sells sea shells by the sea shore, while I watch the yellow moon rise. "
    "Every morning, a gentle breeze carries the voices of the harbour over the quiet town."
)
_KEPT = 32


class VoiceReferences:
    def __init__(self, library: VoiceLibrary, registry: EngineRegistry, isolation_engine: str) -> None:
        self.library = library
        self.registry = registry
        self.isolation_engine = isolation_engine
        self._clips: dict[tuple, tuple[np.ndarray, int]] = {}
        self._lock = threading.Lock()

    def clip(self, voice_id: str) -> tuple[np.ndarray, int]:
        """(mono float32 audio, sample rate) of the voice, at most MAX_SECONDS long (blocking)."""
        voice = self.library.get(voice_id)
        samples = self.library.repository.samples([voice_id]).get(voice_id, [])
        own = voice.category == "cloned" and samples
        key = (voice_id, voice.spec, tuple(sample.sample_id for sample in samples) if own else ())
        with self._lock:
            if (kept := self._clips.get(key)) is not None:
                return kept
        clip = self._speech_of(samples) if own else self._rendering(voice.spec)
        with self._lock:
            if len(self._clips) >= _KEPT:
                self._clips.pop(next(iter(self._clips)))
            self._clips[key] = clip
        return clip

    def _speech_of(self, samples: list[VoiceSample]) -> tuple[np.ndarray, int]:
        speech: list[np.ndarray] = []
        seconds = 0.0
        for sample in samples:
            audio = decode(self.library.blobs.get(sample.blob_key), SAMPLE_RATE).samples
            if sample.remove_background_noise and self.registry.has_engine(self.isolation_engine):
                audio = isolated(self.registry.engine(self.isolation_engine), audio)
            for start, end in SileroVad().speech_segments(audio):
                piece = audio[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
                speech.append(piece[: int((MAX_SECONDS - seconds) * SAMPLE_RATE)])
                seconds += len(speech[-1]) / SAMPLE_RATE
                if seconds >= MAX_SECONDS:
                    return np.concatenate(speech), SAMPLE_RATE
        return (np.concatenate(speech) if speech else np.zeros(0, np.float32)), SAMPLE_RATE

    def _rendering(self, spec: VoiceSpec) -> tuple[np.ndarray, int]:
        synthesizer = self.registry.engine(spec.engine)
        options = SynthesisOptions(speed=spec.speed, variation=0.0, seed=0)
        chunks = synthesizer.synthesize(RENDERED_TEXT, spec, options)
        audio = np.concatenate([chunk.audio for chunk in chunks])
        return audio[: int(MAX_SECONDS * synthesizer.sample_rate)], synthesizer.sample_rate
