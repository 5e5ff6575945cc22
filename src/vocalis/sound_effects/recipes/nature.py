"""Weather, water, fire and wildlife: mostly textures that run on for as long as they are asked to."""

from __future__ import annotations

import numpy as np

from vocalis.sound_effects import dsp
from vocalis.sound_effects.recipes.base import Render, at, onsets, recipe


@recipe(
    "rain",
    kind="texture",
    duration=6.0,
    phrases=("rain falling", "heavy rainstorm", "rain on a roof", "light drizzle", "raindrops on a window"),
    keywords=("rain", "rainfall", "raindrop", "raindrops", "drizzle", "downpour", "rainstorm", "shower"),
)
def rain(ctx: Render) -> np.ndarray:
    # A hiss of countless distant drops, plus individual near drops: sharp ticks and a few wet plops.
    bed = dsp.bandpass(dsp.pink(ctx.rng, ctx.n), 500.0, 9000.0, ctx.sr)
    bed *= 0.7 + 0.3 * dsp.slow_random(ctx.rng, ctx.n, 0.3, ctx.sr)
    rate = ctx.vary(ctx.between(120.0, 2500.0, ctx.intensity**1.5))
    times = dsp.poisson_times(ctx.rng, ctx.seconds, rate)
    ticks = dsp.impulses(ctx.n, times, ctx.rng.pareto(3.0, len(times)) + 0.2, ctx.sr)
    ticks = dsp.highpass(dsp.convolve(ticks, dsp.click(ctx.rng, 0.004, 0.0, ctx.sr)), 2500.0, ctx.sr)
    plop_times = dsp.poisson_times(ctx.rng, ctx.seconds, rate * 0.04)
    plops = dsp.impulses(ctx.n, plop_times, ctx.rng.uniform(0.3, 1.0, len(plop_times)), ctx.sr)
    plops = dsp.resonate(plops, ctx.vary(1400.0, 0.3), 8.0, ctx.sr)
    wetness = ctx.between(0.25, 0.9, ctx.intensity)
    return wetness * 0.5 * bed + 0.06 * ticks + 0.8 * plops


