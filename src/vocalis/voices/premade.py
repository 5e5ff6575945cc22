"""ElevenLabs' premade voices (ids, names and labels verbatim from `premade_voices.json`), each mapped to a
local voice of the same gender and age: Kokoro packs and blends, or Piper's joe, spread by pace and pitch.
"""

from __future__ import annotations

import importlib.resources
import json
from dataclasses import dataclass

from vocalis.engines.protocols import VoiceSpec


@dataclass(frozen=True)
class PremadeVoice:
    voice_id: str
    name: str
    description: str
    labels: dict[str, str]  # accent, age, gender, use_case, description (same keys as the JSON)
    spec: VoiceSpec
    preview_text: str
    is_legacy: bool = False  # an older premade voice, outside ElevenLabs' current default set


def _kokoro(*blend: tuple[str, float], speed: float = 1.0, pitch: float = 0.0) -> VoiceSpec:
    return VoiceSpec(engine="kokoro", blend=blend, speed=speed, pitch_semitones=pitch)


def _joe(speed: float = 1.0, pitch: float = 0.0) -> VoiceSpec:
    return VoiceSpec(engine="piper", blend=(("en_US-joe-medium", 1.0),), speed=speed, pitch_semitones=pitch)


# Female voices use the four female Kokoro packs and their mixes (median F0 about 230-290 Hz). Male voices
# have two bases, Piper joe (about 90 Hz) and Kokoro jm_kumo (about 100 Hz): a little of a female pack
# lifts kumo's pitch and brightens it (0.15 -> about 120 Hz), a negative weight deepens it (about 75 Hz);
# old voices are slower and lower, young ones a little faster and higher.
_SPECS: dict[str, VoiceSpec] = {
    # Female
    "9BWtsMINqrJLrRacOk9x": _kokoro(("jf_gongitsune", 1.0)),  # Aria
    "EXAVITQu4vr4xnSDxMaL": _kokoro(("jf_nezumi", 1.0), speed=0.97),  # Sarah
    "FGY2WhTYpPnrIDTdsKH5": _kokoro(("jf_alpha", 1.0), speed=1.05),  # Laura
    "XB0fDUnXU5powFXDhCwa": _kokoro(("jf_nezumi", 0.6), ("jf_gongitsune", 0.4), speed=0.94),  # Charlotte
    "Xb7hH8MSUJpSbSDYk0k2": _kokoro(("jf_gongitsune", 0.7), ("jf_alpha", 0.3)),  # Alice
    "XrExE9yKIg1WjnnlVkGX": _kokoro(("jf_alpha", 0.5), ("jf_gongitsune", 0.5), speed=0.97),  # Matilda
    "cgSgspJ2msm6clMCkdW9": _kokoro(("jf_alpha", 0.6), ("jf_tebukuro", 0.4), speed=1.04),  # Jessica
    "pFZP5JQG7iQjIQuC4Bku": _kokoro(
        ("jf_gongitsune", 0.8), ("jf_nezumi", 0.2), speed=0.95, pitch=-1.0
    ),  # Lily
    "21m00Tcm4TlvDq8ikWAM": _kokoro(("jf_alpha", 0.7), ("jf_nezumi", 0.3), speed=0.96),  # Rachel
    "AZnzlk1XvdvUeBnXmlld": _kokoro(("jf_alpha", 0.8), ("jf_gongitsune", 0.2), speed=1.05),  # Domi
    "LcfcDJNUP1GQjkzn1xUU": _kokoro(("jf_nezumi", 0.7), ("jf_alpha", 0.3), speed=0.9),  # Emily
    "MF3mGyEYCl7XYWbV9V6O": _kokoro(("jf_tebukuro", 0.7), ("jf_alpha", 0.3)),  # Elli
    "ThT5KcBeYPX3keUQqHPh": _kokoro(("jf_tebukuro", 1.0), speed=0.96),  # Dorothy
    "piTKgcLEGmPE4e6mEKli": _kokoro(("jf_nezumi", 0.8), ("jf_tebukuro", 0.2), speed=0.92),  # Nicole
    # Non-binary: half kumo, half gongitsune sits between the male and female ranges (about 160 Hz).
    "SAz9YHcvj6GT2YYXdXww": _kokoro(("jm_kumo", 0.5), ("jf_gongitsune", 0.5)),  # River
    # Male
    "JBFqnCBsd6RMkjVDRZzb": _joe(speed=0.95),  # George
    "onwK4e9ZLuTAKqWW03F9": _joe(speed=0.97, pitch=-1.0),  # Daniel
    "nPczCjzI2devNBz1zQrb": _joe(speed=0.92, pitch=-2.0),  # Brian
    "pqHfZKP75CvOlQylNhV4": _joe(speed=0.86, pitch=-1.5),  # Bill
    "TX3LPaxmHKxFdv7VOQHJ": _joe(speed=1.05, pitch=1.5),  # Liam
    "cjVigY5qzO86Huf0OWal": _joe(speed=1.02, pitch=0.5),  # Eric
    "29vD33N1CtxCmqQRPOHJ": _joe(speed=1.0, pitch=-0.5),  # Drew
    "GBv7mTt0atIp3Br8iCZE": _joe(speed=0.9, pitch=1.0),  # Thomas
    "5Q0t7uMcjvnagumLfvZi": _joe(speed=1.04, pitch=-1.5),  # Paul
    "CwhRBWXzGAHq8TQ4Fs17": _kokoro(("jm_kumo", 1.0)),  # Roger
    "IKne3meq5aSn9XLyUdCD": _kokoro(("jm_kumo", 0.85), ("jf_tebukuro", 0.15)),  # Charlie
    "N2lVS1w4EtoT3dr4eOWO": _kokoro(("jm_kumo", 1.1), ("jf_alpha", -0.1), speed=1.04, pitch=-0.5),  # Callum
    "bIHbv24MWmeRgasZH58o": _kokoro(("jm_kumo", 0.85), ("jf_alpha", 0.15), speed=1.05, pitch=0.5),  # Will
    "iP95p4xoKVk53GoZ742B": _kokoro(("jm_kumo", 0.9), ("jf_nezumi", 0.1), speed=1.04),  # Chris
    "pNInz6obpgDQGcFmaJgB": _kokoro(("jm_kumo", 1.2), ("jf_nezumi", -0.2), speed=0.96),  # Adam
    "2EiwWnXFnvU5JabPnv8n": _kokoro(("jm_kumo", 1.1), ("jf_tebukuro", -0.1), speed=0.9, pitch=-1.5),  # Clyde
    "CYw3kZ02Hs0563khs1Fj": _kokoro(("jm_kumo", 1.0), speed=1.08, pitch=1.5),  # Dave
    "D38z5RcWu1voky8WS1ja": _kokoro(("jm_kumo", 0.9), ("jf_gongitsune", 0.1), speed=0.87, pitch=-1.0),  # Fin
    "ErXwobaYiN019PkySvjV": _kokoro(("jm_kumo", 0.75), ("jf_gongitsune", 0.25), speed=1.03),  # Antoni
    "TxGEqnHWrfWFTfGW9XjX": _kokoro(("jm_kumo", 1.3), ("jf_gongitsune", -0.3), speed=1.02),  # Josh
    "VR6AewLTigWG4xSOukaG": _kokoro(("jm_kumo", 1.0), speed=1.0, pitch=-1.0),  # Arnold
    "yoZ06aMxZJJ28mfd3POQ": _kokoro(("jm_kumo", 0.85), ("jf_nezumi", 0.15), speed=1.06, pitch=0.5),  # Sam
}

