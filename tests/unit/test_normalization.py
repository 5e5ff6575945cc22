"""English text normalization: spoken forms and the span map back to the request text."""

from __future__ import annotations

import time

import pytest

from vocalis.speech.normalization import NormalizedText, Span, cardinal, identity, normalize, ordinal, year

EXAMPLES = [
    # cardinals, decimals, negatives
    ("1234", "one thousand two hundred thirty-four"),
    ("I have 1,234 apples", "I have one thousand two hundred thirty-four apples"),
    ("3.14", "three point one four"),
    ("0.5 and .5", "zero point five and point five"),
    ("-3.5 and −7", "minus three point five and minus seven"),
    ("It was -5 outside", "It was minus five outside"),
    ("5k", "five thousand"),
    ("Agent 007", "Agent zero zero seven"),
    ("12345678901234567890", " ".join("one two three four five six seven eight nine zero".split() * 2)),
    ("mp3 and H2O", "mp three and H two O"),
    ("COVID-19", "COVID-nineteen"),
    ("Room 101.", "Room one hundred one."),
    # ordinals
    ("1st 2nd 3rd 4th", "first second third fourth"),
    ("the 22nd and 100th", "the twenty-second and one hundredth"),
    ("1,000th", "one thousandth"),
    # money
    ("$1,000,000", "one million dollars"),
    ("$4.50", "four dollars fifty cents"),
    ("$1", "one dollar"),
    ("$1.01", "one dollar one cent"),
    ("$0.99", "ninety-nine cents"),
    ("$1.5M", "one point five million dollars"),
    ("$5k", "five thousand dollars"),
    ("$2bn", "two billion dollars"),
    ("$5 million", "five million dollars"),
    ("-$5", "minus five dollars"),
    ("€20 or £15.99", "twenty euros or fifteen pounds ninety-nine pence"),
    ("£1", "one pound"),
    ("¥1000", "one thousand yen"),
    ("US$100 or 100 USD", "one hundred dollars or one hundred dollars"),
    ("5€", "five euros"),
    ("$47,345.67", "forty-seven thousand three hundred forty-five dollars sixty-seven cents"),
    # percentages
    ("50%", "fifty percent"),
    ("99.9 %", "ninety-nine point nine percent"),
    ("-2%", "minus two percent"),
    # years and decades
    ("1999", "nineteen ninety-nine"),
    ("2024", "twenty twenty-four"),
    ("2005", "two thousand five"),
    ("2000", "two thousand"),
    ("1905", "nineteen oh five"),
    ("in 1492", "in fourteen ninety-two"),
    ("year 1500", "year fifteen hundred"),
    ("1066 AD", "ten sixty-six AD"),
    ("1500 people", "one thousand five hundred people"),
    ("the 1990s", "the nineteen nineties"),
    ("the '80s and 70s", "the eighties and seventies"),
    # dates
    ("2024-01-15", "January fifteenth, twenty twenty-four"),
    ("2024-01-01", "January first, twenty twenty-four"),
    ("01/15/2024", "January fifteenth, twenty twenty-four"),
    ("15/01/2024", "January fifteenth, twenty twenty-four"),
    ("15.01.2024", "January fifteenth, twenty twenty-four"),
    ("Jan 15, 2024", "January fifteenth, twenty twenty-four"),
    ("Jan. 15", "January fifteenth"),
    ("September 11th", "September eleventh"),
    ("3 March 2020", "the third of March, twenty twenty"),
    ("15th of March", "the fifteenth of March"),
    ("March 2024", "March twenty twenty-four"),
    ("2024-13-45", "twenty twenty-four-thirteen-forty-five"),
    # times
    ("3:30 PM", "three thirty PM"),
    ("at 10am.", "at ten AM."),
    ("9:05 a.m. Then", "nine oh five AM. Then"),
    ("14:05", "two oh five PM"),
    ("14:30", "two thirty PM"),
    ("00:30", "twelve thirty AM"),
    ("12:00", "twelve o'clock"),
    ("9:00 PM", "nine PM"),
    ("10:15:30", "ten fifteen and thirty seconds"),
    # phone numbers
    ("555-123-4567", "five five five, one two three, four five six seven"),
    ("123-456-7890", "one two three, four five six, seven eight nine zero"),
    ("(555) 123-4567", "five five five, one two three, four five six seven"),
    ("555.123.4567", "five five five, one two three, four five six seven"),
    ("+1 555 123 4567", "plus one, five five five, one two three, four five six seven"),
    ("+44 20 7946 0958", "plus four four, two zero, seven nine four six, zero nine five eight"),
    ("call 555-1234", "call five five five, one two three four"),
    ("1-800-555-1234", "one, eight zero zero, five five five, one two three four"),
    # units
    ("5kg", "five kilograms"),
    ("1 kg", "one kilogram"),
    ("10 km", "ten kilometers"),
    ("100km", "one hundred kilometers"),
    ("3 mph", "three miles per hour"),
    ("1 mph", "one mile per hour"),
    ("20°C", "twenty degrees Celsius"),
    ("-5°C", "minus five degrees Celsius"),
    ("98.6°F", "ninety-eight point six degrees Fahrenheit"),
    ("90°", "ninety degrees"),
    ("100 MB", "one hundred megabytes"),
    ("2 TB", "two terabytes"),
    ("2.5 GHz", "two point five gigahertz"),
    ("5 ft", "five feet"),
    ("250ms", "two hundred fifty milliseconds"),
    ("2x faster", "two times faster"),
    ("a 60W bulb", "a sixty watts bulb"),
    ("5 W 42nd St", "five W forty-second Street"),
    # ranges and sizes
    ("10-20 people", "ten to twenty people"),
    ("pages 10–20", "pages ten to twenty"),
    ("5-10 kg", "five to ten kilograms"),
    ("10-20%", "ten to twenty percent"),
    ("1999-2005", "nineteen ninety-nine to two thousand five"),
    ("250-1000", "two hundred fifty to one thousand"),
    ("won 3-2", "won three-two"),
    ("5 - 10", "five - ten"),
    ("4x4", "four by four"),
    ("1920x1080", "one thousand nine hundred twenty by one thousand eighty"),
    # fractions
    ("1/2", "one half"),
    ("3/4 cup", "three quarters cup"),
    ("2/3", "two thirds"),
    ("5/8", "five eighths"),
    ("2 1/2 cups", "two and a half cups"),
    ("⅔", "two thirds"),
    ("3½", "three and a half"),
    ("24/7", "twenty-four/seven"),
    # versions and addresses
    ("version 1.2.3", "version one point two point three"),
    ("192.168.0.1", "one hundred ninety-two dot one hundred sixty-eight dot zero dot one"),
    # URLs and e-mail
    ("example.com", "example dot com"),
    ("example.com/link/to/resource", "example dot com slash link slash to slash resource"),
    ("elevenlabs.io/docs", "elevenlabs dot io slash docs"),
    ("Visit www.google.com.", "Visit w w w dot google dot com."),
    ("https://example.com/a-b?q=1", "example dot com slash a dash b question mark q equals one"),
    ("john@example.com", "john at example dot com"),
    ("Mail jane.doe@mail.example.co.uk!", "Mail jane dot doe at mail dot example dot co dot uk!"),
    # shortcuts
    ("Ctrl + Z", "control z"),
    ("Ctrl+Shift+T", "control shift t"),
    ("press Cmd + C", "press command c"),
    # abbreviations
    ("Dr. Smith", "Doctor Smith"),
    ("Mr. and Mrs. Jones", "Mr. and Missus Jones"),
    ("Prof. Lee", "Professor Lee"),
    ("St. Patrick", "Saint Patrick"),
    ("Mt. Everest", "Mount Everest"),
    ("123 Main St, Anytown", "one hundred twenty-three Main Street, Anytown"),
    ("I live on Main St.", "I live on Main Street."),
    ("5th Ave. is busy", "fifth Avenue is busy"),
    ("Elm Dr. at the end", "Elm Drive at the end"),
    ("e.g. this", "for example this"),
    ("E.g. this", "For example this"),
    ("i.e. that", "that is that"),
    ("apples, pears, etc. and more", "apples, pears, et cetera and more"),
    ("apples, pears, etc.", "apples, pears, et cetera."),
    ("cats vs. dogs", "cats versus dogs"),
    ("cats vs dogs", "cats versus dogs"),
    ("No. 5", "number five"),
    ("Martin Luther King Jr. spoke", "Martin Luther King Junior spoke"),
    # symbols
    ("R&D", "R and D"),
    ("salt & pepper", "salt and pepper"),
    ("C++", "C plus plus"),
    ("1+1=2", "one plus one equals two"),
    ("#1", "number one"),
    ("~5 minutes", "about five minutes"),
    ("±3", "plus or minus three"),
    ("@john", "at john"),
    # roman numerals, only where unambiguous
    ("Chapter IV", "Chapter four"),
    ("World War II", "World War two"),
    ("Henry VIII", "Henry the eighth"),
    ("Louis XIV.", "Louis the fourteenth."),
    ("John V. Smith", "John V. Smith"),
    ("I think so", "I think so"),
    ("MIX it, CD and DC", "MIX it, CD and DC"),
]


