"""Snap word boundaries in model-predicted character times to where the audio really starts and stops.

Duration predictors put pauses inside neighbouring phonemes (Kokoro lengthens the last phoneme before a
comma; both engines time the first word from the start of the leading silence) and give the whole
inter-word token to the space although the next word has already begun. With the audio at hand, each
boundary between two words is moved to the edge of the silence between them, or to the middle of the
space token when there is no silence; characters inside a word keep their relative timing.
"""

from __future__ import annotations

import numpy as np

FRAME_SECONDS = 0.01
MIN_SILENCE_SECONDS = 0.06
SILENCE_DB_BELOW_SPEECH = 35.0
EDGE_TOLERANCE_SECONDS = 0.05
MIN_WORD_SECONDS = 0.03
SPACE_SHARE_OF_PREVIOUS_WORD = 0.0


def _silent_frames(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    frame = max(1, int(sample_rate * FRAME_SECONDS))
    count = len(audio) // frame
    if count == 0:
        return np.zeros(0, dtype=bool)
    rms = np.sqrt(np.mean(audio[: count * frame].reshape(count, frame).astype(np.float64) ** 2, axis=1))
    loud = np.percentile(rms, 95)
    if loud <= 0:
        return np.ones(count, dtype=bool)
    return 20 * np.log10(np.maximum(rms, 1e-10) / loud) < -SILENCE_DB_BELOW_SPEECH


def quiet_runs(audio: np.ndarray, sample_rate: int) -> list[tuple[float, float]]:
    """Silences of at least MIN_SILENCE_SECONDS, SILENCE_DB_BELOW_SPEECH under the loud end, in seconds."""
    return _silences(_silent_frames(audio, sample_rate))


def _silences(silent: np.ndarray) -> list[tuple[float, float]]:
    """Runs of silent frames at least MIN_SILENCE_SECONDS long, as (start, end) seconds."""
    runs = []
    start = None
    for index, quiet in enumerate([*silent, False]):
        if quiet and start is None:
            start = index
        elif not quiet and start is not None:
            if (index - start) * FRAME_SECONDS >= MIN_SILENCE_SECONDS:
                runs.append((start * FRAME_SECONDS, index * FRAME_SECONDS))
            start = None
    return runs


def _words(text: str) -> list[tuple[int, int]]:
    """Character ranges of words: runs of letters and digits (with inner apostrophes or hyphens)."""
    ranges = []
    start = None
    for index, character in enumerate(text):
        inside = character.isalnum() or (
            start is not None and character in "'’-" and index + 1 < len(text) and text[index + 1].isalnum()
        )
        if inside and start is None:
            start = index
        elif not inside and start is not None:
            ranges.append((start, index))
            start = None
    if start is not None:
        ranges.append((start, len(text)))
    return ranges


def rescale(times: list[tuple[float, float]], lo: int, hi: int, start: float, end: float) -> None:
    """Move characters lo..hi so they span [start, end], keeping their relative timing."""
    old_start, old_end = times[lo][0], times[hi - 1][1]
    span = old_end - old_start
    for index in range(lo, hi):
        a, b = times[index]
        if span > 0:
            a = start + (a - old_start) / span * (end - start)
            b = start + (b - old_start) / span * (end - start)
        else:
            a = b = start
        times[index] = (a, b)


def snap_to_audio(
    text: str, times: list[tuple[float, float]], audio: np.ndarray, sample_rate: int
) -> list[tuple[float, float]]:
    """Return `times` (one (start, end) per character of `text`, in seconds) with word edges snapped."""
    words = _words(text)
    if not words or len(times) != len(text):
        return times
    duration = len(audio) / sample_rate
    silences = quiet_runs(audio, sample_rate)
    snapped = list(times)
    # Boundary i sits before word i (i = 0: the start of speech) or after the last word (i = len(words)).
    edges: list[tuple[float, float]] = []  # (end of the previous word, start of the next word)
    for i in range(len(words) + 1):
        first, last = i == 0, i == len(words)
        prev_start = 0.0 if first else times[words[i - 1][0]][0]
        prev_end = 0.0 if first else times[words[i - 1][1] - 1][1]
        next_start = duration if last else times[words[i][0]][0]
        next_end = duration if last else times[words[i][1] - 1][1]
        # A silence counts for this boundary when it touches the predicted gap (a pause the model folded
        # into the previous word's last phoneme still contains its predicted end); stop closures inside
        # words do not reach the gap.
        candidates = [
            (a, b)
            for a, b in silences
            if b >= prev_end - EDGE_TOLERANCE_SECONDS
            and a <= next_start + EDGE_TOLERANCE_SECONDS
            and a >= prev_start
            and b <= next_end
            and (not first or a <= EDGE_TOLERANCE_SECONDS)
            and (not last or b >= duration - EDGE_TOLERANCE_SECONDS)
        ]
        if candidates:
            a, b = max(candidates, key=lambda run: run[1] - run[0])
            end = prev_end if first else max(a, prev_start + MIN_WORD_SECONDS)
            start = next_start if last else min(b, next_end - MIN_WORD_SECONDS)
        elif first or last:
            end, start = prev_end, next_start
        else:
            end = start = prev_end + (next_start - prev_end) * SPACE_SHARE_OF_PREVIOUS_WORD
        edges.append((end, max(start, end)))
    for i, (lo_char, hi_char) in enumerate(words):
        start = edges[i][1]
        end = max(edges[i + 1][0], start)
        rescale(snapped, lo_char, hi_char, start, end)
    # Characters between words (spaces, punctuation) fill the gap the boundary left.
    previous_end = 0.0
    for i, (lo_char, hi_char) in enumerate([*words, (len(text), len(text))]):
        gap_start = edges[i][0] if i > 0 else 0.0
        gap_end = edges[i][1] if i < len(words) else duration
        first = words[i - 1][1] if i > 0 else 0
        count = lo_char - first
        for k in range(count):
            a = gap_start + (gap_end - gap_start) * k / count
            b = gap_start + (gap_end - gap_start) * (k + 1) / count
            snapped[first + k] = (max(a, previous_end), max(b, previous_end))
        previous_end = snapped[hi_char - 1][1] if hi_char > 0 and i < len(words) else previous_end
    return snapped
