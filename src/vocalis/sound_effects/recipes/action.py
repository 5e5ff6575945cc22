"""Impacts, weapons and machines: explosions, shots, punches, whooshes, engines, horns, sirens, rotors."""

from __future__ import annotations

import numpy as np

from vocalis.sound_effects import dsp
from vocalis.sound_effects.recipes.base import Render, at, onsets, recipe


@recipe(
    "explosion",
    kind="oneshot",
    duration=5.0,
    phrases=("a huge explosion", "a bomb blast", "distant explosion rumble", "grenade detonation"),
    keywords=(
        "explosion",
        "explode",
        "exploding",
        "blast",
        "bomb",
        "boom",
        "detonation",
        "grenade",
        "kaboom",
    ),
    period=3.0,
    distance=0.2,
)
def explosion(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    for time in onsets(ctx, 3.0, jitter=0.2):
        length = min(ctx.n, at(ctx, ctx.between(3.0, 6.0, ctx.size)))
        tail = ctx.between(1.2, 3.0, ctx.size)
        # The blast front is bright and instant; what follows is a long, darkening roar.
        blast = dsp.swept_lowpass(dsp.white(ctx.rng, length), 12000.0, 150.0, ctx.sr) * dsp.decay(
            length, tail, ctx.sr, attack=0.001
        )
        sub = dsp.oscillator(np.geomspace(70.0, 28.0, length), length, "sine", ctx.sr) * dsp.decay(
            length, tail * 0.8, ctx.sr, attack=0.005
        )
        rumble = dsp.lowpass(dsp.brown(ctx.rng, length), 180.0, ctx.sr, order=4) * dsp.decay(
            length, tail * 1.4, ctx.sr, attack=0.05
        )
        debris = dsp.highpass(
            dsp.convolve(
                dsp.impulses(
                    length, 0.2 + ctx.rng.exponential(0.6, 60), ctx.rng.uniform(0.1, 0.6, 60), ctx.sr
                ),
                dsp.click(ctx.rng, 0.01, 0.0, ctx.sr),
            ),
            1500.0,
            ctx.sr,
        )
        power = ctx.between(0.6, 1.2, ctx.intensity)
        dsp.place(out, power * (blast + 1.5 * sub + 2.5 * rumble) + 0.2 * debris, at(ctx, time))
    return out


@recipe(
    "gunshot",
    kind="oneshot",
    duration=1.5,
    phrases=("a gunshot", "a pistol firing", "rifle shot echoing", "machine gun burst"),
    keywords=("gun", "gunshot", "gunshots", "shot", "shots", "pistol", "rifle", "firing", "gunfire", "bang"),
    period=0.35,
    distance=0.15,
)
def gunshot(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    for time in onsets(ctx, ctx.vary(0.35 if ctx.count else 1.2, 0.1), jitter=0.03):
        length = at(ctx, 0.5)
        crack = dsp.white(ctx.rng, length) * dsp.decay(length, 0.02, ctx.sr, attack=0.0)
        body = dsp.bandpass(dsp.white(ctx.rng, length), 150.0, 2500.0, ctx.sr) * dsp.decay(
            length, ctx.between(0.08, 0.25, ctx.size), ctx.sr, attack=0.0005
        )
        thump = dsp.oscillator(ctx.vary(90.0, 0.1), length, "sine") * dsp.decay(length, 0.12, ctx.sr)
        dsp.place(out, crack + 2.0 * body + 0.8 * thump, at(ctx, time), ctx.between(0.7, 1.1, ctx.intensity))
    # Shots are heard with their echo off the surroundings.
    return dsp.reverb(out, ctx.rng, 1.6, 0.3, ctx.sr)


@recipe(
    "punch",
    kind="oneshot",
    duration=0.8,
    phrases=("a punch to the face", "a heavy body hit", "cinematic impact thud", "fist fight hits"),
    keywords=("punch", "punches", "hit", "hits", "impact", "thud", "slap", "kick", "smack", "fight", "blow"),
    period=0.45,
)
def punch(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    for time in onsets(ctx, ctx.vary(0.45, 0.2), jitter=0.1):
        length = at(ctx, 0.5)
        thud = dsp.oscillator(np.geomspace(140.0, 55.0, length) * (1.3 - 0.6 * ctx.size), length, "sine")
        thud *= dsp.decay(length, ctx.between(0.12, 0.3, ctx.size), ctx.sr)
        slap = dsp.bandpass(dsp.click(ctx.rng, 0.03, 0.0, ctx.sr), 600.0, 5000.0, ctx.sr)
        dsp.place(out, thud, at(ctx, time), ctx.between(0.6, 1.3, ctx.intensity))
        dsp.place(out, slap, at(ctx, time), 0.7)
    return dsp.reverb(out, ctx.rng, 0.5, 0.1, ctx.sr)


@recipe(
    "whoosh",
    kind="oneshot",
    duration=1.2,
    phrases=("a fast whoosh", "sword swing swish", "something flying past", "transition swoosh"),
    keywords=("whoosh", "swoosh", "swish", "woosh", "swing", "swipe", "fly", "flyby", "passby", "transition"),
    period=0.8,
)
def whoosh(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    for time in onsets(ctx, 0.8, jitter=0.1):
        length = min(ctx.n, at(ctx, ctx.vary(ctx.between(1.4, 0.5, ctx.intensity), 0.15)))
        t = np.linspace(0.0, 1.0, length)
        shape = np.exp(-(((t - 0.55) / 0.2) ** 2))
        # The band follows the object's approach: up in pitch while it nears, down as it leaves.
        noise = dsp.pink(ctx.rng, length)
        centre = 400.0 + ctx.between(2000.0, 6000.0, ctx.intensity) * shape
        swept = dsp.moving_filter(noise, centre, lambda part, mid: dsp.bandpass(part, mid * 0.5, mid * 1.6))
        dsp.place(out, swept * shape, at(ctx, time))
    return out


@recipe(
    "car_engine",
    kind="texture",
    duration=6.0,
    phrases=("a car engine idling", "engine revving", "a motorcycle driving by", "a truck engine running"),
    keywords=("car", "engine", "motor", "revving", "rev", "idling", "idle", "motorcycle", "truck", "vehicle"),
)
def car_engine(ctx: Render) -> np.ndarray:
    t = np.linspace(0.0, 1.0, ctx.n)
    idle = ctx.between(1200.0, 700.0, ctx.size)
    swing = ctx.between(0.0, 3.0, ctx.intensity**2)
    # Revs come and go; the firing rate is rpm / 60 x cylinders / 2 for a four-stroke engine.
    rpm = idle * (1.0 + swing * dsp.slow_random(ctx.rng, ctx.n, 0.4, ctx.sr) ** 2)
    firing = rpm / 60.0 * 4 / 2 * (1.0 + 0.01 * np.sin(2 * np.pi * 3 * t))
    pulses = dsp.oscillator(firing, ctx.n, "saw", ctx.sr)
    pulses = np.clip(pulses, -0.2, 1.0) ** 3
    body = dsp.lowpass(pulses, 900.0 + 600.0 * ctx.intensity, ctx.sr, order=4)
    rumble = dsp.lowpass(dsp.brown(ctx.rng, ctx.n), 250.0, ctx.sr) * (0.5 + 0.5 * (rpm / rpm.max()))
    exhaust = dsp.bandpass(dsp.white(ctx.rng, ctx.n), 800.0, 3000.0, ctx.sr) * (rpm / rpm.max()) ** 2
    return body + 0.4 * rumble + 0.08 * exhaust


@recipe(
    "car_horn",
    kind="oneshot",
    duration=1.0,
    phrases=("a car horn honking", "a truck horn blast", "beep beep of a car horn", "traffic honking"),
    keywords=("horn", "honk", "honking", "honks", "beep", "hooter"),
    period=0.7,
)
def car_horn(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    scale = ctx.between(1.25, 0.7, ctx.size)
    for time in onsets(ctx, 0.7, jitter=0.05):
        length = at(ctx, ctx.vary(0.5 if ctx.count else 0.8, 0.1))
        # Car horns pair two tones about a major third apart through a small, buzzy diaphragm.
        tones = dsp.oscillator(420.0 * scale, length, "square") + dsp.oscillator(
            525.0 * scale, length, "square"
        )
        horn = dsp.resonate(tones, 2400.0 * scale, 2.0) + 0.5 * dsp.lowpass(tones, 2000.0)
        dsp.place(out, horn * dsp.adsr(length, 0.01, 0.04), at(ctx, time))
    return out


@recipe(
    "siren",
    kind="texture",
    duration=6.0,
    phrases=("a police siren wailing", "an ambulance siren", "fire truck siren passing", "air raid siren"),
    keywords=("siren", "sirens", "police", "ambulance", "emergency", "wail", "wailing", "alarm"),
    distance=0.3,
)
def siren(ctx: Render) -> np.ndarray:
    t = np.arange(ctx.n) / ctx.sr
    cycle = ctx.vary(ctx.between(4.0, 0.4, ctx.intensity), 0.1)  # the wail; fast: the "yelp"
    sweep = 0.5 - 0.5 * np.cos(2 * np.pi * t / cycle)
    freq = 650.0 + 800.0 * sweep
    tone = dsp.oscillator(freq, ctx.n, "triangle", ctx.sr) + 0.2 * dsp.oscillator(freq * 2, ctx.n, "sine")
    return dsp.lowpass(tone, 4000.0, ctx.sr)


@recipe(
    "engine_hum",
    kind="texture",
    duration=6.0,
    phrases=(
        "electrical hum",
        "a humming refrigerator",
        "machinery whirring in a factory",
        "an air conditioner",
    ),
    keywords=(
        "hum",
        "humming",
        "buzz",
        "buzzing",
        "machine",
        "machinery",
        "factory",
        "generator",
        "fridge",
        "fan",
    ),
)
def engine_hum(ctx: Render) -> np.ndarray:
    t = np.arange(ctx.n) / ctx.sr
    mains = ctx.rng.choice([50.0, 60.0])
    hum = sum(np.sin(2 * np.pi * mains * k * t) / k for k in (1, 2, 3, 4, 6))
    whir = dsp.bandpass(dsp.pink(ctx.rng, ctx.n), 200.0, ctx.between(800.0, 3000.0, ctx.intensity), ctx.sr)
    wobble = 0.85 + 0.15 * np.sin(2 * np.pi * ctx.vary(0.7, 0.3) * t)
    return 0.5 * hum + 0.4 * whir * wobble


@recipe(
    "helicopter",
    kind="texture",
    duration=6.0,
    phrases=("a helicopter flying overhead", "helicopter rotor blades chopping"),
    keywords=("helicopter", "chopper", "rotor", "rotors", "blades"),
    distance=0.3,
)
def helicopter(ctx: Render) -> np.ndarray:
    t = np.arange(ctx.n) / ctx.sr
    rate = ctx.vary(ctx.between(4.5, 6.5, ctx.intensity), 0.05)
    # Each blade pass slaps the air: a short burst of low noise, `rate` times a second.
    chop = np.clip(np.sin(2 * np.pi * rate * t), 0.0, None) ** 12
    slap = dsp.lowpass(dsp.white(ctx.rng, ctx.n), 700.0, ctx.sr) * chop
    turbine = 0.05 * np.sin(2 * np.pi * ctx.vary(1800.0, 0.1) * t)
    return slap + turbine + 0.2 * dsp.lowpass(dsp.brown(ctx.rng, ctx.n), 200.0, ctx.sr)
