"""The TTS socket text buffer: chunk schedule, sentence cuts, try_trigger_generation, flush, auto_mode."""

from __future__ import annotations

import pytest

from vocalis.realtime.buffering import DEFAULT_SCHEDULE, TextBuffer, check_schedule

WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma "


def test_nothing_is_generated_below_the_first_threshold() -> None:
    buffer = TextBuffer()
    buffer.add("word " * 23)
    assert buffer.take_ready() == []
    assert len(buffer) == 115


def test_schedule_thresholds_advance_and_repeat_the_last() -> None:
    buffer = TextBuffer((50, 60))
    sizes = []
    for _ in range(6):
        buffer.add(WORDS)
        sizes.extend(len(chunk) for chunk in buffer.take_ready())
    assert sizes[0] >= 50
    assert all(size >= 60 for size in sizes[1:])
    assert buffer.generations == len(sizes)
    assert buffer.threshold() == 60


def test_chunks_end_on_complete_words_and_keep_the_rest() -> None:
    buffer = TextBuffer((50,))
    buffer.add("one two three four five six seven eight nine ten eleven twel")
    [chunk] = buffer.take_ready()
    assert chunk.endswith("eleven ")
    assert buffer.text == "twel"


def test_a_sentence_end_past_half_the_threshold_is_the_cut() -> None:
    buffer = TextBuffer((60,))
    buffer.add("This first sentence is long enough to count. And then more words keep coming in")
    [chunk] = buffer.take_ready()
    assert chunk == "This first sentence is long enough to count. "
    assert buffer.text.startswith("And then")


def test_try_trigger_generates_above_the_minimum_only() -> None:
    buffer = TextBuffer()
    buffer.add("Short text. ")
    assert buffer.take_ready(try_trigger=True) == []
    buffer.add("Now there is enough buffered text to try a trigger early. ")
    assert buffer.take_ready(try_trigger=True) == [
        "Short text. Now there is enough buffered text to try a trigger early. "
    ]


def test_flush_takes_everything_even_a_partial_word() -> None:
    buffer = TextBuffer()
    buffer.add("Hello wor")
    assert buffer.take_all() == "Hello wor"
    assert buffer.take_all() is None
    buffer.add("   ")
    assert buffer.take_all() is None


def test_auto_mode_generates_each_complete_sentence_at_once() -> None:
    buffer = TextBuffer(DEFAULT_SCHEDULE, auto_mode=True)
    buffer.add("Hi. ")
    assert buffer.take_ready() == ["Hi. "]
    buffer.add("How are you today? I am")
    assert buffer.take_ready() == ["How are you today? "]
    assert buffer.text == "I am"


@pytest.mark.parametrize("schedule", [[], [49], [120, 501]])
def test_schedules_outside_the_documented_range_are_refused(schedule: list[float]) -> None:
    with pytest.raises(ValueError):
        check_schedule(schedule)


def test_a_valid_schedule_is_kept() -> None:
    assert check_schedule([50, 120.0, 500]) == (50, 120, 500)
