"""Inline TTS controls: pauses, phoneme tags and v3 audio tags."""

from __future__ import annotations

import pytest

from vocalis.speech.markup import AUDIO_TAGS, MAX_PAUSE_SECONDS, NEUTRAL, Pause, Prosody, TextPart, parse


def _shape(text: str) -> list[str | float]:
    """Parts as their text and pauses as their seconds, for compact expectations."""
    return [item.seconds if isinstance(item, Pause) else item.text for item in parse(text)]


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ('Hold on. <break time="1.5s" /> Alright.', ["Hold on.", 1.5, "Alright."]),
        ('a<break time="1.5s"/>b', ["a", 1.5, "b"]),
        ("a <break time='500ms'/> b", ["a", 0.5, "b"]),
        ('a <break time="250ms"></break> b', ["a", 0.25, "</break> b"]),
        ('a <BREAK TIME="2S"/> b', ["a", 2.0, "b"]),
        ('a <break time=" 0.75 s "/> b', ["a", 0.75, "b"]),
        ('a <break time=".5s"> b', ["a", 0.5, "b"]),
        ('a <break time="10s" /> b', ["a", MAX_PAUSE_SECONDS, "b"]),
        ('a <break time="4000ms" /> b', ["a", MAX_PAUSE_SECONDS, "b"]),
        ('<break time="1s"/>Start', [1.0, "Start"]),
        ('End<break time="1s"/>', ["End", 1.0]),
        ('a<break time="1s"/><break time="2s"/>b', ["a", 1.0, 2.0, "b"]),
        ('<break time="1s"/>', [1.0]),
        ("", []),
        ("   \n ", []),
        ("Plain text.", ["Plain text."]),
    ],
)
def test_breaks(text: str, shape: list[str | float]) -> None:
    assert _shape(text) == shape


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("[laughs] That is funny.", "That is funny."),
        ("That is funny [laughs].", "That is funny."),
        ("I can't believe it [giggles]!", "I can't believe it!"),
        ("Hello [giggles] world", "Hello world"),
        ("Hello[snorts]world", "Hello world"),
        ("[strong French accent] Bonjour, mes amis.", "Bonjour, mes amis."),
        ("[pause, then normally] So anyway.", "So anyway."),
        ("[laughs harder][wheezing] Stop!", "Stop!"),
        ("[woo] Yes.", "Yes."),
        ("Smile [happy gasp], then talk.", "Smile, then talk."),
        ("See note [1] here.", "See note [1] here."),
        ("Click [here](https://example.com) now.", "Click [here](https://example.com) now."),
        ("An array a[i] and [].", "An array a[i] and []."),
        ("Too   many    spaces", "Too many spaces"),
        ("Line one  \n\n  line two", "Line one\nline two"),
        ("  padded  ", "padded"),
    ],
)
def test_audio_tags_are_removed_and_whitespace_collapsed(text: str, spoken: str) -> None:
    assert _shape(text) == [spoken]


def test_only_audio_tags_leave_nothing_to_say() -> None:
    assert parse("[laughs] [giggles]") == []
    assert _shape("[laughs] [sighs]") == [AUDIO_TAGS["sighs"].pause_seconds]


@pytest.mark.parametrize(
    ("text", "spoken", "phonemes"),
    [
        (
            'Say <phoneme alphabet="cmu-arpabet" ph="M AE1 D IH0 S AH0 N">Madison</phoneme> now.',
            "Say Madison now.",
            ((4, 11, "cmu-arpabet", "M AE1 D IH0 S AH0 N"),),
        ),
        (
            '<phoneme alphabet="ipa" ph="ˈæktʃuəli">actually</phoneme>',
            "actually",
            ((0, 8, "ipa", "ˈæktʃuəli"),),
        ),
        (
            "<phoneme ph='T AH0 M EY1 T OW2' alphabet='CMU-Arpabet'> tomato </phoneme>!",
            "tomato!",
            ((0, 6, "cmu-arpabet", "T AH0 M EY1 T OW2"),),
        ),
        (
            'A <phoneme alphabet="ipa" ph="a&apos;b">x</phoneme> and '
            '<phoneme alphabet="ipa" ph="y">z</phoneme>',
            "A x and z",
            ((2, 3, "ipa", "a'b"), (8, 9, "ipa", "y")),
        ),
    ],
)
def test_phonemes(text: str, spoken: str, phonemes: tuple[tuple[int, int, str, str], ...]) -> None:
    [part] = parse(text)
    assert isinstance(part, TextPart)
    assert part.text == spoken
    assert part.phonemes == phonemes


@pytest.mark.parametrize(
    "text",
    [
        '<phoneme ph="M AE1">Madison</phoneme>',  # no alphabet
        '<phoneme alphabet="ipa">Madison</phoneme>',  # no ph
        '<phoneme alphabet="ipa" ph="x">   </phoneme>',  # no word
        '<phoneme alphabet="ipa" ph="x" junk>word</phoneme>',  # not an attribute
        '<phoneme alphabet="ipa" ph="x">word',  # never closed
        '<break time="abc"/>',
        '<break time="5"/>',  # no unit
        '<break time="1s"',
        "<break/>",
        "a < b and c > d",
        "[unclosed tag",
    ],
)
def test_malformed_markup_stays_text(text: str) -> None:
    [part] = parse(text)
    assert isinstance(part, TextPart)
    assert part.text == " ".join(text.split())
    assert part.phonemes == ()


