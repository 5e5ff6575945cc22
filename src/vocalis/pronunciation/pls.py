"""W3C Pronunciation Lexicon Specification (PLS 1.0) files: read into rules, written from rules.

Reading goes through defusedxml with DTDs refused, so entity expansion ("billion laughs") and external
entities never reach the parser. Each `<grapheme>` of a `<lexeme>` becomes one rule with the lexeme's
preferred pronunciation (`prefer="true"`, else the first `<alias>` or `<phoneme>`); a `<phoneme>`'s own
`alphabet` overrides the lexicon's. Written files declare the PLS namespace and version 1.0, with alphabets
named as PLS wants them ("ipa", vendor ones "x-...").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from vocalis.errors import InvalidRequest
from vocalis.pronunciation.phonetics import IPA, PLS_ALPHABETS
from vocalis.pronunciation.rules import Rule, make_rule

NAMESPACE = "http://www.w3.org/2005/01/pronunciation-lexicon"
SCHEMA_LOCATION = "http://www.w3.org/TR/2008/REC-pronunciation-lexicon-20081014/pls.xsd"


def _invalid(message: str) -> InvalidRequest:
    return InvalidRequest(f"The lexicon file is not a valid PLS file: {message}", code="invalid_pls_file")


def _local(tag: object) -> str | None:
    """The element name without the PLS namespace; None for other namespaces (and comments)."""
    if not isinstance(tag, str):
        return None
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return name if namespace == NAMESPACE else None
    return tag  # files without the namespace are common enough to accept


def _text(element: Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _preferred(pronunciations: list[Element]) -> Element:
    return next((p for p in pronunciations if p.get("prefer", "").strip() == "true"), pronunciations[0])


def parse(data: bytes) -> list[Rule]:
    """The rules of a PLS file, in document order; InvalidRequest (400) for anything that is not one."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise _invalid(f"DTDs and entities are not allowed ({type(error).__name__}).") from None
    except ParseError as error:
        raise _invalid(f"malformed XML ({error}).") from None
    if _local(root.tag) != "lexicon":
        raise _invalid(f"the root element must be <lexicon>, not <{root.tag}>.")
    version = root.get("version", "1.0").strip()
    if version != "1.0":
        raise _invalid(f"only PLS version 1.0 is supported, not {version!r}.")
    default_alphabet = root.get("alphabet", IPA)
    rules = []
    for number, lexeme in enumerate((e for e in root if _local(e.tag) == "lexeme"), start=1):
        children = [(name, child) for child in lexeme if (name := _local(child.tag))]
        graphemes = [_text(child) for name, child in children if name == "grapheme"]
        pronunciations = [child for name, child in children if name in ("alias", "phoneme")]
        if not graphemes or not all(graphemes):
            raise _invalid(f"lexeme {number} needs at least one non-empty <grapheme>.")
        if not pronunciations:
            raise _invalid(f"lexeme {number} ({graphemes[0]!r}) has no <phoneme> or <alias>.")
        chosen = _preferred(pronunciations)
        for grapheme in graphemes:
            if _local(chosen.tag) == "alias":
                rules.append(make_rule("alias", grapheme, alias=_text(chosen)))
            else:
                alphabet = chosen.get("alphabet", default_alphabet)
                rules.append(make_rule("phoneme", grapheme, phoneme=_text(chosen), alphabet=alphabet))
    return rules


def serialize(rules: Sequence[Rule], language: str = "en-US") -> bytes:
    """A PLS 1.0 file with one lexeme per rule, in rule order.

    The lexicon's alphabet is the one most phoneme rules use; phonemes in another alphabet name theirs.
    PLS has no place for case sensitivity or word boundaries: those switches are not written.
    """
    alphabets = Counter(rule.alphabet or IPA for rule in rules if rule.type == "phoneme")
    default = alphabets.most_common(1)[0][0] if alphabets else IPA
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<lexicon version="1.0" xmlns="{NAMESPACE}"',
        '         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
        f'         xsi:schemaLocation="{NAMESPACE} {SCHEMA_LOCATION}"',
        f"         alphabet={quoteattr(PLS_ALPHABETS[default])} xml:lang={quoteattr(language)}>",
    ]
    for rule in rules:
        lines.append("  <lexeme>")
        lines.append(f"    <grapheme>{escape(rule.string_to_replace)}</grapheme>")
        if rule.type == "alias":
            lines.append(f"    <alias>{escape(rule.alias or '')}</alias>")
        elif rule.alphabet == default:
            lines.append(f"    <phoneme>{escape(rule.phoneme or '')}</phoneme>")
        else:
            alphabet = quoteattr(PLS_ALPHABETS[rule.alphabet or IPA])
            lines.append(f"    <phoneme alphabet={alphabet}>{escape(rule.phoneme or '')}</phoneme>")
        lines.append("  </lexeme>")
    lines.append("</lexicon>")
    return ("\n".join(lines) + "\n").encode("utf-8")