@pytest.mark.parametrize(("source", "spoken"), EXAMPLES)
def test_spoken_form(source: str, spoken: str) -> None:
    assert normalize(source).text == spoken


PLAIN = [
    "",
    "Hello world.",
    "The quick brown fox jumps over the lazy dog!",
    'She said: "Don\'t go there," and left (quietly).',
    "Is it raining? Yes — it is… maybe.",
    "Multiple   spaces\nand a new line\n\nand a paragraph.",
    "I went to the market with my friends and we bought apples and pears.",
    "Ünïcödé wörds, 日本語のテキスト and emoji 🎉 stay as they are.",
    "A sentence with a dash - and an ellipsis...",
]


@pytest.mark.parametrize("source", PLAIN)
def test_plain_text_is_unchanged(source: str) -> None:
    assert normalize(source) == identity(source)


def _check_spans(result: NormalizedText) -> None:
    """Spans are contiguous, non-empty, cover both strings, and unchanged spans really are unchanged."""
    assert "".join(result.source[s.source_start : s.source_end] for s in result.spans) == result.source
    assert "".join(result.text[s.normalized_start : s.normalized_end] for s in result.spans) == result.text
    source_at = normalized_at = 0
    for span in result.spans:
        assert (span.source_start, span.normalized_start) == (source_at, normalized_at)
        assert span.source_end > span.source_start and span.normalized_end > span.normalized_start
        source_at, normalized_at = span.source_end, span.normalized_end
    assert (source_at, normalized_at) == (len(result.source), len(result.text))


