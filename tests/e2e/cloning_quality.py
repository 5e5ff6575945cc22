"""The cloning proof's data and judges, shared by tests/e2e/test_voice_cloning_quality.py and bench/voices.py.

Each speaker of `../shared/corpus/voice_reference/` is cloned from some of their speech and judged against
other speech of theirs (held out): speaker_1 is cloned from two enrolment clips and judged on a third; a
speaker with one clip is cloned from the first half of its speech and judged on the second. Similarity is
Resemblyzer's cosine (the issue's metric); the same-speaker upper bound is the clone's own reference
audio against the held-out audio.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vocalis.audio import decode, resample
from vocalis.engines.protocols import SynthesisOptions, VoiceSpec
from vocalis.engines.vad import SileroVad

SAMPLE_RATE = 16000
# Not the search's probe sentence: the clone is judged on text it was not chosen with.
EVALUATION_TEXT = (
    "The museum opens at nine in the morning, and the guided tours begin shortly after that. "
    "Please remember to bring your ticket and a bottle of water."
)
# ElevenLabs' SDK examples use Rachel far more than any other voice (54 of 72 `voice_id=` examples in 2.78);
# George is the CLI's and README's default here.
DEFAULT_VOICES = {"Rachel": "21m00Tcm4TlvDq8ikWAM", "George": "JBFqnCBsd6RMkjVDRZzb"}
# speaker: (clips cloned from, clip judged against; None: the clone clip's second half)
SPEAKERS = {
    "Heather Barnett (LibriSpeech)": (["librispeech_198-209-0000.ogg"], None),
    "Anders Lankford (LibriSpeech)": (["librispeech_3436-172162-0000.ogg"], None),
    "Garth Comira (LibriSpeech)": (["librispeech_5703-47212-0000.ogg"], None),
    "Linda Johnson (LJ Speech)": (["ljspeech_LJ050-0131.wav"], None),
    "Eagle speaker_1": (
        ["picovoice_eagle_speaker_1_utt_1.wav", "picovoice_eagle_speaker_1_utt_2.wav"],
        "picovoice_eagle_speaker_1_test_utt.wav",
    ),
    "Eagle speaker_2": (["picovoice_eagle_speaker_2_test_utt.wav"], None),
}


@dataclass
class Speaker:
    name: str
    clone_speech: list[np.ndarray]  # 16 kHz, silences removed
    heldout_speech: np.ndarray


def speech_only(path: Path) -> np.ndarray:
    audio = decode(path, SAMPLE_RATE).samples
    regions = SileroVad().speech_segments(audio)
    return np.concatenate([audio[int(s * SAMPLE_RATE) : int(e * SAMPLE_RATE)] for s, e in regions])


def speakers(corpus: Path) -> list[Speaker]:
    folder = corpus / "voice_reference"
    result = []
    for name, (clone_files, heldout_file) in SPEAKERS.items():
        clips = [speech_only(folder / file) for file in clone_files]
        if heldout_file is None:
            half = len(clips[0]) // 2
            clips, heldout = [clips[0][:half]], clips[0][half:]
        else:
            heldout = speech_only(folder / heldout_file)
        result.append(Speaker(name, clips, heldout))
    return result


@functools.cache
def _judge():
    from vocalis.engines.resemblyzer import ResemblyzerEncoder

    return ResemblyzerEncoder()


def similarity(audio: np.ndarray, reference: np.ndarray) -> float:
    """Resemblyzer cosine between two 16 kHz clips."""
    judge = _judge()
    return float(np.dot(judge.embed(audio), judge.embed(reference)))


def render(synthesizer, spec: VoiceSpec, text: str = EVALUATION_TEXT) -> np.ndarray:
    """`text` in a voice, as text to speech renders it by default (stability 0.5, fixed seed), at 16 kHz."""
    options = SynthesisOptions(speed=spec.speed, variation=0.5, seed=0)
    audio = np.concatenate([chunk.audio for chunk in synthesizer.synthesize(text, spec, options)])
    return resample(audio, synthesizer.sample_rate, SAMPLE_RATE)
