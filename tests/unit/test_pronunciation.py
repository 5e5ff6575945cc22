"""Pronunciation dictionaries: phonetic alphabets, PLS files (and XML attacks), rule matching, respelling
that keeps alignments exact, and given phonemes reaching a real engine."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

from vocalis.engines.phonemes import espeak_phonemize, phonemize
from vocalis.engines.piper import PiperSynthesizer
from vocalis.engines.protocols import SynthesisOptions, VoiceSpec
from vocalis.errors import InvalidRequest
from vocalis.pronunciation import pls
from vocalis.pronunciation.lexicon import Lexicon
from vocalis.pronunciation.phonetics import arpabet_to_ipa, canonical_alphabet, clean_ipa, engine_ipa
from vocalis.pronunciation.respelling import respell
from vocalis.pronunciation.rules import make_rule
from vocalis.speech.alignment import Alignment
from vocalis.speech.normalization import identity, normalize
from vocalis.speech.synthesis import SpeechInput, synthesize

JOE = VoiceSpec("piper", (("en_US-joe-medium", 1.0),))


def espeak(word: str) -> str:
    return "".join("".join(sentence) for sentence in espeak_phonemize(word))


def alias(string: str, replacement: str, **flags) -> object:
    return make_rule("alias", string, alias=replacement, **flags)


def phoneme(string: str, ph: str, alphabet: str = "ipa", **flags) -> object:
    return make_rule("phoneme", string, phoneme=ph, alphabet=alphabet, **flags)


# Alphabets -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("arpabet", "ipa"),
    [
        ("T AH0 M EY1 T OW2", "təmˈeɪtˌoʊ"),
        ("P R AH0 N AH2 N S IY0 EY1 SH AH0 N", "pɹənˌʌnsiˈeɪʃən"),
        ("hh ah0 l ow1", "həlˈoʊ"),  # lower case is read too
        ("B ER1 D", "bˈɜːd"),
        ("B AH1 T ER0", "bˈʌtɚ"),
    ],
)
def test_arpabet_becomes_espeak_style_ipa(arpabet: str, ipa: str) -> None:
    assert arpabet_to_ipa(arpabet) == ipa


@pytest.mark.parametrize(("word", "arpabet"), [("Madison", "M AE1 D IH0 S AH0 N"), ("apple", "AE P AH L")])
def test_arpabet_reads_like_espeak(word: str, arpabet: str) -> None:
    """CMUdict's (and ElevenLabs' stress-less) spelling gives exactly espeak's own phonemes for the word."""
    assert clean_ipa(arpabet_to_ipa(arpabet)) == espeak(word)


@pytest.mark.parametrize("arpabet", ["XX1", "T1 AH0", "", "T-AH0"])
def test_unknown_arpabet_is_refused(arpabet: str) -> None:
    with pytest.raises(ValueError):
        arpabet_to_ipa(arpabet)


@pytest.mark.parametrize(
    ("ipa", "engine"),
    [
        ("/tə'meɪtoʊ/", "təmˈeɪtoʊ"),  # ElevenLabs' own example: ASCII stress, slashes
        ("[ˈɛn.dʒɪn.ˈɛks]", "ˈɛndʒɪnˈɛks"),
        ("ˈæktʃuəli", "ˈæktʃuəli"),
        ("ɡʊd ˈmɔːrnɪŋ", "ɡʊd mˈɔːɹnɪŋ"),  # stress moves to the vowel; r is English ɹ
        ("gɝl", "ɡɜːl"),
        ("ˈæpl̩", "ˈæpl̩"),
    ],
)
def test_written_ipa_becomes_espeak_style(ipa: str, engine: str) -> None:
    assert clean_ipa(ipa) == engine
    assert engine_ipa(ipa, "IPA") == engine


def test_alphabet_names() -> None:
    assert {canonical_alphabet(name) for name in ("ipa", "IPA", " ipa ")} == {"ipa"}
    assert {canonical_alphabet(n) for n in ("cmu-arpabet", "x-cmu", "x-cmu-arpabet", "CMU")} == {
        "cmu-arpabet"
    }
    assert canonical_alphabet("sampa") is None
    with pytest.raises(ValueError, match="unknown phoneme alphabet"):
        engine_ipa("tə", "x-sampa")


def test_rules_are_checked_when_made() -> None:
    with pytest.raises(InvalidRequest) as unknown:
        phoneme("tomato", "təˈmeɪtoʊ", alphabet="sampa")
    assert unknown.value.code == "unsupported_alphabet"
    for bad in (
        lambda: phoneme("tomato", "XX1 T", alphabet="cmu-arpabet"),
        lambda: phoneme("tomato", "//"),
        lambda: alias("", "x"),
        lambda: alias("UN", "  "),
        lambda: make_rule("spelling", "UN"),
    ):
        with pytest.raises(InvalidRequest):
            bad()
    rule = alias("  New   York ", "N Y")
    assert (rule.string_to_replace, rule.case_sensitive, rule.word_boundaries) == ("New York", True, True)


