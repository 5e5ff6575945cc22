"""Everyday foley: steps, doors, breaking glass, clocks, keyboards, phones."""

from __future__ import annotations

import numpy as np

from vocalis.sound_effects import dsp
from vocalis.sound_effects.recipes.base import Render, at, bursts, onsets, recipe

# Surfaces a step can land on: (thump body Hz, brightness of the contact noise Hz, grit 0..1).
SURFACES = {
    "wood": (140.0, 1500.0, 0.0),
    "concrete": (110.0, 3000.0, 0.05),
    "tile": (180.0, 4000.0, 0.0),
    "metal": (250.0, 3500.0, 0.0),
    "gravel": (90.0, 2500.0, 1.0),
    "snow": (80.0, 1200.0, 0.8),
    "grass": (80.0, 2000.0, 0.5),
    "leaves": (90.0, 3000.0, 0.9),
    "sand": (70.0, 1500.0, 0.6),
}


def _grit(ctx: Render, seconds: float, brightness: float, density: float) -> np.ndarray:
    """Many tiny collisions (stones, snow crystals, leaves) under one footfall."""
    length = at(ctx, seconds)
    times = dsp.poisson_times(ctx.rng, seconds, density)
    grains = dsp.impulses(length, times, ctx.rng.uniform(0.2, 1.0, len(times)), ctx.sr)
    grains = dsp.convolve(grains, dsp.click(ctx.rng, 0.002, 0.0, ctx.sr))
    return dsp.highpass(grains, brightness, ctx.sr) * dsp.decay(length, seconds, ctx.sr, attack=0.01)


@recipe(
    "footsteps",
    kind="events",
    duration=0.6,
    phrases=(
        "footsteps walking",
        "someone walking on a wooden floor",
        "footsteps on gravel",
        "running steps",
    ),
    keywords=("footstep", "footsteps", "steps", "walking", "walk", "running", "stomp", "stairs", "boots"),
    period=0.55,
    default_count=8,
)
def footsteps(ctx: Render) -> np.ndarray:
    body, brightness, grit = SURFACES.get(ctx.material or "", SURFACES["concrete"])
    period = 60.0 / ctx.tempo_bpm if ctx.tempo_bpm else ctx.between(0.65, 0.32, ctx.intensity)
    out = np.zeros(ctx.n)
    for index, time in enumerate(onsets(ctx, period, jitter=0.04)):
        weight = ctx.vary(0.85 if index % 2 else 1.0, 0.1) * ctx.between(0.5, 1.3, ctx.size)
        length = at(ctx, 0.25)
        heel = dsp.oscillator(body * (1.3 - 0.5 * ctx.size), length, "sine", ctx.sr) * dsp.decay(
            length, 0.06, ctx.sr
        )
        contact = dsp.click(ctx.rng, 0.025, brightness, ctx.sr)
        dsp.place(out, heel + 0.5 * dsp.pad_to(contact, length), at(ctx, time), weight)
        # The toe rolls down a moment after the heel, softer.
        dsp.place(out, 0.4 * dsp.click(ctx.rng, 0.02, brightness * 1.3, ctx.sr), at(ctx, time + 0.07), weight)
        if grit:
            dsp.place(out, grit * 0.5 * _grit(ctx, 0.22, brightness, 400.0), at(ctx, time), weight)
    return dsp.reverb(out, ctx.rng, 0.5, 0.12, ctx.sr)


def _wood_hit(ctx: Render, size: float, seconds: float = 0.35) -> np.ndarray:
    length = at(ctx, seconds)
    scale = 1.4 - 0.8 * size
    freqs = [ctx.vary(f * scale, 0.05) for f in (190.0, 410.0, 830.0, 1450.0)]
    body = dsp.modes(length, freqs, (0.12, 0.08, 0.05, 0.03), (1.0, 0.6, 0.35, 0.2), ctx.rng, ctx.sr)
    dsp.place(body, dsp.click(ctx.rng, 0.008, 800.0, ctx.sr), 0, 0.5)  # the knuckle's contact
    return body


