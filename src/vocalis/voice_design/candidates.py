"""Three voices near a description, from what the local engines can render: Kokoro's voice packs and their
blends, and Piper's joe, each placed at the pitch and pace the description asks for.

A voice's pitch is predicted, not measured per request: each pack's median F0 and pace were measured once
(below), and a blend's F0 follows the weighted geometric mean of its packs' F0 (within about 10 % on the
mixes measured, negative weights included). Candidates that need the smallest pitch shift are the likeliest
picks, since a shift also moves the formants and past a few semitones sounds processed. Three are drawn
without replacement, seeded, from different dominant packs where the gender allows, and spread a little in
pitch and pace, so that even a narrow description gives three voices that differ audibly.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from vocalis.engines.protocols import VoiceSpec
from vocalis.voice_design.traits import VoiceTraits

KOKORO = "kokoro"
PIPER = "piper"
PIPER_VOICE = "en_US-joe-medium"
FEMALE_PACKS = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro")
MALE_PACK = "jm_kumo"
# Median F0 (Hz) and length (s) of a 125-character sentence at speed 1, measured on each pure voice with
# the test suite's autocorrelation pitch tracker.
PACK_F0_HZ = {"jf_alpha": 262.0, "jf_gongitsune": 222.0, "jf_nezumi": 248.0, "jf_tebukuro": 320.0,
              "jm_kumo": 94.0}  # fmt: skip
PACK_SECONDS = {"jf_alpha": 8.68, "jf_gongitsune": 9.98, "jf_nezumi": 10.2, "jf_tebukuro": 9.85,
                "jm_kumo": 9.03}  # fmt: skip
PIPER_F0_HZ = 86.0
PIPER_SECONDS = 7.33
# The pace every design starts from: that sentence in 9 s, about 14 characters a second.
TYPICAL_SECONDS = 9.0

# Where a voice of each gender and age usually sits (median F0, Hz).
TARGET_F0_HZ = {
    ("male", "child"): 250.0, ("male", "young"): 115.0, ("male", "middle_aged"): 100.0,
    ("male", "old"): 95.0, ("female", "child"): 290.0, ("female", "young"): 235.0,
    ("female", "middle_aged"): 210.0, ("female", "old"): 190.0, ("neutral", "child"): 270.0,
    ("neutral", "young"): 170.0, ("neutral", "middle_aged"): 160.0, ("neutral", "old"): 150.0,
}  # fmt: skip
# Targets stay within speaking voices the packs can reach ("a squeaky little girl" is not 410 Hz).
TARGET_RANGE_HZ = (65.0, 350.0)
AGE_PACE = {"child": 1.05, "young": 1.04, "middle_aged": 1.0, "old": 0.9}
PITCH_SEMITONES = 4.0  # how far `pitch` = ±1 moves the target
PACE_STEP = 1.25  # `pace` = ±1 multiplies the speed by this (or divides by it)
TEXTURE_SEMITONES = {"raspy": -1.0, "warm": -0.5, "bright": 1.0, "nasal": 0.5}
TEXTURE_VARIATION = {"raspy": 0.1, "smooth": -0.1, "breathy": -0.1}
MAX_SHIFT = 5.0  # semitones; further shifts sound processed
MIN_SHIFT = 0.25  # smaller shifts are inaudible and not worth the time-stretch
FREE_SHIFT = 1.5  # shifts this small barely change a voice's quality: they cost nothing in the pick
SPEED_RANGE = (0.6, 1.7)
SPREAD_SEMITONES = 1.0  # how far apart in pitch the three candidates are placed, at variety 1
# A base that would sound like a voice already picked costs up to this many semitones of shift more. Two
# voices sound alike (speaker-embedding cosine over 0.95 on one sentence) when one engine renders them with a
# similar share of the male pack and a similar shift; different female packs, or shifts 2.5 semitones
# apart (the shift moves the formants too), sound different.
DIVERSITY_SEMITONES = 5.0
SIMILAR_MALE_SHARE = 0.45
SIMILAR_SHIFT = 2.5
# Softmax temperature of the pick, in semitones of shift at variety 1: a base needing 1.6 semitones more
# shift than the best is e^2 (7x) less likely.
SELECTION_SEMITONES = 0.8


@dataclass(frozen=True)
class BaseVoice:
    """A voice the engines render without a pitch shift: one pack, a blend, or Piper's joe."""

    engine: str
    blend: tuple[tuple[str, float], ...]
    gender: str  # "male" | "female" | "neutral"

    @property
    def family(self) -> str:
        """The pack (or Piper voice) with the largest weight: voices of one family sound alike."""
        return max(self.blend, key=lambda item: item[1])[0]

    @property
    def male_share(self) -> float:
        if self.engine == PIPER:
            return 1.0
        return sum(weight for pack, weight in self.blend if pack == MALE_PACK) / sum(w for _, w in self.blend)

    @property
    def f0_hz(self) -> float:
        if self.engine == PIPER:
            return PIPER_F0_HZ
        total = sum(weight for _, weight in self.blend)
        return math.exp(sum(weight / total * math.log(PACK_F0_HZ[pack]) for pack, weight in self.blend))

    @property
    def seconds(self) -> float:
        if self.engine == PIPER:
            return PIPER_SECONDS
        total = sum(weight for _, weight in self.blend)
        return sum(weight / total * PACK_SECONDS[pack] for pack, weight in self.blend)


