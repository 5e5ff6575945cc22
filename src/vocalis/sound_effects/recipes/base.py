"""What a recipe is: a named render function with the words that describe it and its natural timing.

A recipe renders dry, close-up mono audio of exactly `Render.n` samples from the parameters the prompt
gave it; distance, looping and loudness are applied to every recipe's output the same way afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from vocalis.sound_effects.dsp import SAMPLE_RATE

Kind = Literal["texture", "events", "oneshot"]


@dataclass
class Render:
    """The parameters of one render, each already in its range.

    `intensity` and `size` are 0..1 with 0.5 as the recipe's typical sound (0: gentle/small, 1: violent/
    huge). `count` is how many events the prompt asked for (None: the recipe's own habit), `tempo_bpm`
    a rate the prompt named, `material` a surface word ("gravel", "wood", …) for recipes that care, and
    `variation` (0..1) how far random details may stray from the typical values.
    """

    rng: np.random.Generator
    n: int
    intensity: float = 0.5
    size: float = 0.5
    count: int | None = None
    tempo_bpm: float | None = None
    material: str | None = None
    variation: float = 0.7
    sr: int = SAMPLE_RATE

    @property
    def seconds(self) -> float:
        return self.n / self.sr

    def vary(self, value: float, spread: float = 0.15) -> float:
        """`value` moved by up to ±`spread` (relative), scaled by how free this render may be."""
        return value * (1.0 + spread * self.variation * self.rng.uniform(-1.0, 1.0))

    def between(self, low: float, high: float, amount: float) -> float:
        """Linear interpolation, for mapping intensity/size onto a recipe's own range."""
        return low + (high - low) * amount


@dataclass(frozen=True)
class Recipe:
    """One effect of the library.

    `phrases` describe the sound the way people ask for it (matched by sentence embeddings); `keywords`
    are single words that name it outright (matched when embeddings are unavailable, and as a tie-break).
    `kind` decides the automatic duration: a texture lasts `duration`, events last `count * period` plus
    a tail, a one-shot lasts `duration`. `distance` is how far away the sound usually is (0..1).
    """

    name: str
    render: Callable[[Render], np.ndarray]
    kind: Kind
    duration: float
    phrases: tuple[str, ...]
    keywords: tuple[str, ...]
    period: float = 1.0
    default_count: int = 1
    distance: float = 0.1

    def automatic_duration(self, count: int | None) -> float:
        if self.kind == "events" or (self.kind == "oneshot" and count and count > 1):
            repeats = count or self.default_count
            return repeats * self.period + max(self.duration - self.period, 0.3)
        return self.duration


LIBRARY: list[Recipe] = []


def recipe(
    name: str,
    *,
    kind: Kind,
    duration: float,
    phrases: tuple[str, ...],
    keywords: tuple[str, ...],
    period: float = 1.0,
    default_count: int = 1,
    distance: float = 0.1,
) -> Callable[[Callable[[Render], np.ndarray]], Callable[[Render], np.ndarray]]:
    """Add the decorated render function to the library under `name`."""

    def register(render: Callable[[Render], np.ndarray]) -> Callable[[Render], np.ndarray]:
        LIBRARY.append(
            Recipe(name, render, kind, duration, phrases, keywords, period, default_count, distance)
        )
        return render

    return register


def onsets(ctx: Render, period: float, jitter: float = 0.05, start: float = 0.05) -> np.ndarray:
    """Event times (s): `ctx.count` of them every `period` when the prompt counted, else as many as fit.

    The first event is on time, so even the shortest clip has it; the rest drift by `jitter` periods.
    """
    count = (
        ctx.count
        if ctx.count is not None
        else len(np.arange(start, max(ctx.seconds - 0.1, start + 1e-3), period))
    )
    times = start + np.arange(count) * period
    drift = ctx.rng.normal(0.0, jitter * period, count)
    drift[:1] = 0.0
    return np.clip(times + drift, 0.0, None)


def bursts(
    ctx: Render, spacing: tuple[float, float], per_burst: tuple[int, int], pause: tuple[float, float]
) -> np.ndarray:
    """Events in bursts, as knocks and barks come: a few `spacing` apart, then a `pause`, for as long as
    the clip lasts; exactly `ctx.count` evenly spaced events when the prompt counted them."""
    if ctx.count is not None:
        return onsets(ctx, float(np.mean(spacing)), jitter=0.08)
    times: list[float] = []
    start = 0.05
    while start < ctx.seconds - 0.2:
        events = int(ctx.rng.integers(per_burst[0], per_burst[1] + 1))
        gap = ctx.rng.uniform(*spacing)
        times.extend(start + gap * np.arange(events))
        start = times[-1] + gap + ctx.rng.uniform(*pause)
    return np.array(times)


def at(ctx: Render, seconds: float) -> int:
    return int(seconds * ctx.sr)
