"""Phonemes as people write them (IPA, CMU Arpabet) turned into the IPA the engines read.

Both local voices were trained on espeak-ng's English phonemes, so a given pronunciation is rewritten in
espeak's symbols and conventions: `ɹ` for r, `ɡ` for g, long vowels marked (`iː`, `ɑː`), and stress marks
right before the stressed vowel rather than before the syllable as IPA dictionaries write them.
"""

from __future__ import annotations

import re
import unicodedata

IPA = "ipa"
ARPABET = "cmu-arpabet"
# Names accepted for each alphabet, lower-cased: ElevenLabs writes "ipa" and "cmu-arpabet"; W3C PLS wants
# vendor alphabets as "x-organization(-alphabet)".
_ALPHABETS = {
    "ipa": IPA,
    "cmu-arpabet": ARPABET,
    "cmu": ARPABET,
    "arpabet": ARPABET,
    "x-cmu": ARPABET,
    "x-cmu-arpabet": ARPABET,
    "x-arpabet": ARPABET,
}
# How each alphabet is named in a PLS file this server writes (PLS 1.0: "ipa" or "x-...").
PLS_ALPHABETS = {IPA: "ipa", ARPABET: "x-cmu-arpabet"}

PRIMARY, SECONDARY = "ˈ", "ˌ"
_STRESS = PRIMARY + SECONDARY
_VOWELS = frozenset("aeiouyæɑɒɐəɘɚɛɜɞɪʊʌɔɤɯɵøœɶʏɨʉᵻ")

# Arpabet vowels: (stressed, unstressed) in espeak's en-us symbols ("happy" ends in unstressed "i", "bird" is
# "ɜː" and "butter" ends in "ɚ").
_ARPABET_VOWELS = {
    "AA": ("ɑː", "ɑː"),
    "AE": ("æ", "æ"),
    "AH": ("ʌ", "ə"),
    "AO": ("ɔː", "ɔː"),
    "AW": ("aʊ", "aʊ"),
    "AX": ("ə", "ə"),
    "AXR": ("ɚ", "ɚ"),
    "AY": ("aɪ", "aɪ"),
    "EH": ("ɛ", "ɛ"),
    "ER": ("ɜː", "ɚ"),
    "EY": ("eɪ", "eɪ"),
    "IH": ("ɪ", "ɪ"),
    "IX": ("ᵻ", "ᵻ"),
    "IY": ("iː", "i"),
    "OW": ("oʊ", "oʊ"),
    "OY": ("ɔɪ", "ɔɪ"),
    "UH": ("ʊ", "ʊ"),
    "UW": ("uː", "u"),
    "UX": ("uː", "u"),
}
_ARPABET_CONSONANTS = {
    "B": "b",
    "CH": "tʃ",
    "D": "d",
    "DH": "ð",
    "DX": "ɾ",
    "EL": "əl",
    "EM": "əm",
    "EN": "ən",
    "F": "f",
    "G": "ɡ",
    "HH": "h",
    "JH": "dʒ",
    "K": "k",
    "L": "l",
    "M": "m",
    "N": "n",
    "NG": "ŋ",
    "NX": "ŋ",
    "P": "p",
    "Q": "ʔ",
    "R": "ɹ",
    "S": "s",
    "SH": "ʃ",
    "T": "t",
    "TH": "θ",
    "V": "v",
    "W": "w",
    "WH": "w",
    "Y": "j",
    "Z": "z",
    "ZH": "ʒ",
}
_ARPABET_PHONE = re.compile(r"([A-Z]+)([012])?")

# IPA as dictionaries and people type it, rewritten in espeak's symbols (longest first). ASCII stand-ins
# (' for ˈ, : for ː, g, r) are common in hand-written lexicons such as ElevenLabs' own "/tə'meɪtoʊ/".
_IPA_REWRITES = (
    ("ɝː", "ɜː"),
    ("ɝ", "ɜː"),
    ("ʧ", "tʃ"),
    ("ʤ", "dʒ"),
    ("'", PRIMARY),
    ("’", PRIMARY),
    (":", "ː"),
    ("g", "ɡ"),
    ("r", "ɹ"),
    ("ɫ", "l"),
    ("ʍ", "w"),
)
# Delimiters, syllable breaks and tie bars carry no sound of their own.
_IPA_IGNORED = str.maketrans("", "", "/[]{}()|‖.‿\u0361\u035c")