@recipe(
    "thunder",
    kind="oneshot",
    duration=7.0,
    phrases=("thunder rumbling", "a thunderclap", "a thunderstorm", "lightning strike and thunder"),
    keywords=("thunder", "thunderclap", "thunderstorm", "lightning", "storm", "rumble", "rumbling"),
    period=5.0,
    distance=0.45,
)
def thunder(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    for start in onsets(ctx, 5.0, jitter=0.15, start=0.1):
        length = min(ctx.n, at(ctx, ctx.vary(6.0, 0.2)))
        body = dsp.brown(ctx.rng, length)
        # Several rolls of the rumble, each a little later and softer than the crack.
        rolls = sum(
            ctx.rng.uniform(0.3, 1.0)
            * dsp.decay(length, ctx.vary(2.5, 0.4), ctx.sr, attack=ctx.rng.uniform(0.05, 0.4))
            * (np.arange(length) >= at(ctx, ctx.rng.uniform(0.0, 1.5)))
            for _ in range(4)
        )
        rumble = dsp.lowpass(body, ctx.between(120.0, 350.0, ctx.intensity), ctx.sr, order=4) * rolls
        crack = dsp.swept_lowpass(dsp.white(ctx.rng, length), 9000.0, 300.0, ctx.sr) * dsp.decay(
            length, 0.8, ctx.sr
        )
        strike = 4.0 * rumble + ctx.between(0.1, 0.8, ctx.intensity) * crack
        dsp.place(out, strike, at(ctx, start))
    return out


@recipe(
    "wind",
    kind="texture",
    duration=6.0,
    phrases=("wind blowing", "howling wind", "a gusty breeze", "strong wind storm", "wind through trees"),
    keywords=("wind", "windy", "breeze", "gust", "gusts", "gale", "howling", "blizzard", "draft"),
)
def wind(ctx: Render) -> np.ndarray:
    gust = dsp.slow_random(ctx.rng, ctx.n, ctx.vary(0.25), ctx.sr)
    depth = ctx.between(0.3, 0.9, ctx.intensity)
    level = (1 - depth) + depth * gust
    noise = dsp.pink(ctx.rng, ctx.n)
    # The band rises with the gust, as real wind gets brighter when it blows harder.
    low = dsp.bandpass(noise, 150.0, 700.0, ctx.sr)
    high = dsp.bandpass(noise, 700.0, ctx.between(1800.0, 5000.0, ctx.intensity), ctx.sr)
    whistle = dsp.resonate(dsp.white(ctx.rng, ctx.n), ctx.vary(900.0, 0.3), 25.0, ctx.sr)
    whistle *= gust**3 * ctx.between(0.0, 1.2, ctx.intensity)
    return level * (low + 0.6 * high * gust) + 0.3 * whistle


@recipe(
    "ocean_waves",
    kind="texture",
    duration=10.0,
    phrases=("ocean waves crashing on a beach", "sea surf", "waves on the shore", "calm lapping water"),
    keywords=("ocean", "sea", "wave", "waves", "surf", "beach", "shore", "tide", "seaside", "coast"),
    distance=0.25,
)
def ocean_waves(ctx: Render) -> np.ndarray:
    out = 0.08 * dsp.lowpass(dsp.pink(ctx.rng, ctx.n), 800.0, ctx.sr)
    period = ctx.between(9.0, 6.0, ctx.intensity)
    start = -ctx.rng.uniform(0.0, period)  # the first wave may already be breaking
    while start < ctx.seconds:
        length = at(ctx, period * 1.6)
        t = np.arange(length) / ctx.sr
        swell, crash = period * 0.35, ctx.vary(0.25)
        envelope = np.where(t < swell, (t / swell) ** 2, np.exp(-(t - swell) / (period * 0.3)))
        noise = dsp.pink(ctx.rng, length)
        # The break is bright; the wash that follows darkens as the water slides back.
        body = dsp.swept_lowpass(noise, 5000.0 * (0.5 + ctx.intensity), 600.0, ctx.sr)
        foam = dsp.highpass(noise, 2500.0, ctx.sr) * np.exp(-np.abs(t - swell) / crash)
        dsp.place(out, envelope * (body + ctx.intensity * foam), at(ctx, start), ctx.vary(1.0, 0.3))
        start += ctx.vary(period, 0.25)
    return out


@recipe(
    "stream",
    kind="texture",
    duration=6.0,
    phrases=("a babbling brook", "river flowing", "a stream of running water", "a small waterfall"),
    keywords=("stream", "brook", "river", "creek", "flowing", "babbling", "waterfall", "fountain"),
)
def stream(ctx: Render) -> np.ndarray:
    bed = dsp.bandpass(dsp.pink(ctx.rng, ctx.n), 300.0, ctx.between(2500.0, 7000.0, ctx.intensity), ctx.sr)
    out = 0.35 * bed
    rate = ctx.between(15.0, 60.0, ctx.intensity)
    for time in dsp.poisson_times(ctx.rng, ctx.seconds, rate):
        length = at(ctx, ctx.rng.uniform(0.01, 0.04))
        # A bubble rings at a pitch that rises as it collapses.
        freq = ctx.rng.uniform(400.0, 1800.0) * np.linspace(1.0, 1.6, length)
        bubble = dsp.oscillator(freq, length, "sine", ctx.sr) * dsp.decay(length, length / ctx.sr, ctx.sr)
        dsp.place(out, bubble, at(ctx, time), ctx.rng.uniform(0.05, 0.3))
    return out


@recipe(
    "fire_crackle",
    kind="texture",
    duration=6.0,
    phrases=("a crackling campfire", "fire burning in a fireplace", "wood crackling in flames"),
    keywords=(
        "fire",
        "campfire",
        "fireplace",
        "flames",
        "flame",
        "crackle",
        "crackling",
        "burning",
        "bonfire",
    ),
)
def fire_crackle(ctx: Render) -> np.ndarray:
    roar = dsp.lowpass(dsp.brown(ctx.rng, ctx.n), ctx.between(200.0, 600.0, ctx.intensity), ctx.sr)
    roar *= 0.6 + 0.4 * dsp.slow_random(ctx.rng, ctx.n, 1.5, ctx.sr)
    rate = ctx.vary(ctx.between(6.0, 40.0, ctx.intensity))
    # Crackles come in little clusters, as resin pockets burst one after another.
    centres = dsp.poisson_times(ctx.rng, ctx.seconds, rate / 3)
    times = np.concatenate([centres + np.abs(ctx.rng.normal(0, 0.03, len(centres))) * k for k in range(3)])
    amps = ctx.rng.pareto(2.0, len(times)) + 0.3
    crackle = dsp.convolve(dsp.impulses(ctx.n, times, amps, ctx.sr), dsp.click(ctx.rng, 0.003, 0.0, ctx.sr))
    crackle = dsp.highpass(crackle, 1200.0, ctx.sr)
    pops = dsp.impulses(ctx.n, dsp.poisson_times(ctx.rng, ctx.seconds, rate / 10), 1.0, ctx.sr)
    pops = dsp.resonate(pops, ctx.vary(700.0, 0.3), 6.0, ctx.sr)
    return 0.5 * roar + 0.12 * crackle + 0.4 * pops


def _chirp(ctx: Render, low: float, high: float) -> np.ndarray:
    length = at(ctx, ctx.rng.uniform(0.04, 0.14))
    t = np.linspace(0.0, 1.0, length)
    sweep = ctx.rng.choice([1.0, -1.0])
    freq = low + (high - low) * (0.5 + 0.5 * sweep * np.sin(np.pi * (t - 0.5)))
    freq *= 1.0 + 0.04 * np.sin(2 * np.pi * ctx.rng.uniform(20, 60) * t * length / ctx.sr)
    return dsp.oscillator(freq, length, "sine", ctx.sr) * np.sin(np.pi * t) ** 2


@recipe(
    "birds",
    kind="texture",
    duration=6.0,
    phrases=("birds chirping in the morning", "songbirds singing in a forest", "birdsong", "a bird tweeting"),
    keywords=("bird", "birds", "chirp", "chirping", "tweet", "tweeting", "birdsong", "songbird", "sparrow"),
    distance=0.3,
)
def birds(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    for _ in range(int(ctx.between(1, 5, ctx.intensity))):
        low = ctx.rng.uniform(2000.0, 4000.0) * (1.4 - 0.8 * ctx.size)
        high = low * ctx.rng.uniform(1.3, 2.0)
        gain = ctx.rng.uniform(0.4, 1.0)
        # Each bird sings short phrases of a few notes, with pauses between phrases.
        # One phrase starts at once, so even a short clip has song in it.
        for phrase in [ctx.rng.uniform(0.0, 0.2), *dsp.poisson_times(ctx.rng, ctx.seconds, 0.5)]:
            time = phrase
            for _ in range(ctx.rng.integers(2, 8)):
                note = _chirp(ctx, low, high)
                dsp.place(out, note, at(ctx, time), gain)
                time += len(note) / ctx.sr + ctx.rng.uniform(0.02, 0.09)
    return out


@recipe(
    "crickets",
    kind="texture",
    duration=6.0,
    phrases=("crickets chirping at night", "night insects in a summer field", "cicadas buzzing"),
    keywords=("cricket", "crickets", "cicada", "cicadas", "insects", "insect", "night"),
    distance=0.3,
)
def crickets(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    t = np.arange(ctx.n) / ctx.sr
    for _ in range(int(ctx.between(2, 7, ctx.intensity))):
        carrier = np.sin(2 * np.pi * ctx.rng.uniform(3800.0, 5200.0) * t + ctx.rng.uniform(0, 6.3))
        # A chirp is a burst of 3-4 wing strokes (~30 Hz), repeated about twice a second.
        pulses = np.clip(np.sin(2 * np.pi * ctx.rng.uniform(25.0, 35.0) * t), 0.0, None) ** 4
        rate = ctx.rng.uniform(1.5, 3.0)
        gate = (np.sin(2 * np.pi * rate * t + ctx.rng.uniform(0, 6.3)) > 0.6).astype(float)
        out += ctx.rng.uniform(0.3, 1.0) * carrier * pulses * dsp.lowpass(gate, 200.0, ctx.sr)
    return out


@recipe(
    "water_drip",
    kind="events",
    duration=1.0,
    phrases=("water dripping in a cave", "a leaky faucet dripping", "single water drop", "drops falling"),
    keywords=("drip", "dripping", "drips", "drop", "droplet", "faucet", "tap", "leak", "leaky"),
    period=0.8,
    default_count=6,
)
def water_drip(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    for time in onsets(ctx, ctx.vary(0.8, 0.3), jitter=0.2):
        length = at(ctx, 0.12)
        base = ctx.vary(900.0, 0.35) * (1.5 - ctx.size)
        # The "bloop" of a drop is a small cavity whose pitch rises quickly as it closes.
        freq = base * np.geomspace(1.0, 2.2, length)
        drop = dsp.oscillator(freq, length, "sine", ctx.sr) * dsp.decay(length, 0.07, ctx.sr)
        dsp.place(out, drop, at(ctx, time))
        dsp.place(out, dsp.click(ctx.rng, 0.002, 3000.0, ctx.sr), at(ctx, time), 0.3)
    return dsp.reverb(out, ctx.rng, 1.5, 0.35, ctx.sr)


@recipe(
    "water_pour",
    kind="oneshot",
    duration=4.0,
    phrases=("pouring water into a glass", "liquid being poured", "filling a bottle with water"),
    keywords=("pour", "pouring", "poured", "fill", "filling", "liquid", "glass of water"),
)
def water_pour(ctx: Render) -> np.ndarray:
    noise = dsp.pink(ctx.rng, ctx.n)
    splash = dsp.bandpass(noise, 400.0, 6000.0, ctx.sr) * 0.4
    # The air column above the water shortens as the vessel fills, so its resonance climbs.
    pitches = np.geomspace(ctx.vary(250.0, 0.2) * (1.4 - 0.8 * ctx.size), 1400.0, ctx.n)
    out = dsp.moving_filter(noise, pitches, lambda part, pitch: dsp.resonate(part, pitch, 12.0), 48, 2048)
    flow = dsp.adsr(ctx.n, 0.15, 0.3, ctx.sr) * (0.8 + 0.2 * dsp.slow_random(ctx.rng, ctx.n, 4.0, ctx.sr))
    return flow * (splash + 1.5 * out * ctx.between(0.6, 1.2, ctx.intensity))
