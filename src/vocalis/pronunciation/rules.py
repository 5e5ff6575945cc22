"""Pronunciation rules as ElevenLabs defines them: an alias respells a word or phrase, a phoneme rule gives
its sound in IPA or CMU Arpabet.

Rules are checked once, when a dictionary version is made, so speech never meets a rule it cannot use.
Matching is case sensitive and whole-word unless a rule says otherwise (ElevenLabs: "searches are case
sensitive"; `case_sensitive` and `word_boundaries` are the SDK's per-rule switches).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from vocalis.errors import InvalidRequest
from vocalis.pronunciation.phonetics import canonical_alphabet, engine_ipa

MAX_RULE_CHARS = 1000


@dataclass(frozen=True)
class Rule:
    type: Literal["alias", "phoneme"]
    string_to_replace: str
    alias: str | None = None
    phoneme: str | None = None
    alphabet: str | None = None  # canonical: "ipa" or "cmu-arpabet"
    case_sensitive: bool = True
    word_boundaries: bool = True

    @cached_property
    def ipa(self) -> str:
        """What the engines speak for a phoneme rule (espeak-style IPA)."""
        return engine_ipa(self.phoneme or "", self.alphabet or "")

    def to_json(self) -> dict[str, Any]:
        """The rule as the API shows it and the store keeps it."""
        data: dict[str, Any] = {"type": self.type, "string_to_replace": self.string_to_replace}
        if self.type == "alias":
            data["alias"] = self.alias
        else:
            data["phoneme"] = self.phoneme
            data["alphabet"] = self.alphabet
        return data | {"case_sensitive": self.case_sensitive, "word_boundaries": self.word_boundaries}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rule:
        """A stored rule (already checked when it was made)."""
        return cls(**data)


def _text(value: str | None, field: str, string_to_replace: str) -> str:
    if value is None or not value.strip():
        raise InvalidRequest(
            f"The {field} of the rule for {string_to_replace!r} must not be empty.",
            code="invalid_pronunciation_rule",
        )
    if len(value) > MAX_RULE_CHARS:
        raise InvalidRequest(
            f"The {field} of the rule for {string_to_replace[:40]!r} is longer than {MAX_RULE_CHARS} "
            "characters.",
            code="invalid_pronunciation_rule",
        )
    return value.strip()


def make_rule(
    type: str,
    string_to_replace: str,
    *,
    alias: str | None = None,
    phoneme: str | None = None,
    alphabet: str | None = None,
    case_sensitive: bool | None = None,
    word_boundaries: bool | None = None,
) -> Rule:
    """A checked rule; InvalidRequest (400) for empty strings, an unknown alphabet or unreadable phonemes."""
    string_to_replace = " ".join(_text(string_to_replace, "string_to_replace", string_to_replace).split())
    flags = {
        "case_sensitive": True if case_sensitive is None else case_sensitive,
        "word_boundaries": True if word_boundaries is None else word_boundaries,
    }
    if type == "alias":
        return Rule("alias", string_to_replace, alias=_text(alias, "alias", string_to_replace), **flags)
    if type != "phoneme":
        raise InvalidRequest(
            f"Unknown rule type {type!r}: use 'alias' or 'phoneme'.", code="invalid_pronunciation_rule"
        )
    canonical = canonical_alphabet(alphabet or "")
    if canonical is None:
        raise InvalidRequest(
            f"Unknown phoneme alphabet {alphabet!r} in the rule for {string_to_replace!r}: use 'ipa' or "
            "'cmu-arpabet'.",
            code="unsupported_alphabet",
        )
    phoneme = _text(phoneme, "phoneme", string_to_replace)
    try:
        engine_ipa(phoneme, canonical)
    except ValueError as error:
        raise InvalidRequest(
            f"The phoneme {phoneme!r} of the rule for {string_to_replace!r} cannot be read as {canonical}: "
            f"{error}.",
            code="invalid_pronunciation_rule",
        ) from None
    return Rule("phoneme", string_to_replace, phoneme=phoneme, alphabet=canonical, **flags)