MIXED = [
    "On Jan 15, 2024 Dr. Smith paid $4.50 for 5kg of apples at 3:30 PM.",
    "Call 555-123-4567 or (555) 987-6543, or e-mail info@example.com before 14:05!",
    "Prices rose 12.5% in the 1990s; R&D spent $1.5M on 2.5 GHz chips, e.g. model 1.2.3.",
    "Chapter IV: St. Patrick walked 10-20 km with 2 1/2 liters, about ½ of it on Main St, Anytown.",
]


@pytest.mark.parametrize("source", [source for source, _ in EXAMPLES] + PLAIN + MIXED)
def test_spans_cover_source_and_text(source: str) -> None:
    result = normalize(source)
    _check_spans(result)
    for span in result.spans:
        piece = result.source[span.source_start : span.source_end]
        if piece == result.text[span.normalized_start : span.normalized_end]:
            continue
        # A rewritten span is one token: it maps onto itself and nothing outside it.
        assert result.source_index(span.normalized_start) == span.source_start


@pytest.mark.parametrize("source", MIXED + [source for source, _ in EXAMPLES[:40]])
def test_source_index_is_monotonic_and_in_range(source: str) -> None:
    result = normalize(source)
    indices = [result.source_index(i) for i in range(len(result.text) + 1)]
    assert indices == sorted(indices)
    assert indices[0] == 0 and indices[-1] == len(result.source)
    assert all(0 <= i <= len(result.source) for i in indices)