_PREVIEWS = {
    "narration": "Once upon a time, in a quiet village by the sea, there lived a curious young inventor.",
    "news": "Good evening. Here are tonight's top stories from around the world.",
    "social_media": "Hey everyone, welcome back! Today I have something really exciting to show you.",
    "conversational": "Hi there, thanks for calling. How can I help you today?",
    "characters": "You will never believe what I found hidden in the old cellar last night.",
    "meditation": "Take a slow, deep breath in, and gently let it go.",
    "audiobook": "Chapter one. The rain had not stopped for three days.",
    "childrens_stories": "Once there was a little rabbit who wanted to touch the moon.",
}


def _description(name: str, labels: dict[str, str], spec: VoiceSpec) -> str:
    age = labels["age"].replace("_", "-")
    gender = labels["gender"].replace("_", "-")
    use = labels["use_case"].replace("_", " ")
    local = "Piper joe" if spec.engine == "piper" else "Kokoro " + " + ".join(pack for pack, _ in spec.blend)
    return (
        f"{name}: {labels['description']}, {age} {gender} voice with a {labels['accent']} accent, for {use}. "
        f"Rendered locally by {local} in US English."
    )


def _load() -> tuple[PremadeVoice, ...]:
    source = importlib.resources.files("vocalis.voices").joinpath("premade_voices.json")
    voices = []
    for entry in json.loads(source.read_text(encoding="utf-8"))["voices"]:
        spec = _SPECS[entry["voice_id"]]
        voices.append(
            PremadeVoice(
                voice_id=entry["voice_id"],
                name=entry["name"],
                description=_description(entry["name"], entry["labels"], spec),
                labels=dict(entry["labels"]),
                spec=spec,
                preview_text=_PREVIEWS.get(entry["labels"]["use_case"], _PREVIEWS["conversational"]),
                is_legacy=entry.get("set") == "legacy",
            )
        )
    return tuple(voices)


PREMADE_VOICES: tuple[PremadeVoice, ...] = _load()
