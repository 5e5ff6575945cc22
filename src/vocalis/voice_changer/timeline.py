"""The input's time axis: the blocks it is processed in, and the output assembled on it.

Both voice-changer engines work a block at a time (stretches of the input cut in its pauses, so no word is
cut and a stream's first audio leaves after the first block) and place what they make at the input's
times, so the output lasts exactly as long as the input.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

# A short first block gets a stream's first audio out sooner; later ones are longer, since Whisper decodes
# 30 s windows whatever it is given and a longer block costs no more.
FIRST_BLOCK_SECONDS = 8.0
BLOCK_SECONDS = 24.0


def blocks(speech: list[tuple[float, float]], duration: float) -> list[tuple[float, float]]:
    """(start, end) seconds covering [0, duration] in order: speech regions (from a VAD) grouped while a block
    stays within its length, each block ending in the middle of the pause before the next region. A region
    longer than a block is not cut."""
    bounds = [0.0]
    limit = FIRST_BLOCK_SECONDS
    for (_, end), (next_start, next_end) in pairwise(speech):
        if next_end - bounds[-1] > limit:
            bounds.append((end + next_start) / 2)
            limit = BLOCK_SECONDS
    bounds.append(duration)
    return [(start, end) for start, end in pairwise(bounds) if end > start]


class Timeline:
    """Output audio at `sample_rate` on the input's time axis, handed out in order.

    `add` overlap-adds audio at a time; whatever would land before the audio already released is dropped,
    and nothing goes past the input's end. `release(until)` hands out everything before `until` (silence
    where nothing was added), so a stream can send a block as soon as no later audio can reach it.
    """

    def __init__(self, sample_rate: int, duration: float):
        self.sample_rate = sample_rate
        self.total = round(duration * sample_rate)
        self.released = 0  # samples handed out so far
        self._held = np.zeros(0, dtype=np.float32)  # samples from `released` on

    def add(self, audio: np.ndarray, start_seconds: float) -> None:
        start = round(start_seconds * self.sample_rate)
        skip = max(0, self.released - start)
        start += skip
        end = min(start + len(audio) - skip, self.total)
        if end <= start:
            return
        needed = end - self.released
        if len(self._held) < needed:
            self._held = np.pad(self._held, (0, needed - len(self._held)))
        self._held[start - self.released : end - self.released] += audio[skip : skip + end - start]

    def release(self, until_seconds: float) -> np.ndarray:
        until = min(round(until_seconds * self.sample_rate), self.total)
        count = until - self.released
        if count <= 0:
            return np.zeros(0, dtype=np.float32)
        out = self._held[:count]
        out = np.pad(out, (0, count - len(out)))
        self._held = self._held[count:]
        self.released = until
        return out

    def finish(self) -> np.ndarray:
        """The rest, up to the input's end."""
        return self.release(self.total / self.sample_rate)
