"""The offline sound engine: a prompt becomes a plan (which recipe, how strong, how far, how many, how
long) and the plan is rendered by our own DSP recipes. No weights beyond the optional embedding model.

Every random choice comes from one generator seeded by the request, so a seed repeats a sound exactly.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from vocalis.engines.protocols import GeneratedSound, SoundOptions, TextEmbedder
from vocalis.sound_effects import dsp
from vocalis.sound_effects.matching import RecipeMatch, RecipeMatcher
from vocalis.sound_effects.prompt import PromptModifiers, parse_prompt
from vocalis.sound_effects.recipes import RECIPES, Recipe, Render

NAME = "procedural-sfx"
SAMPLE_RATE = dsp.SAMPLE_RATE
# Loudness of a close sound of typical intensity; distance and intensity move it from there.
REFERENCE_LUFS = -16.0
PLAN_CACHE_SIZE = 256


@dataclass(frozen=True)
class EffectPlan:
    """What a prompt asks for, before anything is rendered."""

    match: RecipeMatch
    modifiers: PromptModifiers

    @property
    def recipe(self) -> Recipe:
        return self.match.recipe

    @property
    def automatic_seconds(self) -> float:
        """The length to render when the request leaves it open: the prompt's own figure if it names
        one ("a 5 second whoosh"), else the recipe's natural length for the events it was asked for."""
        return self.modifiers.seconds or self.recipe.automatic_duration(self.modifiers.count)

    @property
    def distance(self) -> float:
        return self.recipe.distance if self.modifiers.distance is None else self.modifiers.distance

    @property
    def target_lufs(self) -> float:
        """Far sounds are quieter and gentle ones a little quieter; a far, heavy storm still rumbles."""
        intensity = 0.5 if self.modifiers.intensity is None else self.modifiers.intensity
        return REFERENCE_LUFS - 10.0 * self.distance + 5.0 * (intensity - 0.5)


class ProceduralSoundGenerator:
    """`SoundGenerator` over the recipe library; `plan` is public so callers can size a request first."""

    name = NAME
    sample_rate = SAMPLE_RATE
    max_seconds = 60.0  # recipes have no length limit; this bounds the memory of one render

    def __init__(self, embedder: TextEmbedder | None = None):
        self.matcher = RecipeMatcher(list(RECIPES.values()), embedder)
        self._plans: OrderedDict[str, EffectPlan] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def matcher_name(self) -> str:
        return self.matcher.matcher_name

    def plan(self, prompt: str) -> EffectPlan:
        with self._lock:
            if prompt in self._plans:
                self._plans.move_to_end(prompt)
                return self._plans[prompt]
        plan = EffectPlan(self.matcher.match(prompt), parse_prompt(prompt))
        with self._lock:
            self._plans[prompt] = plan
            while len(self._plans) > PLAN_CACHE_SIZE:
                self._plans.popitem(last=False)
        return plan

    def generate(self, prompt: str, opts: SoundOptions) -> GeneratedSound:
        plan = self.plan(prompt)
        return GeneratedSound(
            self.render(plan, opts), SAMPLE_RATE, {"recipe": plan.recipe.name, "matcher": plan.match.matcher}
        )

    def render(self, plan: EffectPlan, opts: SoundOptions) -> np.ndarray:
        """Dry recipe → placed at its distance; exactly `opts.duration_seconds` long."""
        rng = np.random.default_rng(opts.seed)
        n = round(opts.duration_seconds * SAMPLE_RATE)
        # A low prompt influence lets unspecified parameters roam; a high one keeps them typical.
        variation = 1.0 - opts.prompt_influence
        modifiers = plan.modifiers

        def free(value: float | None) -> float:
            if value is not None:
                return value
            return float(np.clip(0.5 + 0.3 * variation * rng.uniform(-1.0, 1.0), 0.0, 1.0))

        context = Render(
            rng=rng,
            n=n,
            intensity=free(modifiers.intensity),
            size=free(modifiers.size),
            count=modifiers.count,
            tempo_bpm=modifiers.tempo_bpm,
            material=modifiers.material,
            variation=variation,
        )
        dry = dsp.fit_length(plan.recipe.render(context), n)
        return dsp.at_distance(dry, rng, plan.distance).astype(np.float32)

    def unload(self) -> None:
        if self.matcher.embedder is not None:
            self.matcher.embedder.unload()


def create() -> ProceduralSoundGenerator:
    """The engine with MiniLM prompt matching when the `sfx` extra is installed, else keyword matching."""
    from vocalis.engines import sentence_embedding

    # A prompt is a dozen tokens: one thread embeds it in milliseconds, while two wait on each other
    # whenever the cores are busy rendering (0.5 s instead of 25 ms a prompt on a loaded 2-core machine).
    embedder = sentence_embedding.MiniLMEmbedder(threads=1) if sentence_embedding.available() else None
    return ProceduralSoundGenerator(embedder)