@dataclass(frozen=True)
class DesignedVoice:
    """One preview voice: what to render it with, and the labels a voice saved from it gets."""

    spec: VoiceSpec
    gender: str
    target_f0_hz: float
    variation: float  # 0..1, as SynthesisOptions.variation (1 - stability)
    seed: int  # the render's seed, so a preview renders the same again
    labels: dict[str, str]


def base_voices(engines: set[str]) -> list[BaseVoice]:
    """Every base voice the installed engines can render."""
    voices = []
    if PIPER in engines:
        voices.append(BaseVoice(PIPER, ((PIPER_VOICE, 1.0),), "male"))
    if KOKORO in engines:
        voices.append(BaseVoice(KOKORO, ((MALE_PACK, 1.0),), "male"))
        for pack in FEMALE_PACKS:
            voices.append(BaseVoice(KOKORO, ((pack, 1.0),), "female"))
            # Some of a female pack lifts and brightens kumo; a negative weight deepens it.
            for weight in (-0.3, -0.15, 0.15, 0.3):
                voices.append(BaseVoice(KOKORO, ((MALE_PACK, 1.0 - weight), (pack, weight)), "male"))
            for weight in (0.4, 0.5, 0.6):
                voices.append(BaseVoice(KOKORO, ((MALE_PACK, weight), (pack, 1.0 - weight)), "neutral"))
            # A little kumo darkens a female pack, for lower and older women.
            voices.append(BaseVoice(KOKORO, ((pack, 0.85), (MALE_PACK, 0.15)), "female"))
        for first, second in itertools.permutations(FEMALE_PACKS, 2):
            voices.append(BaseVoice(KOKORO, ((first, 0.65), (second, 0.35)), "female"))
    return voices


def semitones(from_hz: float, to_hz: float) -> float:
    return 12.0 * math.log2(to_hz / from_hz)


def variety(quality: float | None, guidance_scale: float | None) -> float:
    """How far the candidates may stray from the description: 1 at ElevenLabs' defaults (quality 0.9,
    guidance 5); higher quality and stronger guidance keep them closer ("less variety")."""
    quality = 0.9 if quality is None else quality
    guidance = 5.0 if guidance_scale is None else guidance_scale
    return float(np.clip((2.0 - quality) / 1.1 * math.sqrt(5.0 / max(guidance, 0.5)), 0.25, 2.5))


def _genders(traits: VoiceTraits, rng: np.random.Generator) -> list[str]:
    """One gender per candidate; an unsaid gender gives both, two of one and one of the other."""
    if traits.gender is not None:
        return [traits.gender] * 3
    first, second = rng.permutation(["male", "female"])
    return [str(first), str(second), str(rng.choice([first, second]))]


def design_labels(traits: VoiceTraits, gender: str) -> dict[str, str]:
    """The labels a voice saved from a preview of `traits` gets."""
    labels = {"gender": "non_binary" if gender == "neutral" else gender, "age": traits.age or "middle_aged"}
    if traits.accent:
        labels["accent"] = traits.accent
    if traits.texture:
        labels["description"] = traits.texture[0]
    elif abs(traits.energy) >= 0.5:
        labels["description"] = "energetic" if traits.energy > 0 else "calm"
    elif abs(traits.pitch) >= 0.5:
        labels["description"] = "high" if traits.pitch > 0 else "deep"
    if traits.use_case:
        labels["use_case"] = traits.use_case
    return labels