def canonical_alphabet(name: str) -> str | None:
    """The canonical name ("ipa", "cmu-arpabet") for any accepted spelling of an alphabet, else None."""
    return _ALPHABETS.get(name.strip().lower())


def arpabet_to_ipa(arpabet: str) -> str:
    """espeak-style IPA for CMU Arpabet phones ("T AH0 M EY1 T OW2" -> "təmˈeɪtoʊ").

    Stress digits become stress marks before the vowel; a pronunciation written without any digits (as in
    ElevenLabs' "AE P AH L" example) stresses its first vowel, as most English words do. ValueError names
    a phone that is not Arpabet.
    """
    phones = []
    for token in arpabet.split():
        match = _ARPABET_PHONE.fullmatch(token.upper())
        name = match[1] if match else ""
        if name not in _ARPABET_VOWELS and (name not in _ARPABET_CONSONANTS or match[2]):  # type: ignore[index]
            raise ValueError(f"{token!r} is not a CMU Arpabet phone")
        phones.append((name, match[2]))  # type: ignore[index]
    if not phones:
        raise ValueError("the pronunciation has no phones")
    unmarked = all(stress is None for _, stress in phones)
    first_vowel = next((i for i, (name, _) in enumerate(phones) if name in _ARPABET_VOWELS), None)
    ipa = []
    for index, (name, stress) in enumerate(phones):
        if name in _ARPABET_CONSONANTS:
            ipa.append(_ARPABET_CONSONANTS[name])
            continue
        if unmarked:
            stress = "1" if index == first_vowel else "0"
        stressed, unstressed = _ARPABET_VOWELS[name]
        mark = {"1": PRIMARY, "2": SECONDARY}.get(stress or "0", "")
        ipa.append(mark + (unstressed if not mark else stressed))
    return "".join(ipa)


def _stress_before_vowels(symbols: list[str]) -> list[str]:
    """Move each stress mark from the start of its syllable to just before the syllable's vowel.

    A mark with no vowel before the next word, mark or the end (a syllabic consonant) stays where it is.
    """
    out = list(symbols)
    index = 0
    while index < len(out):
        if out[index] in _STRESS:
            vowel = index + 1
            while vowel < len(out) and out[vowel] not in _VOWELS and out[vowel] not in _STRESS + " ":
                vowel += 1
            if vowel < len(out) and out[vowel] in _VOWELS:
                mark = out.pop(index)
                out.insert(vowel - 1, mark)
                index = vowel
                continue
        index += 1
    return out


def clean_ipa(ipa: str) -> str:
    """espeak-style IPA for written IPA ("/tə'meɪtoʊ/" -> "təmˈeɪtoʊ"); ValueError when nothing is left."""
    text = unicodedata.normalize("NFC", ipa).translate(_IPA_IGNORED)
    for written, espeak in _IPA_REWRITES:
        text = text.replace(written, espeak)
    text = " ".join(text.split())
    if not any(char.isalpha() for char in text):
        raise ValueError("the pronunciation has no phonemes")
    return unicodedata.normalize("NFD", "".join(_stress_before_vowels(list(text))))


def engine_ipa(phoneme: str, alphabet: str) -> str:
    """The IPA the engines speak for `phoneme` written in `alphabet` (any accepted name).

    ValueError for an unknown alphabet or a pronunciation that cannot be read in it.
    """
    canonical = canonical_alphabet(alphabet)
    if canonical == ARPABET:
        return clean_ipa(arpabet_to_ipa(phoneme))
    if canonical == IPA:
        return clean_ipa(phoneme)
    raise ValueError(f"unknown phoneme alphabet {alphabet!r}; use 'ipa' or 'cmu-arpabet'")