SAMPLES = [
    'Hold on. <break time="1.5s" /> Alright.',
    "[laughs] That is   funny [giggles]!\n\nReally [sighs] funny.",
    'Say <phoneme alphabet="cmu-arpabet" ph="M AE1 D IH0 S AH0 N">Madison</phoneme>, [whispers] please.',
    "Hello[sighs]world  and\tmore <break time='300ms'/>[excited] Done.",
    '<phoneme alphabet="ipa" ph="ˈæktʃuəli">  actually  </phoneme> [laughs].',
]


@pytest.mark.parametrize("text", SAMPLES)
def test_source_positions(text: str) -> None:
    for item in parse(text):
        if isinstance(item, Pause):
            markup = text[item.source_start : item.source_end]
            if item.from_tag:
                assert markup.startswith("[") and markup.endswith("]")
            else:
                assert markup.lower().startswith("<break") and markup.endswith(">")
            continue
        assert len(item.source_indices) == len(item.text)
        assert item.source_start == item.source_indices[0]
        assert list(item.source_indices) == sorted(set(item.source_indices))  # strictly increasing
        assert item.source_end == item.source_indices[-1] + 1
        for char, index in zip(item.text, item.source_indices, strict=True):
            if char.isspace():
                # A collapsed run points at its first whitespace character, a removed tag at its "[".
                assert text[index].isspace() or text[index] == "["
            else:
                assert text[index] == char
        for start, end, _, _ in item.phonemes:
            word = item.text[start:end]
            assert text[item.source_indices[start] : item.source_indices[end - 1] + 1] == word


def test_items_are_in_source_order() -> None:
    items = parse(SAMPLES[3])
    starts = [item.source_start for item in items]
    assert starts == sorted(starts)
    # "Hello", [sighs], "world and more", <break>, [excited] "Done."
    assert [type(item) for item in items] == [TextPart, Pause, TextPart, Pause, TextPart]


def test_text_part_defaults_to_a_contiguous_slice() -> None:
    part = TextPart("abc", 10)
    assert part.source_indices == (10, 11, 12)
    assert part.source_end == 13
    with pytest.raises(ValueError):
        TextPart("abc", 0, source_indices=(0, 1))


WHISPER = AUDIO_TAGS["whispers"].prosody
SLOW = AUDIO_TAGS["slowly"].prosody


def _delivery(text: str) -> list[tuple[str, Prosody] | float]:
    return [item.seconds if isinstance(item, Pause) else (item.text, item.prosody) for item in parse(text)]


@pytest.mark.parametrize(
    ("text", "delivery"),
    [
        # A delivery tag lasts to the end of its sentence.
        (
            "[whispers] I never knew. But now I do.",
            [("I never knew.", WHISPER), ("But now I do.", NEUTRAL)],
        ),
        # ... starting where it stands, and a line break ends the sentence too.
        (
            "Hey! [whispers] Come here, now.\nNo.",
            [("Hey!", NEUTRAL), ("Come here, now.", WHISPER), ("No.", NEUTRAL)],
        ),
        ("Hello [whispers] world", [("Hello", NEUTRAL), ("world", WHISPER)]),
        # Tags of one sentence combine, also across a pause.
        (
            "[whispers] Wait [slowly] for it [pause] now. Done.",
            [
                ("Wait", WHISPER),
                ("for it", WHISPER.then(SLOW)),
                0.5,
                ("now.", WHISPER.then(SLOW)),
                ("Done.", NEUTRAL),
            ],
        ),
        # A pause tag before closing punctuation leaves the punctuation with its sentence.
        ("I'm fine [sighs]. Really.", [("I'm fine.", NEUTRAL), 0.6, ("Really.", NEUTRAL)]),
        # Unknown tags and different spellings.
        ("[laughs] Ha, [WHISPERS] ok.", [("Ha,", NEUTRAL), ("ok.", WHISPER)]),
        ("[long  pause] Then.", [1.0, ("Then.", NEUTRAL)]),
    ],
)
def test_audio_tags_set_the_delivery_of_their_sentence(text: str, delivery: list) -> None:
    assert _delivery(text) == delivery


def test_audio_tag_table_makes_the_documented_changes() -> None:
    assert WHISPER.gain_db < 0 and WHISPER.speed < 1
    for loud in ("shouts", "excited"):
        assert AUDIO_TAGS[loud].prosody.gain_db > 0 and AUDIO_TAGS[loud].prosody.speed > 1
    for slow in ("slowly", "sad"):
        assert AUDIO_TAGS[slow].prosody.speed < 1
    assert AUDIO_TAGS["sad"].prosody.pitch_semitones < 0
    assert AUDIO_TAGS["sighs"].pause_seconds > 0 and AUDIO_TAGS["pause"].pause_seconds > 0