@recipe(
    "door_knock",
    kind="events",
    duration=0.8,
    phrases=("knocking on a wooden door", "someone knocks three times", "a knock at the door"),
    keywords=("knock", "knocks", "knocking", "rap", "tapping"),
    period=0.2,
    default_count=3,
)
def door_knock(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    for time in bursts(ctx, (0.18, 0.22), (2, 4), (0.8, 1.6)):
        hit = _wood_hit(ctx, ctx.size)
        dsp.place(out, hit, at(ctx, time), ctx.vary(ctx.between(0.4, 1.0, ctx.intensity), 0.1))
    return dsp.reverb(out, ctx.rng, 0.6, 0.15, ctx.sr)


@recipe(
    "door_creak",
    kind="oneshot",
    duration=2.5,
    phrases=("a creaking door slowly opening", "old wooden door creaks", "squeaky hinge", "creepy creak"),
    keywords=("creak", "creaking", "creaks", "creaky", "squeak", "squeaky", "hinge", "opening"),
)
def door_creak(ctx: Render) -> np.ndarray:
    # Stick-slip friction: the hinge jerks in tiny slips whose rate (the creak's pitch) wanders.
    t = np.linspace(0.0, 1.0, ctx.n)
    rate = ctx.vary(ctx.between(28.0, 90.0, 1 - ctx.size), 0.3) * (
        1 + 0.6 * dsp.slow_random(ctx.rng, ctx.n, 2.0)
    )
    rate *= 1.0 + 0.5 * np.sin(np.pi * t)
    phase = np.cumsum(rate) / ctx.sr
    slips = (np.diff(np.floor(phase), prepend=0.0) > 0).astype(float)
    slips *= ctx.rng.uniform(0.5, 1.0, ctx.n)
    body = sum(dsp.resonate(slips, f * ctx.vary(1.0, 0.1), 12.0, ctx.sr) for f in (480.0, 1150.0, 2300.0))
    return body * dsp.adsr(ctx.n, 0.2, 0.3, ctx.sr) * (0.6 + 0.4 * np.sin(np.pi * t))


@recipe(
    "door_slam",
    kind="oneshot",
    duration=2.0,
    phrases=("a door slamming shut", "heavy door slam", "door closing hard"),
    keywords=("slam", "slams", "slammed", "slamming", "shut", "close", "closing"),
    period=1.5,
)
def door_slam(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    for time in onsets(ctx, 1.5, jitter=0.05):
        length = at(ctx, 0.8)
        thump = dsp.oscillator(ctx.vary(75.0, 0.1) * np.geomspace(1.3, 0.9, length), length, "sine", ctx.sr)
        thump *= dsp.decay(length, 0.35, ctx.sr)
        slap = dsp.lowpass(dsp.click(ctx.rng, 0.12, 0.0, ctx.sr), 2500.0, ctx.sr)
        panel = _wood_hit(ctx, 0.9, 0.5)
        dsp.place(
            out, thump + 0.8 * dsp.pad_to(panel, length), at(ctx, time), ctx.between(0.6, 1.2, ctx.intensity)
        )
        dsp.place(out, slap, at(ctx, time), 0.8)
        # The latch catches a few milliseconds after the door hits the frame.
        latch = dsp.modes(at(ctx, 0.1), (2400.0, 3900.0), (0.04, 0.03), (1.0, 0.5), ctx.rng, ctx.sr)
        dsp.place(out, 0.3 * latch, at(ctx, time + 0.03))
    return dsp.reverb(out, ctx.rng, 0.9, 0.25, ctx.sr)


@recipe(
    "glass_shatter",
    kind="oneshot",
    duration=2.5,
    phrases=("glass shattering on concrete", "a window breaking", "a bottle smashing", "breaking glass"),
    keywords=("glass", "shatter", "shattering", "smash", "smashing", "break", "breaking", "window", "bottle"),
)
def glass_shatter(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    impact = dsp.highpass(dsp.click(ctx.rng, 0.08, 0.0, ctx.sr), 800.0, ctx.sr)
    dsp.place(out, impact, at(ctx, 0.02), 1.5)
    # Shards: many small glass plates, each ringing at its own high modes, falling thinner over time.
    pieces = int(ctx.between(25, 110, ctx.intensity) * ctx.between(0.6, 1.4, ctx.size))
    times = 0.02 + ctx.rng.exponential(0.35, pieces)
    for time in times[times < ctx.seconds]:
        base = ctx.rng.uniform(2500.0, 7000.0)
        length = at(ctx, 0.35)
        ring = dsp.modes(
            length,
            (base, base * 1.58, base * 2.31),
            ctx.rng.uniform(0.05, 0.3, 3),
            (1.0, 0.6, 0.4),
            ctx.rng,
            ctx.sr,
        )
        dsp.place(out, ring, at(ctx, time), ctx.rng.uniform(0.05, 0.35) * np.exp(-time))
    return dsp.reverb(out, ctx.rng, 0.8, 0.15, ctx.sr)


@recipe(
    "clock_tick",
    kind="texture",
    duration=5.0,
    phrases=("a clock ticking", "grandfather clock tick tock", "a ticking timer", "stopwatch ticking"),
    keywords=("clock", "tick", "ticking", "tock", "timer", "stopwatch", "watch", "metronome"),
)
def clock_tick(ctx: Render) -> np.ndarray:
    period = 60.0 / ctx.tempo_bpm if ctx.tempo_bpm else ctx.between(1.0, 0.5, 1 - ctx.size)
    out = np.zeros(ctx.n)
    for index, time in enumerate(onsets(ctx, period, jitter=0.002)):
        # Tick and tock: the escapement's two pallets sound slightly different.
        base = ctx.vary(2900.0, 0.05) * (1.0 if index % 2 == 0 else 0.82) * (1.3 - 0.6 * ctx.size)
        tick = dsp.modes(
            at(ctx, 0.06), (base, base * 1.7, base * 2.9), (0.02, 0.015, 0.01), (1, 0.5, 0.3), ctx.rng
        )
        dsp.place(out, tick, at(ctx, time))
    return dsp.reverb(out, ctx.rng, 0.4, 0.1, ctx.sr)


@recipe(
    "typing",
    kind="texture",
    duration=5.0,
    phrases=("typing on a computer keyboard", "keyboard clicking", "typewriter typing", "office typing"),
    keywords=("typing", "keyboard", "keys", "typewriter", "type", "keystrokes", "mechanical"),
)
def typing(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    rate = ctx.between(4.0, 11.0, ctx.intensity)
    time = 0.05
    while time < ctx.seconds:
        # Bursts of a word's worth of keys, then a thinking pause.
        for _ in range(int(ctx.rng.integers(3, 9))):
            space = ctx.rng.random() < 0.12
            length = at(ctx, 0.05)
            key = dsp.bandpass(dsp.click(ctx.rng, 0.012, 0.0, ctx.sr), 1500.0, 7000.0, ctx.sr)
            thock = dsp.modes(length, (ctx.vary(320.0, 0.2),), (0.03,), (1.0,), ctx.rng)
            dsp.place(out, dsp.pad_to(key, length) + (0.8 if space else 0.3) * thock, at(ctx, time))
            time += ctx.rng.exponential(1.0 / rate) + 0.04
        time += ctx.rng.uniform(0.2, 0.8)
    return out


@recipe(
    "telephone_ring",
    kind="events",
    duration=4.0,
    phrases=("an old telephone ringing", "a phone rings", "landline ringtone"),
    keywords=("phone", "telephone", "ring", "ringing", "rings", "ringtone", "landline"),
    period=4.0,
    default_count=2,
)
def telephone_ring(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    for time in onsets(ctx, 4.0, jitter=0.0):
        length = at(ctx, 2.0)
        # Two close tones beating, chopped by the bell hammer at 20 Hz.
        tone = dsp.oscillator(440.0, length, "sine") + dsp.oscillator(480.0, length, "sine")
        hammer = 0.6 + 0.4 * np.sign(np.sin(2 * np.pi * 20.0 * np.arange(length) / ctx.sr))
        bell = dsp.bandpass(dsp.oscillator(ctx.vary(1250.0, 0.05), length, "square"), 900.0, 3000.0)
        dsp.place(out, (0.6 * tone + 0.4 * bell * hammer) * dsp.adsr(length, 0.01, 0.05), at(ctx, time))
    return out