# PLS -----------------------------------------------------------------------------------------------------
DOCS_IPA = """<?xml version="1.0" encoding="UTF-8"?>
<lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon"
  alphabet="ipa" xml:lang="en-US">
  <lexeme><grapheme>tomato</grapheme><grapheme>Tomato</grapheme><phoneme>/tə'meɪtoʊ/</phoneme></lexeme>
  <lexeme><grapheme>Apple</grapheme><phoneme>ˈæpl̩</phoneme></lexeme>
  <lexeme><grapheme>UN</grapheme><alias>United Nations</alias></lexeme>
  <lexeme>
    <grapheme>Madison</grapheme>
    <phoneme alphabet="cmu-arpabet">M AE1 D IH0 S AH0 N</phoneme>
  </lexeme>
  <lexeme>
    <grapheme>read</grapheme>
    <phoneme>ɹiːd</phoneme>
    <phoneme prefer="true">ɹɛd</phoneme>
    <example>I have read it.</example>
  </lexeme>
</lexicon>
""".encode()


def test_pls_lexemes_become_rules() -> None:
    rules = pls.parse(DOCS_IPA)
    assert [rule.to_json() for rule in rules] == [
        phoneme("tomato", "/tə'meɪtoʊ/").to_json(),
        phoneme("Tomato", "/tə'meɪtoʊ/").to_json(),
        phoneme("Apple", "ˈæpl̩").to_json(),
        alias("UN", "United Nations").to_json(),
        phoneme("Madison", "M AE1 D IH0 S AH0 N", alphabet="cmu-arpabet").to_json(),
        phoneme("read", "ɹɛd").to_json(),
    ]


def test_pls_in_cmu_without_namespace_is_read() -> None:
    data = b"""<lexicon version="1.0" alphabet="x-cmu"><lexeme><grapheme>apple</grapheme>
        <phoneme>AE P AH L</phoneme></lexeme></lexicon>"""
    (rule,) = pls.parse(data)
    assert (rule.alphabet, rule.ipa) == ("cmu-arpabet", espeak("apple"))


def test_pls_round_trip_and_namespace() -> None:
    rules = [
        phoneme("tomato", "/tə'meɪtoʊ/"),
        alias("R&D", "research <and> development"),
        phoneme("Madison", "M AE1 D IH0 S AH0 N", alphabet="cmu-arpabet"),
        phoneme("nginx", "ˈɛndʒɪnˈɛks"),
    ]
    data = pls.serialize(rules)
    assert pls.parse(data) == rules
    root = ElementTree.fromstring(data)
    assert root.tag == "{http://www.w3.org/2005/01/pronunciation-lexicon}lexicon"
    assert root.get("version") == "1.0" and root.get("alphabet") == "ipa"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-US"
    alphabets = [element.get("alphabet") for element in root.iter() if element.get("alphabet")]
    assert alphabets == ["ipa", "x-cmu-arpabet"]
    # PLS 1.0: "ipa", or a vendor alphabet "x-organization(-alphabet)".
    assert all(re.fullmatch(r"ipa|x-[a-z]+(-[a-z]+)?", alphabet) for alphabet in alphabets)
    for lexeme in root:
        names = [child.tag.split("}")[1] for child in lexeme]
        assert names[0] == "grapheme" and names[1] in ("alias", "phoneme")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lexicon [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<lexicon version="1.0" alphabet="ipa">
  <lexeme><grapheme>&lol3;</grapheme><alias>x</alias></lexeme>
</lexicon>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE lexicon [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<lexicon version="1.0" alphabet="ipa">
  <lexeme><grapheme>a</grapheme><alias>&secret;</alias></lexeme>
</lexicon>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE lexicon SYSTEM "http://127.0.0.1:9/pls.dtd">
<lexicon version="1.0" alphabet="ipa"><lexeme><grapheme>a</grapheme><alias>b</alias></lexeme></lexicon>"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (BILLION_LAUGHS, "DTDs and entities are not allowed"),
        (EXTERNAL_ENTITY, "DTDs and entities are not allowed"),
        (EXTERNAL_DTD, "DTDs and entities are not allowed"),
        (b"<lexicon><lexeme><grapheme>a</grapheme>", "malformed XML"),
        (b"not xml at all", "malformed XML"),
        (b'<speak version="1.0"/>', "root element must be <lexicon>"),
        (b'<lexicon version="2.0"/>', "only PLS version 1.0"),
        (b'<lexicon version="1.0"><lexeme><alias>b</alias></lexeme></lexicon>', "needs at least one"),
        (
            b'<lexicon version="1.0"><lexeme><grapheme>a</grapheme></lexeme></lexicon>',
            "no <phoneme> or <alias>",
        ),
    ],
)
def test_bad_pls_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message) as error:
        pls.parse(data)
    assert error.value.code == "invalid_pls_file" and error.value.http_status == 400