def test_rewritten_tokens_are_separate_spans() -> None:
    result = normalize("Pay $1,000,000 now")
    assert result.text == "Pay one million dollars now"
    assert result.spans == (Span(0, 4, 0, 4), Span(4, 14, 4, 23), Span(14, 18, 23, 27))
    assert result.source_index(result.text.index("now")) == result.source.index("now")
    assert result.source_index(result.text.index("million")) in range(4, 14)


def test_unchanged_characters_map_one_to_one() -> None:
    result = normalize("Meet Dr. Smith at 3:30 PM today, OK?")
    for span in result.spans:
        piece = result.source[span.source_start : span.source_end]
        if piece == result.text[span.normalized_start : span.normalized_end]:
            for offset in range(len(piece)):
                assert result.source_index(span.normalized_start + offset) == span.source_start + offset


def test_glued_tokens_get_a_separating_space_inside_their_own_span() -> None:
    result = normalize("mp3")
    assert result.text == "mp three"
    assert result.spans == (Span(0, 2, 0, 2), Span(2, 3, 2, 8))


def test_source_index_rejects_out_of_range() -> None:
    result = normalize("5 cats")
    with pytest.raises(IndexError):
        result.source_index(len(result.text) + 1)
    with pytest.raises(IndexError):
        result.source_index(-1)


@pytest.mark.parametrize("text", ["", "abc", "Hello, world!"])
def test_identity(text: str) -> None:
    result = identity(text)
    assert result.text == result.source == text
    assert result.spans == ((Span(0, len(text), 0, len(text)),) if text else ())
    assert [result.source_index(i) for i in range(len(text) + 1)] == list(range(len(text) + 1))


@pytest.mark.parametrize("language", ["de", "ja", "fr-FR", "zh", "es"])
def test_other_languages_are_left_alone(language: str) -> None:
    assert normalize("Am 15.01.2024 kostet es 5€.", language) == identity("Am 15.01.2024 kostet es 5€.")


@pytest.mark.parametrize("language", ["en", "EN", "en-US", "en_GB", "eng"])
def test_english_variants_are_normalized(language: str) -> None:
    assert normalize("$5", language).text == "five dollars"


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (13, "thirteen"),
        (40, "forty"),
        (99, "ninety-nine"),
        (100, "one hundred"),
        (101, "one hundred one"),
        (1_000_001, "one million one"),
        (2_500_000_000, "two billion five hundred million"),
        (-12, "minus twelve"),
    ],
)
def test_cardinal(n: int, words: str) -> None:
    assert cardinal(n) == words


@pytest.mark.parametrize(
    ("n", "words"),
    [(1, "first"), (2, "second"), (3, "third"), (5, "fifth"), (8, "eighth"), (9, "ninth"), (12, "twelfth")]
    + [(20, "twentieth"), (21, "twenty-first"), (100, "one hundredth"), (101, "one hundred first")],
)
def test_ordinal(n: int, words: str) -> None:
    assert ordinal(n) == words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (1999, "nineteen ninety-nine"),
        (2024, "twenty twenty-four"),
        (2010, "twenty ten"),
        (2000, "two thousand"),
        (2009, "two thousand nine"),
        (1900, "nineteen hundred"),
        (1066, "ten sixty-six"),
        (1000, "one thousand"),
        (476, "four hundred seventy-six"),
    ],
)
def test_year(n: int, words: str) -> None:
    assert year(n) == words


def test_normalization_is_deterministic_and_fast() -> None:
    text = (" ".join(MIXED) + " " + " ".join(PLAIN)) * 40
    text = text[:10_000]
    first = normalize(text)
    assert normalize(text) == first
    best = min(_elapsed(text) for _ in range(3))
    assert best < 0.1, f"10,000 characters took {best * 1000:.0f} ms"


def _elapsed(text: str) -> float:
    started = time.perf_counter()
    normalize(text)
    return time.perf_counter() - started
