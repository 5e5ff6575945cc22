"""Sentence chunking for streaming synthesis."""

from __future__ import annotations

import random

import pytest

from vocalis.speech.sentences import split_sentences


def _pieces(text: str, max_chars: int = 300) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text, max_chars)]


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("Hello world. How are you? Fine!", ["Hello world. ", "How are you? ", "Fine!"]),
        ("One sentence only", ["One sentence only"]),
        ("Wait... What?! No.", ["Wait... ", "What?! ", "No."]),
        ("It… well, it might work. Try it.", ["It… well, it might work. ", "Try it."]),
        ("Dr. Smith met Mrs. Jones. They talked.", ["Dr. Smith met Mrs. Jones. ", "They talked."]),
        ("Use a tool, e.g. a hammer. Then stop.", ["Use a tool, e.g. a hammer. ", "Then stop."]),
        ("Pi is 3.14 roughly. Yes.", ["Pi is 3.14 roughly. ", "Yes."]),
        ("He moved to the U.S. last year. Good.", ["He moved to the U.S. last year. ", "Good."]),
        ("J. K. Rowling wrote it. Really.", ["J. K. Rowling wrote it. ", "Really."]),
        ("See No. 5 today. No. I won't.", ["See No. 5 today. ", "No. ", "I won't."]),
        ("St. Patrick came. Everyone cheered.", ["St. Patrick came. ", "Everyone cheered."]),
        ('"Stop." He said. (Quietly.) Then left.', ['"Stop." ', "He said. ", "(Quietly.) ", "Then left."]),
        ("你好。我很好！谢谢？好", ["你好。", "我很好！", "谢谢？", "好"]),
        ("「行こう。」と言った。", ["「行こう。」", "と言った。"]),
        ("Title\nFirst line.\n\nNext paragraph", ["Title\n", "First line.\n\n", "Next paragraph"]),
        ("  Leading space. Then more.  ", ["  Leading space. ", "Then more.  "]),
        ("Version 2.0 is out.", ["Version 2.0 is out."]),
        ("", []),
        ("   ", ["   "]),
    ],
)
def test_sentence_ends(text: str, pieces: list[str]) -> None:
    assert _pieces(text) == pieces


@pytest.mark.parametrize(
    ("text", "max_chars", "pieces"),
    [
        (
            "First clause here, second clause here; third clause here.",
            25,
            ["First clause here, ", "second clause here; ", "third clause here."],
        ),
        ("one two three four five six seven", 10, ["one two ", "three four ", "five six ", "seven"]),
        ("x" * 25, 10, ["x" * 10, "x" * 10, "x" * 5]),
        ("日本語の文章がとても長いです", 5, ["日本語の文", "章がとても", "長いです"]),
        ("長い文章です、とても長いです", 8, ["長い文章です、", "とても長いです"]),
        ("a, bbbbbbbbbbbbbbbbbbbb cc", 12, ["a, ", "bbbbbbbbbbbbbbbbbbbb"[:12], "bbbbbbbb cc"]),
        ("Short. Another short one.", 300, ["Short. ", "Another short one."]),
    ],
)
def test_long_sentences_are_cut(text: str, max_chars: int, pieces: list[str]) -> None:
    assert _pieces(text, max_chars) == pieces


WORDS = "the a cat sat on mat, Dr. e.g. 3.14 U.S. well… yes! no? why; 你好。 fine: end. Mr. J. —".split()


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("max_chars", [1, 7, 40, 300])
def test_spans_cover_text_within_limit(seed: int, max_chars: int) -> None:
    rng = random.Random(seed)
    gaps = [" ", " ", "  ", "\n", ""]
    text = "".join(rng.choice(WORDS) + rng.choice(gaps) for _ in range(rng.randint(0, 120)))
    spans = split_sentences(text, max_chars)
    assert "".join(text[start:end] for start, end in spans) == text
    assert all(start < end for start, end in spans)
    assert [end for _, end in spans[:-1]] == [start for start, _ in spans[1:]]
    assert all(len(text[start:end].strip()) <= max_chars for start, end in spans)


def test_max_chars_must_be_positive() -> None:
    with pytest.raises(ValueError):
        split_sentences("text", 0)