def test_pls_with_an_unknown_alphabet_is_refused() -> None:
    data = b"""<lexicon version="1.0" alphabet="x-sampa">
        <lexeme><grapheme>a</grapheme><phoneme>@</phoneme></lexeme></lexicon>"""
    with pytest.raises(InvalidRequest, match="Unknown phoneme alphabet 'x-sampa'") as error:
        pls.parse(data)
    assert error.value.code == "unsupported_alphabet"


# Matching ------------------------------------------------------------------------------------------------
def matched(lexicon: Lexicon, text: str, protected=()) -> list[tuple[str, str]]:
    return [
        (text[m.start : m.end], m.rule.alias or m.rule.phoneme or "")
        for m in lexicon.matches(text, protected)
    ]


def test_matching_is_case_sensitive_and_whole_word_by_default() -> None:
    lexicon = Lexicon([alias("UN", "United Nations"), alias("tomato", "tomahto")])
    text = "The UN and UNESCO: un, Tomato, tomato, tomatoes, (UN)."
    assert matched(lexicon, text) == [
        ("UN", "United Nations"),
        ("tomato", "tomahto"),
        ("UN", "United Nations"),
    ]


def test_rule_switches() -> None:
    lexicon = Lexicon(
        [alias("tomato", "tomahto", case_sensitive=False), alias("ana", "ANA", word_boundaries=False)]
    )
    assert matched(lexicon, "TOMATO Tomato banana") == [
        ("TOMATO", "tomahto"),
        ("Tomato", "tomahto"),
        ("ana", "ANA"),  # once: "b[ana]na" leaves "na"
    ]


def test_first_rule_wins_and_replaced_text_is_not_read_again() -> None:
    lexicon = Lexicon(
        [alias("New", "Knew"), alias("New York", "NYC"), alias("York", "Yorke"), alias("New", "Gnu")]
    )
    assert matched(lexicon, "New York, New  York") == [("New", "Knew"), ("York", "Yorke")] * 2
    phrase_first = Lexicon([alias("New York", "NYC"), alias("New", "Knew")])
    assert matched(phrase_first, "New York, New\nYork and New") == [
        ("New York", "NYC"),
        ("New\nYork", "NYC"),
        ("New", "Knew"),
    ]


def test_symbols_and_protected_words() -> None:
    lexicon = Lexicon([alias("C++", "C plus plus"), alias("Dr.", "Doctor"), alias("tomato", "tomahto")])
    text = "Dr. Smith writes C++, and tomato tomato."
    assert matched(lexicon, text, protected=[(26, 32)]) == [
        ("Dr.", "Doctor"),
        ("C++", "C plus plus"),
        ("tomato", "tomahto"),
    ]


def test_a_large_lexicon_stays_fast() -> None:
    import time

    lexicon = Lexicon([alias(f"word{index}", f"alias {index}") for index in range(10_000)])
    text = " ".join(f"word{index}" if index % 2 else f"other{index}" for index in range(3000))
    started = time.perf_counter()
    found = lexicon.matches(text)
    assert len(found) == 3000 // 2 and time.perf_counter() - started < 0.5


# Respelling and alignment -----------------------------------------------------------------------------
def test_aliases_are_rewritten_spans_and_phoneme_words_stay_as_written() -> None:
    lexicon = Lexicon(
        [alias("Vocalis", "Voice Calis"), phoneme("tomato", "P AH0 T EY1 T OW2", "cmu-arpabet")]
    )
    text = "Vocalis sells 2 tomatoes and a tomato."
    spoken = respell(text, [], lexicon, normalize)
    assert spoken.normalized.text == "Voice Calis sells two tomatoes and a tomato."
    ((start, end, ipa),) = spoken.pronunciations
    assert spoken.normalized.text[start:end] == "tomato" and ipa == "pətˈeɪtˌoʊ"
    rewritten = [
        (text[s.source_start : s.source_end], spoken.normalized.text[s.normalized_start : s.normalized_end])
        for s in spoken.normalized.spans
    ]
    assert ("Vocalis", "Voice Calis") in rewritten and ("2", "two") in rewritten
    assert "".join(source for source, _ in rewritten) == text
    assert spoken.within(start - 2, end) == ((2, 8, ipa),) and spoken.within(0, start) == ()


def test_ssml_phonemes_win_over_dictionary_rules() -> None:
    tags = [(4, 10, "ipa", "təˈmɑːtoʊ"), (15, 21, "x-sampa", "t@")]
    spoken = respell("Say tomato and tomato.", tags, Lexicon([alias("tomato", "tomahto")]), identity)
    assert spoken.normalized.text == "Say tomato and tomato."  # an unreadable tag leaves its word as written
    assert spoken.pronunciations == ((4, 10, "təmˈɑːtoʊ"),)