def closeness(one: BaseVoice, one_shift: float, other: BaseVoice, other_shift: float) -> float:
    """How alike two placed voices sound, from 0 (clearly different) to 1 (the same voice)."""
    if one.engine != other.engine:
        return 0.0
    share = max(0.0, 1.0 - abs(one.male_share - other.male_share) / SIMILAR_MALE_SHARE)
    shift = max(0.0, 1.0 - abs(one_shift - other_shift) / SIMILAR_SHIFT)
    female_packs_differ = one.family != other.family and max(one.male_share, other.male_share) < 0.5
    return share * shift * (0.3 if female_packs_differ else 1.0)


def design_voices(traits: VoiceTraits, seed: int, spread: float, engines: set[str]) -> list[DesignedVoice]:
    """Three voices for `traits`: the same traits, seed and spread always give the same three."""
    rng = np.random.default_rng(seed)
    bases = base_voices(engines)
    if not bases:
        raise ValueError("voice design needs the kokoro or piper engine")
    age = traits.age or "middle_aged"
    texture_shift = sum(TEXTURE_SEMITONES.get(texture, 0.0) for texture in traits.texture)
    variation = float(
        np.clip(
            0.5 + 0.25 * traits.energy + sum(TEXTURE_VARIATION.get(t, 0.0) for t in traits.texture), 0.1, 0.9
        )
    )
    pace = PACE_STEP**traits.pace * AGE_PACE[age] * (1.0 + 0.05 * traits.energy)
    offsets = rng.permutation([-1.0, 0.0, 1.0]) * SPREAD_SEMITONES * spread
    picked: list[tuple[BaseVoice, float]] = []
    voices = []
    for index, gender in enumerate(_genders(traits, rng)):
        asked = TARGET_F0_HZ[(gender, age)] * 2.0 ** ((traits.pitch * PITCH_SEMITONES + texture_shift) / 12.0)
        target = float(np.clip(asked, *TARGET_RANGE_HZ))
        # Children of either gender are rendered from the higher (female and mixed) voices.
        pool_genders = {"female", "neutral"} if age == "child" else {gender}
        taken = {base for base, _ in picked}
        pool = [base for base in bases if base.gender in pool_genders and base not in taken]
        # With few engines installed, the pool runs out: the spread in pitch still tells voices apart.
        pool = pool or [base for base in bases if base not in taken] or bases
        # The spread is added after the reach is limited, so voices at the limit still differ in pitch.
        reach = MAX_SHIFT - SPREAD_SEMITONES * spread
        needed = [float(np.clip(semitones(base.f0_hz, target), -reach, reach)) for base in pool]
        costs = np.array(
            [
                max(0.0, abs(semitones(base.f0_hz, target)) - FREE_SHIFT)
                + DIVERSITY_SEMITONES
                * max((closeness(base, need, *chosen) for chosen in picked), default=0.0)
                for base, need in zip(pool, needed, strict=True)
            ]
        )
        # Each engine gets the same say whatever its number of bases: Kokoro's many blends would otherwise
        # crowd out Piper's one voice.
        per_engine = {engine: sum(base.engine == engine for base in pool) for engine in engines}
        weights = np.exp(-(costs - costs.min()) / (SELECTION_SEMITONES * spread))
        weights /= [per_engine[base.engine] for base in pool]
        choice = int(rng.choice(len(pool), p=weights / weights.sum()))
        base = pool[choice]
        shift = needed[choice] + offsets[index] + rng.normal(0.0, 0.2 * spread)
        shift = float(np.clip(shift, -MAX_SHIFT, MAX_SHIFT))
        picked.append((base, shift))
        speed = base.seconds / TYPICAL_SECONDS * pace * (1.0 + 0.04 * spread * rng.uniform(-1.0, 1.0))
        spec = VoiceSpec(
            engine=base.engine,
            blend=base.blend,
            speed=round(float(np.clip(speed, *SPEED_RANGE)), 3),
            pitch_semitones=round(shift, 2) if abs(shift) >= MIN_SHIFT else 0.0,
        )
        voices.append(
            DesignedVoice(
                spec=spec,
                gender=gender,
                target_f0_hz=round(target, 1),
                variation=variation,
                seed=int(rng.integers(2**31)),
                labels=design_labels(traits, gender),
            )
        )
    return voices
