"""Animals and people: barks, meows, applause, crowds, heartbeats."""

from __future__ import annotations

import numpy as np

from vocalis.sound_effects import dsp
from vocalis.sound_effects.recipes.base import Render, at, bursts, onsets, recipe


def _voiced(
    ctx: Render,
    pitch: np.ndarray,
    formants: tuple[float, ...],
    breath: float,
    formant_shift: np.ndarray | None = None,
) -> np.ndarray:
    """A source-filter voice: a buzzing glottal pulse train through the vocal tract's resonances."""
    length = len(pitch)
    jitter = 1.0 + 0.02 * dsp.slow_random(ctx.rng, length, 40.0, ctx.sr)
    source = dsp.oscillator(pitch * jitter, length, "saw", ctx.sr) + breath * dsp.white(ctx.rng, length)

    def tract(part: np.ndarray, shift: float) -> np.ndarray:
        return sum(dsp.resonate(part, formant * shift, 5.0, ctx.sr) for formant in formants)

    if formant_shift is None:
        return tract(source, 1.0)
    # A moving mouth: the formants glide by `formant_shift` over the sound.
    return dsp.moving_filter(source, formant_shift, tract, blocks=24, warmup=512)


@recipe(
    "dog_bark",
    kind="events",
    duration=0.6,
    phrases=(
        "a dog barking",
        "a big dog barks loudly",
        "a small dog yapping",
        "dogs barking in the distance",
    ),
    keywords=("dog", "dogs", "bark", "barks", "barking", "woof", "puppy", "yap", "yapping", "hound"),
    period=0.5,
    default_count=3,
)
def dog_bark(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    base = ctx.between(750.0, 220.0, ctx.size)
    for time in bursts(ctx, (0.3, 0.45), (1, 3), (0.4, 1.2)):
        length = at(ctx, ctx.vary(ctx.between(0.12, 0.28, ctx.size), 0.2))
        t = np.linspace(0.0, 1.0, length)
        # A bark jumps up in pitch and falls back, louder and rougher the more excited the dog.
        pitch = ctx.vary(base, 0.1) * (1.0 + 0.5 * np.sin(np.pi * np.minimum(t * 1.6, 1.0)))
        scale = ctx.between(1.4, 0.8, ctx.size)
        bark = _voiced(ctx, pitch, (650.0 * scale, 1500.0 * scale, 2600.0 * scale), 0.3 + ctx.intensity)
        bark *= np.sin(np.pi * t) ** 0.5 * np.exp(-2.0 * t)
        dsp.place(out, bark, at(ctx, time), ctx.between(0.5, 1.0, ctx.intensity))
    return dsp.reverb(out, ctx.rng, 0.8, 0.15, ctx.sr)


@recipe(
    "cat_meow",
    kind="events",
    duration=1.0,
    phrases=("a cat meowing", "a kitten mewing", "an angry cat hissing"),
    keywords=("cat", "cats", "meow", "meowing", "kitten", "mew", "purr"),
    period=1.4,
    default_count=2,
)
def cat_meow(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    for time in onsets(ctx, 1.4, jitter=0.2):
        length = at(ctx, ctx.vary(0.7, 0.3))
        t = np.linspace(0.0, 1.0, length)
        # "Mi-a-ow": the pitch arches while the mouth opens and closes again.
        pitch = ctx.vary(ctx.between(900.0, 450.0, ctx.size), 0.1) * (0.8 + 0.4 * np.sin(np.pi * t**0.8))
        mouth = 0.7 + 0.6 * np.sin(np.pi * t)
        meow = _voiced(ctx, pitch, (900.0, 2000.0, 3500.0), 0.1, formant_shift=mouth)
        dsp.place(out, meow * np.sin(np.pi * t) ** 0.7, at(ctx, time))
    return dsp.reverb(out, ctx.rng, 0.6, 0.1, ctx.sr)


@recipe(
    "applause",
    kind="texture",
    duration=5.0,
    phrases=(
        "an audience applauding",
        "crowd clapping and cheering",
        "a round of applause",
        "stadium ovation",
    ),
    keywords=("applause", "applauding", "clap", "clapping", "claps", "ovation", "audience", "cheering"),
    distance=0.25,
)
def applause(ctx: Render) -> np.ndarray:
    people = int(ctx.between(8, 150, ctx.size))
    out = np.zeros(ctx.n)
    # Each person claps at their own pace and with their own hand shape (its resonance).
    centres = ctx.rng.uniform(900.0, 2600.0, 6)
    groups = ctx.rng.integers(0, len(centres), people)
    for group, centre in enumerate(centres):
        members = int(np.sum(groups == group))
        if not members:
            continue
        rate = members * ctx.rng.uniform(3.5, 5.5)
        times = dsp.poisson_times(ctx.rng, ctx.seconds, rate)
        hits = dsp.impulses(ctx.n, times, ctx.rng.uniform(0.3, 1.0, len(times)), ctx.sr)
        hits = dsp.convolve(hits, dsp.click(ctx.rng, 0.012, 0.0, ctx.sr))
        out += dsp.bandpass(hits, centre * 0.6, centre * 1.8, ctx.sr)
    if ctx.intensity > 0.6:  # cheering: a vowel-ish roar of voices under the clapping
        out += ctx.intensity * 0.3 * _murmur(ctx, 10, 1.4)
    return out * dsp.adsr(ctx.n, 0.4, 0.8, ctx.sr)


def _murmur(ctx: Render, voices: int, excitement: float) -> np.ndarray:
    t = np.arange(ctx.n) / ctx.sr
    # Voices share three vowel colours; each colour's mouth filters the sum of its voices at once.
    vowels = [np.zeros(ctx.n) for _ in range(3)]
    for index in range(voices):
        # Syllables: a voice's loudness pulses 3-6 times a second while it talks, then it pauses.
        syllables = np.clip(
            np.sin(2 * np.pi * ctx.rng.uniform(3.0, 6.0) * t + ctx.rng.uniform(0, 6.3)), 0, None
        )
        talking = dsp.lowpass(
            (dsp.slow_random(ctx.rng, ctx.n, 0.5, ctx.sr) > 0.35).astype(float), 10.0, ctx.sr
        )
        pitch = ctx.rng.uniform(100.0, 240.0) * excitement * (1 + 0.1 * dsp.slow_random(ctx.rng, ctx.n, 3.0))
        vowels[index % 3] += dsp.oscillator(pitch, ctx.n, "saw", ctx.sr) * syllables * talking
    out = np.zeros(ctx.n)
    for source, (first, second) in zip(vowels, ((700.0, 1200.0), (500.0, 1700.0), (400.0, 900.0))):
        source = source + 0.1 * dsp.white(ctx.rng, ctx.n) * np.abs(source).mean()
        out += sum(dsp.resonate(source, f, 5.0, ctx.sr) for f in (first, second, 2500.0))
    return dsp.lowpass(out, 3000.0, ctx.sr)


@recipe(
    "crowd_murmur",
    kind="texture",
    duration=6.0,
    phrases=(
        "a crowd murmuring",
        "people chatting in a busy restaurant",
        "background chatter",
        "cafe ambience",
    ),
    keywords=("crowd", "murmur", "murmuring", "chatter", "chatting", "people", "restaurant", "cafe", "walla"),
    distance=0.3,
)
def crowd_murmur(ctx: Render) -> np.ndarray:
    return _murmur(ctx, int(ctx.between(6, 24, ctx.size)), ctx.between(0.9, 1.3, ctx.intensity))


@recipe(
    "heartbeat",
    kind="texture",
    duration=5.0,
    phrases=("a heartbeat", "a heart pounding fast", "slow heart beating", "pulse thumping"),
    keywords=("heart", "heartbeat", "heartbeats", "pulse", "heartbeating", "pounding", "thumping"),
)
def heartbeat(ctx: Render) -> np.ndarray:
    bpm = ctx.tempo_bpm or ctx.between(55.0, 140.0, ctx.intensity)
    out = np.zeros(ctx.n)
    for time in onsets(ctx, 60.0 / bpm, jitter=0.01):
        # "Lub-dub": the valves close in two thumps, the second one shorter and softer.
        for delay, gain, freq in ((0.0, 1.0, 55.0), (0.28 * min(1.0, 80.0 / bpm + 0.2), 0.6, 65.0)):
            length = at(ctx, 0.15)
            thump = dsp.oscillator(np.geomspace(freq * 1.4, freq, length), length, "sine") * dsp.decay(
                length, 0.1, ctx.sr, attack=0.01
            )
            dsp.place(out, thump, at(ctx, time + delay), gain)
    return dsp.lowpass(out, 300.0, ctx.sr)