def test_without_rules_nothing_changes() -> None:
    text = "It costs $5 on 3/4."
    assert respell(text, [], None, normalize).normalized == normalize(text)
    assert respell(text, [], Lexicon([]), identity).normalized == identity(text)


def test_given_phonemes_replace_espeaks_reading() -> None:
    text = "I like a tomato, and New York."
    given = [(9, 15, "pətˈeɪtoʊ"), (21, 29, "nuː jˈɔːk")]
    (sentence,) = phonemize(text, "en-us", given)
    spoken = "".join(sentence.phonemes)
    assert "pətˈeɪtoʊ," in spoken and "nuː jˈɔːk." in spoken and "təmˈeɪ" not in spoken
    assert {sentence.spans[i] for i, p in enumerate(sentence.phonemes) if p == "p"} == {(9, 15)}


@pytest.fixture(scope="module")
def piper() -> PiperSynthesizer:
    return PiperSynthesizer(threads=2)


def render(
    engine: PiperSynthesizer, text: str, lexicon: Lexicon | None
) -> tuple[np.ndarray, Alignment, Alignment]:
    request = SpeechInput(
        text=text, spec=JOE, options=SynthesisOptions(variation=0.0, seed=3), lexicon=lexicon
    )
    pieces = list(synthesize(engine, request))
    alignment, normalized = Alignment(), Alignment()
    for piece in pieces:
        alignment.extend(piece.alignment)
        normalized.extend(piece.normalized_alignment)
    return np.concatenate([piece.audio for piece in pieces]), alignment, normalized


def test_alignment_spells_the_request_while_the_engine_says_the_dictionary(piper: PiperSynthesizer) -> None:
    lexicon = Lexicon(
        [alias("Vocalis", "Voice Calis"), phoneme("tomato", "P AH0 T EY1 T OW2", "cmu-arpabet")]
    )
    text = (
        'Vocalis bought 2 [laughs] tomatoes, a tomato <break time="0.3s"/> and a '
        '<phoneme alphabet="ipa" ph="ˈɔːɹɪndʒ">pear</phoneme>.'
    )
    audio, alignment, normalized = render(piper, text, lexicon)
    assert "".join(alignment.characters) == text
    spoken = "".join(normalized.characters)  # the parts around the break, each as the engine said it
    assert spoken.startswith("Voice Calis bought two tomatoes, a tomato") and spoken.endswith("and a pear.")
    for times in (alignment.starts, alignment.ends, normalized.starts):
        assert all(later >= earlier for earlier, later in zip(times, times[1:]))
    assert alignment.ends[-1] <= len(audio) / piper.sample_rate + 1e-3
    # The alias's time is shared out over "Vocalis", which is spoken for as long as "Voice Calis".
    word = slice(0, len("Vocalis"))
    spoken_for = alignment.ends[word][-1] - alignment.starts[word][0]
    alias_end = "".join(normalized.characters).index(" bought")
    assert spoken_for == pytest.approx(normalized.ends[alias_end - 1] - normalized.starts[0], abs=0.01)
    assert spoken_for > 0.4
    # The phoneme rule changed the audio; the plain request says "tomato" as espeak reads it.
    plain, _, _ = render(piper, text, None)
    assert len(plain) != len(audio) or not np.allclose(plain, audio)


def test_concurrent_rule_changes_are_all_kept(tmp_path):
    """Each change reads the latest version and moves it only if nobody moved it meanwhile."""
    from concurrent.futures import ThreadPoolExecutor

    from vocalis.pronunciation.dictionaries import PronunciationDictionaries
    from vocalis.store.database import Database
    from vocalis.store.pronunciation_dictionaries import PronunciationDictionaryRepository

    database = Database(f"sqlite:///{tmp_path / 'vocalis.db'}")
    database.migrate()
    dictionaries = PronunciationDictionaries(PronunciationDictionaryRepository(database))
    made = dictionaries.create(
        name="shared", description=None, workspace_access=None, rules=[], created_by="u"
    )
    with ThreadPoolExecutor(6) as pool:
        versions = list(
            pool.map(
                lambda n: dictionaries.add_rules(
                    made.dictionary.dictionary_id, [alias(f"word{n}", f"alias {n}")]
                ),
                range(12),
            )
        )
    latest = dictionaries.get(made.dictionary.dictionary_id).latest
    assert latest.rules_num == 12 and len({v.latest.version_id for v in versions}) == 12
    assert sorted(rule["string_to_replace"] for rule in latest.rules) == sorted(f"word{n}" for n in range(12))
    database.close()
