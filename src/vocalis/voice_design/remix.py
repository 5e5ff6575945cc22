"""Voice remixing: three voices that start from an existing one and make the changes a prompt asks for
("make him older and a bit slower", "deeper, calmer, with a British accent").

A remix keeps what the voice is made of (its engine, blend and equalizer) and moves what a prompt can name:
pitch (the prompt's pitch words, texture, and an age change, each in the semitones that separate typical
voices of those ages), pace and delivery. `prompt_strength` scales every change (0.5, the default, applies
it as a description would ask for it of a new voice). The three previews sit a little apart in pitch and
pace around the changed voice, so they differ audibly even when the prompt asks for nothing measurable.
A prompt that names another gender ("make it a woman") has nothing of the old voice to keep that the
engines could carry over: it gets three newly designed voices of that gender, at the voice's age and pace.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from vocalis.engines.protocols import VoiceSpec
from vocalis.voice_design.candidates import (
    AGE_PACE,
    MAX_SHIFT,
    MIN_SHIFT,
    PACE_STEP,
    PITCH_SEMITONES,
    SPEED_RANGE,
    SPREAD_SEMITONES,
    TARGET_F0_HZ,
    TEXTURE_SEMITONES,
    TEXTURE_VARIATION,
    BaseVoice,
    DesignedVoice,
    design_labels,
    design_voices,
    semitones,
)
from vocalis.voice_design.traits import AGES, VoiceTraits
from vocalis.voices.library import LibraryVoice

DEFAULT_PROMPT_STRENGTH = 0.5
# Remixed previews stay closer to each other than designed ones: they are variations of one voice.
REMIX_SPREAD = 0.5
# The labels the server adds (how a clone was made) do not describe a remixed voice.
SERVER_LABELS = ("vocalis_clone_method", "vocalis_similarity")


def voice_gender(voice: LibraryVoice) -> str:
    """The voice's gender as voice design names it, from its labels, else from how much of the male pack
    its blend holds."""
    label = (voice.labels.get("gender") or "").lower()
    if label in ("male", "female"):
        return label
    if label in ("neutral", "non_binary", "non-binary"):
        return "neutral"
    share = BaseVoice(voice.spec.engine, voice.spec.blend, "neutral").male_share
    return "male" if share >= 0.6 else "female" if share <= 0.4 else "neutral"


def voice_age(voice: LibraryVoice) -> str:
    age = (voice.labels.get("age") or "").lower().replace(" ", "_")
    return age if age in AGES else "middle_aged"


def change_scale(prompt_strength: float | None) -> float:
    """How much of each asked change is made: 1 at the default strength, 0 at 0, 2 at 1."""
    strength = DEFAULT_PROMPT_STRENGTH if prompt_strength is None else prompt_strength
    return 2.0 * strength


def remixed_traits(voice: LibraryVoice, traits: VoiceTraits) -> VoiceTraits:
    """What the remixed voice is: the prompt's changes over the voice's own gender, age and accent."""
    return replace(
        traits,
        gender=traits.gender or voice_gender(voice),
        age=traits.age or voice_age(voice),
        accent=traits.accent or voice.labels.get("accent"),
        use_case=traits.use_case or voice.labels.get("use_case"),
    )


def _labels(voice: LibraryVoice, traits: VoiceTraits, gender: str) -> dict[str, str]:
    """The voice's own labels (less the server's), with what the remix changed."""
    kept = {key: value for key, value in voice.labels.items() if key not in SERVER_LABELS}
    return {**kept, **design_labels(traits, gender)}


def _shift_limits(start: float) -> tuple[float, float]:
    """A change may take the voice up to MAX_SHIFT from its engine's own pitch (further sounds processed),
    but never pulls back a voice that already sits further out."""
    return min(start, -MAX_SHIFT), max(start, MAX_SHIFT)


def remix_voices(
    voice: LibraryVoice,
    traits: VoiceTraits,
    seed: int,
    spread: float,
    scale: float,
    variation: float,
    engines: set[str],
) -> list[DesignedVoice]:
    """Three remixes of `voice`: the same voice, traits, seed, spread and scale always give the same three.
    `variation` is the voice's own delivery (1 - its stability)."""
    rng = np.random.default_rng(seed)
    gender = voice_gender(voice)
    age = voice_age(voice)
    if traits.gender is not None and traits.gender != gender:
        kept_pace = traits.pace + math.log(voice.spec.speed) / math.log(PACE_STEP)
        return design_voices(replace(remixed_traits(voice, traits), pace=kept_pace), seed, spread, engines)

    new_age = traits.age or age
    change = scale * (
        traits.pitch * PITCH_SEMITONES
        + sum(TEXTURE_SEMITONES.get(texture, 0.0) for texture in traits.texture)
        + semitones(TARGET_F0_HZ[(gender, age)], TARGET_F0_HZ[(gender, new_age)])
    )
    pace = PACE_STEP**traits.pace * AGE_PACE[new_age] / AGE_PACE[age] * (1.0 + 0.05 * traits.energy)
    pace **= scale
    delivery = 0.25 * traits.energy + sum(TEXTURE_VARIATION.get(texture, 0.0) for texture in traits.texture)
    remixed_variation = float(np.clip(variation + scale * delivery, 0.1, 0.9))
    base_f0 = BaseVoice(voice.spec.engine, voice.spec.blend, gender).f0_hz
    labels = _labels(voice, remixed_traits(voice, traits), gender)
    low, high = _shift_limits(voice.spec.pitch_semitones)

    offsets = rng.permutation([-1.0, 0.0, 1.0]) * SPREAD_SEMITONES * REMIX_SPREAD * spread
    voices = []
    for offset in offsets:
        shift = voice.spec.pitch_semitones + change + offset + rng.normal(0.0, 0.1 * spread)
        shift = float(np.clip(shift, low, high))
        speed = voice.spec.speed * pace * (1.0 + 0.03 * spread * rng.uniform(-1.0, 1.0))
        spec = VoiceSpec(
            engine=voice.spec.engine,
            blend=voice.spec.blend,
            speed=round(float(np.clip(speed, *SPEED_RANGE)), 3),
            pitch_semitones=round(shift, 2) if abs(shift) >= MIN_SHIFT else 0.0,
            equalizer=voice.spec.equalizer,
        )
        voices.append(
            DesignedVoice(
                spec=spec,
                gender=gender,
                target_f0_hz=round(base_f0 * 2.0 ** (shift / 12.0), 1),
                variation=remixed_variation,
                seed=int(rng.integers(2**31)),
                labels=labels,
            )
        )
    return voices
