"""What a voice spec asks of a rendering after the model: its pitch shift, then its equalizer curve."""

from __future__ import annotations

import numpy as np

from vocalis.audio import equalizer
from vocalis.engines import pitch
from vocalis.engines.protocols import VoiceSpec


def shaped(audio: np.ndarray, sample_rate: int, voice: VoiceSpec) -> np.ndarray:
    if voice.pitch_semitones:
        audio = pitch.shift(audio, sample_rate, voice.pitch_semitones)
    if voice.equalizer:
        audio = equalizer.apply(audio, sample_rate, voice.equalizer)
    return audio
