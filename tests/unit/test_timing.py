"""Word boundaries snap to the silences in the audio; characters inside a word keep their order."""

from __future__ import annotations

import numpy as np

from vocalis.speech.timing import snap_to_audio

RATE = 16000


def tone(seconds: float) -> np.ndarray:
    return 0.5 * np.sin(2 * np.pi * 220 * np.arange(int(seconds * RATE)) / RATE).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def even(text: str, start: float, end: float) -> list[tuple[float, float]]:
    step = (end - start) / len(text)
    return [(start + i * step, start + (i + 1) * step) for i in range(len(text))]


def test_pause_folded_into_a_word_is_given_back_to_the_punctuation():
    # Speech 0.2-0.6 s ("hello"), silence to 1.0 s, speech 1.0-1.4 s ("world").
    audio = np.concatenate([silence(0.2), tone(0.4), silence(0.4), tone(0.4), silence(0.1)])
    text = "hello, world"
    # The model timed "hello" from 0.0 (leading silence) through the pause, like Kokoro does.
    times = even("hello", 0.0, 0.95) + even(", ", 0.95, 1.0) + even("world", 1.0, 1.5)
    snapped = snap_to_audio(text, times, audio, RATE)
    assert abs(snapped[0][0] - 0.2) < 0.02  # first word starts where speech starts
    assert abs(snapped[4][1] - 0.6) < 0.02  # ...and ends where it stops
    assert abs(snapped[7][0] - 1.0) < 0.02
    assert abs(snapped[11][1] - 1.4) < 0.02  # trailing silence is not part of the last word
    assert 0.6 - 0.02 <= snapped[5][0] <= snapped[6][1] <= 1.0 + 0.02  # ", " fills the pause
    starts = [start for start, _ in snapped]
    assert starts == sorted(starts)
    assert all(end >= start for start, end in snapped)


def test_connected_words_meet_at_the_start_of_the_space_token():
    audio = tone(1.0)
    text = "one two"
    times = even("one", 0.0, 0.4) + [(0.4, 0.5)] + even("two", 0.5, 1.0)
    snapped = snap_to_audio(text, times, audio, RATE)
    assert snapped[2][1] == snapped[4][0] == 0.4


def test_stop_closure_inside_a_word_is_left_alone():
    # A 70 ms gap in the middle of a word is not a word boundary.
    audio = np.concatenate([tone(0.3), silence(0.07), tone(0.3)])
    times = even("upper", 0.0, 0.67)
    assert snap_to_audio("upper", times, audio, RATE) == times
