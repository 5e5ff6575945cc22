"""What a sound-effect prompt says besides the sound itself: how strong, how big, how far, how many, how
fast, how long, on what surface, and whether it should loop.

These are plain word lists and patterns, so they work the same with or without an embedding model; the
recipe matcher decides *what* sound it is, this module decides *how* it is played.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")

LOUD = {
    "heavy", "loud", "intense", "violent", "strong", "powerful", "hard", "fierce", "raging", "angry",
    "aggressive", "fast", "rapid", "racing", "running", "frantic", "pounding", "torrential", "roaring",
    "booming", "thunderous", "furious", "wild", "excited", "revving",
}  # fmt: skip
SOFT = {
    "gentle", "light", "soft", "quiet", "subtle", "faint", "calm", "slow", "mild", "weak", "lightly",
    "softly", "quietly", "gently", "peaceful", "relaxing", "soothing", "delicate", "drizzle", "idling",
    "idle", "lazy", "tranquil",
}  # fmt: skip
BIG = {"big", "large", "huge", "giant", "massive", "enormous", "deep", "colossal", "gigantic", "heavy"}
SMALL = {"small", "little", "tiny", "mini", "miniature", "puppy", "kitten", "toy", "high-pitched"}
FAR = {"distant", "far", "faraway", "far-off", "muffled", "outside", "remote", "neighbouring", "neighboring"}
FAR_PHRASES = ("in the distance", "far away", "far off", "another room", "next door", "behind a wall")
NEAR = {"close", "close-up", "closeup", "nearby", "near", "intimate", "asmr"}
NEAR_PHRASES = ("up close", "right next to", "in your ear", "next to the microphone")
LOOP = {"loop", "looping", "loopable", "looped", "seamless", "seamlessly"}
VERY = {"very", "extremely", "really", "super", "incredibly", "so"}
NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "single": 1, "once": 1, "twice": 2,
    "thrice": 3, "double": 2, "triple": 3,
}  # fmt: skip
# Words that name one event of a sound, so "three knocks" counts knocks but "two dogs barking" does not.
EVENT_NOUNS = {
    "knock", "bark", "shot", "gunshot", "beep", "step", "footstep", "honk", "toll", "ring", "clap", "hit",
    "punch", "drop", "drip", "explosion", "blast", "chime", "tick", "click", "time", "strike", "bang",
    "laser", "zap", "meow", "woof", "slam", "thump", "beat", "heartbeat", "whoosh", "swoosh", "boom",
    "ding", "blip", "bleep", "ping", "kick", "stomp", "pew", "coin", "bell", "horn", "crash", "burst",
}  # fmt: skip
MATERIALS = {
    "wood": "wood", "wooden": "wood", "floorboards": "wood", "parquet": "wood", "concrete": "concrete",
    "pavement": "concrete", "sidewalk": "concrete", "stone": "concrete", "tile": "tile", "tiles": "tile",
    "tiled": "tile", "marble": "tile", "metal": "metal", "metallic": "metal", "steel": "metal",
    "gravel": "gravel", "pebbles": "gravel", "snow": "snow", "snowy": "snow", "grass": "grass",
    "leaves": "leaves", "sand": "sand", "sandy": "sand", "beach": "sand",
}  # fmt: skip
# Words after a number that make it a measure rather than a count ("90 bpm", "5 seconds").
UNITS = {"bpm", "second", "seconds", "sec", "secs", "s", "minute", "minutes", "hz", "khz", "percent", "years"}
_SECONDS = re.compile(r"(\d+(?:\.\d+)?)\s*(?:-\s*)?(?:seconds?|secs?)\b")
_BPM = re.compile(r"(\d+(?:\.\d+)?)\s*(?:bpm|beats per minute)\b")


@dataclass(frozen=True)
class PromptModifiers:
    """What the prompt asked for; None where it did not say (the recipe's own habit applies)."""

    intensity: float | None = None
    size: float | None = None
    distance: float | None = None
    loop: bool = False
    count: int | None = None
    tempo_bpm: float | None = None
    seconds: float | None = None
    material: str | None = None


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def parse_prompt(text: str) -> PromptModifiers:
    lowered = text.lower()
    tokens = words(lowered)
    return PromptModifiers(
        intensity=_scale(tokens, LOUD, SOFT),
        size=_scale(tokens, BIG, SMALL),
        distance=_distance(lowered, tokens),
        loop=any(token in LOOP for token in tokens),
        count=_count(lowered, tokens),
        tempo_bpm=_number(_BPM, lowered, 20.0, 300.0),
        seconds=_number(_SECONDS, lowered, 0.1, 60.0),
        material=next((MATERIALS[token] for token in tokens if token in MATERIALS), None),
    )


def _scale(tokens: list[str], high: set[str], low: set[str]) -> float | None:
    """0.8 (or 0.95 after "very") for a word of `high`, 0.2 (0.05) for `low`, None for neither or both."""
    votes = []
    for index, token in enumerate(tokens):
        strong = index > 0 and tokens[index - 1] in VERY
        if token in high:
            votes.append(0.95 if strong else 0.8)
        elif token in low:
            votes.append(0.05 if strong else 0.2)
    return sum(votes) / len(votes) if votes else None


def _distance(lowered: str, tokens: list[str]) -> float | None:
    if any(phrase in lowered for phrase in FAR_PHRASES) or any(token in FAR for token in tokens):
        very = any(token in VERY for token in tokens)
        return 0.9 if very else 0.75
    if any(phrase in lowered for phrase in NEAR_PHRASES) or any(token in NEAR for token in tokens):
        return 0.0
    return None


def _singular(token: str) -> str:
    for suffix in ("es", "s"):
        if token.endswith(suffix) and token[: -len(suffix)] in EVENT_NOUNS:
            return token[: -len(suffix)]
    return token


def _count(lowered: str, tokens: list[str]) -> int | None:
    """A number of events: "three knocks", "3 loud gunshots", "knocks 4 times", "twice", "x3"."""
    if match := re.search(r"\b(?:x\s?(\d{1,2})|(\d{1,2})\s?x)\b", lowered):
        return max(1, min(int(match.group(1) or match.group(2)), 50))
    for adverb in ("once", "twice", "thrice"):
        if adverb in tokens:
            return NUMBERS[adverb]
    for index, token in enumerate(tokens):
        value = int(token) if token.isdigit() and len(token) <= 2 else NUMBERS.get(token)
        if not value or (index + 1 < len(tokens) and tokens[index + 1] in UNITS):
            continue
        # The counted noun may follow after an adjective or two ("three loud knocks").
        if any(_singular(following) in EVENT_NOUNS for following in tokens[index + 1 : index + 4]):
            return min(value, 50)
    return None


def _number(pattern: re.Pattern[str], lowered: str, low: float, high: float) -> float | None:
    match = pattern.search(lowered)
    if match is None:
        return None
    value = float(match.group(1))
    return value if low <= value <= high else None
