"""The speech a professional voice is made from, and the speakers of a sample.

A sample is decoded at 16 kHz (and cleaned by the voice isolator when its `remove_background_noise` is set).
Speaker separation diarizes it with the speech-to-text work's diarizer; training then uses the utterances of
the speakers chosen for it, or all of the speech (Silero VAD) of a sample never separated, within the
sample's trim. Everything here is blocking and runs in the engine pool.
"""

from __future__ import annotations

import numpy as np

from vocalis.audio import decode, decode_stream
from vocalis.engines.protocols import Enhancer, SpeakerEncoder
from vocalis.engines.vad import SileroVad
from vocalis.transcription.diarization import diarize
from vocalis.voices.cloning import isolated

SAMPLE_RATE = 16000
# Clusters with less speech than this are a cough, a laugh or crosstalk rather than a speaker one could
# train on; they are not offered for selection.
MIN_SPEAKER_SECONDS = 1.0
Ranges = list[tuple[float, float]]


def decoded(data: bytes, enhancer: Enhancer | None) -> np.ndarray:
    """A stored sample as 16 kHz mono, voice-isolated when an enhancer is given."""
    audio = decode(data, SAMPLE_RATE).samples
    return isolated(enhancer, audio) if enhancer is not None else audio


def opening(data: bytes, seconds: float, enhancer: Enhancer | None) -> np.ndarray:
    """The first `seconds` of a stored sample at 16 kHz (decoding stops there), voice-isolated if asked."""
    audio = next(iter(decode_stream(data, SAMPLE_RATE, seconds)))
    return isolated(enhancer, audio) if enhancer is not None else audio


def waveform(data: bytes, points: int) -> list[float]:
    """Peak levels (0..1) of `points` equal stretches of a stored sample, for drawing it."""
    audio = np.abs(decode(data, SAMPLE_RATE).samples)
    return [round(float(piece.max()), 4) for piece in np.array_split(audio, min(points, len(audio)))]


def speech_regions(audio: np.ndarray) -> Ranges:
    return SileroVad().speech_segments(audio)


def separate(audio: np.ndarray, encoder: SpeakerEncoder) -> dict[str, dict]:
    """The speakers of a sample: `speaker_<n>` (numbered by first appearance) -> its seconds of speech and
    its utterances as [start, end] seconds, from the diarizer's own estimate of the speaker count."""
    turns = diarize(audio, speech_regions(audio), encoder)
    utterances: dict[int, Ranges] = {}
    for turn in turns:
        utterances.setdefault(turn.speaker, []).append((turn.start, turn.end))
    kept = [ranges for ranges in utterances.values() if _seconds(ranges) >= MIN_SPEAKER_SECONDS]
    return {
        f"speaker_{index}": {
            "duration_secs": round(_seconds(ranges), 3),
            "utterances": [[round(start, 3), round(end, 3)] for start, end in ranges],
        }
        for index, ranges in enumerate(kept)
    }


def training_ranges(speakers: dict[str, dict] | None, selected: list[str] | None) -> Ranges | None:
    """The utterances of a separated sample that training uses: the selected speakers', else those of its
    only speaker. None for a sample never separated (all its speech is used); an empty list for one with
    several speakers of whom none was selected, which training leaves out."""
    if speakers is None:
        return None
    chosen = selected or (list(speakers) if len(speakers) == 1 else [])
    return sorted(tuple(pair) for speaker in chosen for pair in speakers[speaker]["utterances"])


def within(ranges: Ranges, start: float | None, end: float | None) -> Ranges:
    """`ranges` cut to [start, end] seconds (either may be open)."""
    low, high = start or 0.0, end if end is not None else float("inf")
    return [(max(a, low), min(b, high)) for a, b in ranges if min(b, high) > max(a, low)]


def cut(audio: np.ndarray, ranges: Ranges) -> np.ndarray:
    """The audio of `ranges`, joined."""
    pieces = [audio[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)] for a, b in ranges]
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)


def _seconds(ranges: Ranges) -> float:
    return sum(end - start for start, end in ranges)
