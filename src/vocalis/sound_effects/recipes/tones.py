"""Pitched and designed sounds: bells and chimes, interface sounds, game pickups, sci-fi and trailer
sounds, drum loops."""

from __future__ import annotations

import numpy as np

from vocalis.sound_effects import dsp
from vocalis.sound_effects.recipes.base import Render, at, onsets, recipe

# Partials of a church bell relative to its nominal (hum, prime, tierce, quint, nominal, upper partials),
# and how long each rings relative to the hum.
BELL_PARTIALS = (0.5, 1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.2)
BELL_DECAYS = (1.0, 0.8, 0.6, 0.5, 0.45, 0.3, 0.25, 0.15)
BELL_AMPS = (0.6, 0.9, 0.7, 0.4, 1.0, 0.5, 0.4, 0.25)


@recipe(
    "bell",
    kind="events",
    duration=5.0,
    phrases=("a church bell tolling", "a large bell ringing", "a bronze gong struck", "temple bell"),
    keywords=("bell", "bells", "toll", "tolling", "church", "gong", "carillon"),
    period=2.5,
    default_count=3,
    distance=0.35,
)
def bell(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    nominal = ctx.vary(ctx.between(900.0, 250.0, ctx.size), 0.03)
    ring = ctx.between(2.0, 6.0, ctx.size)
    for time in onsets(ctx, 2.5, jitter=0.01):
        length = at(ctx, ring * 1.2)
        partials = [nominal * p * ctx.vary(1.0, 0.005) for p in BELL_PARTIALS]
        strike = dsp.modes(length, partials, [ring * d for d in BELL_DECAYS], BELL_AMPS, ctx.rng, ctx.sr)
        dsp.place(out, strike, at(ctx, time), ctx.between(0.6, 1.0, ctx.intensity))
    return dsp.reverb(out, ctx.rng, 2.5, 0.25, ctx.sr)


PENTATONIC = (1.0, 9 / 8, 5 / 4, 3 / 2, 5 / 3, 2.0)


@recipe(
    "wind_chimes",
    kind="texture",
    duration=6.0,
    phrases=("wind chimes tinkling in the breeze", "metal chimes", "a gentle chime"),
    keywords=("chime", "chimes", "tinkle", "tinkling", "windchime", "jingle"),
)
def wind_chimes(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    root = ctx.vary(ctx.between(1400.0, 600.0, ctx.size), 0.1)
    for time in dsp.poisson_times(ctx.rng, ctx.seconds, ctx.between(1.5, 7.0, ctx.intensity)):
        tube = root * ctx.rng.choice(PENTATONIC)
        length = at(ctx, 2.5)
        # Free-free tube modes: 1, 2.76, 5.40 times the fundamental.
        note = dsp.modes(length, (tube, tube * 2.76, tube * 5.40), (2.0, 0.9, 0.4), (1.0, 0.5, 0.25), ctx.rng)
        dsp.place(out, note, at(ctx, time), ctx.rng.uniform(0.2, 0.8))
    return dsp.reverb(out, ctx.rng, 1.5, 0.2, ctx.sr)


@recipe(
    "doorbell",
    kind="events",
    duration=2.0,
    phrases=("a doorbell ding dong", "someone rings the doorbell", "a two-tone door chime"),
    keywords=("doorbell", "ding", "dong", "dingdong"),
    period=2.5,
    default_count=1,
)
def doorbell(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    for time in onsets(ctx, 2.5, jitter=0.0):
        for offset, freq in ((0.0, 659.3), (0.55, 523.3)):  # E5 then C5: the classic falling third
            length = at(ctx, 1.8)
            note = dsp.modes(
                length, (freq, freq * 2.0, freq * 3.0), (1.5, 0.6, 0.3), (1.0, 0.3, 0.1), ctx.rng
            )
            dsp.place(out, note, at(ctx, time + offset))
    return dsp.reverb(out, ctx.rng, 0.8, 0.15, ctx.sr)


@recipe(
    "ui_beep",
    kind="events",
    duration=0.4,
    phrases=("an electronic beep", "a notification sound", "an error buzzer", "a microwave beeping"),
    keywords=("beep", "beeps", "beeping", "bleep", "notification", "alert", "ping", "error", "buzzer"),
    period=0.3,
    default_count=1,
)
def ui_beep(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    freq = ctx.vary(ctx.between(1800.0, 600.0, ctx.size), 0.05)
    for time in onsets(ctx, 0.3, jitter=0.0):
        length = at(ctx, 0.15)
        tone = dsp.oscillator(freq, length, "sine") + 0.15 * dsp.oscillator(freq * 2, length, "sine")
        dsp.place(out, tone * dsp.adsr(length, 0.005, 0.02), at(ctx, time))
    return out


@recipe(
    "ui_click",
    kind="events",
    duration=0.3,
    phrases=("a mouse click", "a button click", "a light switch flipped", "interface tap"),
    keywords=("click", "clicks", "clicking", "button", "switch", "mouse", "tap", "toggle"),
    period=0.25,
    default_count=1,
)
def ui_click(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    for time in onsets(ctx, 0.25, jitter=0.05):
        length = at(ctx, 0.03)
        snap = dsp.modes(length, (ctx.vary(3200.0, 0.1), 5100.0), (0.008, 0.005), (1.0, 0.5), ctx.rng)
        dsp.place(
            out, snap + 0.3 * dsp.pad_to(dsp.click(ctx.rng, 0.03, 2000.0, ctx.sr), length), at(ctx, time)
        )
    return out


@recipe(
    "coin",
    kind="events",
    duration=0.5,
    phrases=("a video game coin pickup", "collecting a coin in a retro game", "arcade coin sound"),
    keywords=("coin", "coins", "pickup", "collect", "arcade", "retro", "8-bit", "chiptune"),
    period=0.35,
    default_count=1,
)
def coin(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    for time in onsets(ctx, 0.35, jitter=0.0):
        # Two square-wave notes a fourth apart (B5 → E6), the second one held.
        first, second = at(ctx, 0.07), at(ctx, 0.35)
        note = np.concatenate(
            [
                dsp.oscillator(987.8, first, "square"),
                dsp.oscillator(1318.5, second, "square") * dsp.decay(second, 0.35),
            ]
        )
        dsp.place(out, 0.5 * note, at(ctx, time))
    return out


@recipe(
    "magic_sparkle",
    kind="oneshot",
    duration=2.0,
    phrases=("a magic spell sparkle", "fairy dust shimmer", "a magical twinkle", "enchantment glitter"),
    keywords=("magic", "magical", "sparkle", "sparkles", "shimmer", "twinkle", "fairy", "spell", "glitter"),
)
def magic_sparkle(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    count = int(ctx.between(15, 70, ctx.intensity))
    # Twinkles climb in pitch through the sound, like a rising glissando scattered in time.
    times = np.sort(ctx.rng.uniform(0.0, ctx.seconds * 0.8, count))
    for time in times:
        rise = time / max(ctx.seconds, 1e-3)
        freq = 2000.0 * 2 ** (2.0 * rise) * ctx.rng.choice(PENTATONIC)
        length = at(ctx, 0.4)
        ping = dsp.modes(length, (freq, freq * 2.0), (0.35, 0.15), (1.0, 0.3), ctx.rng, ctx.sr)
        dsp.place(out, ping, at(ctx, time), ctx.rng.uniform(0.2, 0.6))
    shimmer = (
        dsp.highpass(dsp.white(ctx.rng, ctx.n), 6000.0, ctx.sr) * dsp.adsr(ctx.n, 0.3, 1.0, ctx.sr) * 0.03
    )
    return dsp.reverb(out + shimmer, ctx.rng, 2.0, 0.35, ctx.sr)


@recipe(
    "laser",
    kind="oneshot",
    duration=0.6,
    phrases=("a sci-fi laser gun shot", "pew pew laser blasts", "a blaster firing", "a zap"),
    keywords=("laser", "lasers", "pew", "blaster", "zap", "phaser", "raygun", "beam"),
    period=0.3,
)
def laser(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    for time in onsets(ctx, ctx.vary(0.3, 0.1), jitter=0.05):
        length = at(ctx, ctx.vary(0.25, 0.2))
        top = ctx.vary(ctx.between(3500.0, 1500.0, ctx.size), 0.1)
        freq = np.geomspace(top, top / 10, length)
        zap = dsp.oscillator(freq, length, "square") * 0.4 + dsp.oscillator(freq * 1.01, length, "saw") * 0.3
        dsp.place(out, dsp.lowpass(zap, 6000.0) * dsp.decay(length, length / ctx.sr), at(ctx, time))
    return out


@recipe(
    "scifi_drone",
    kind="texture",
    duration=8.0,
    phrases=(
        "a dark sci-fi drone",
        "spaceship engine hum",
        "an eerie ambient drone",
        "space station ambience",
    ),
    keywords=("drone", "spaceship", "space", "scifi", "sci-fi", "eerie", "ambient", "starship", "alien"),
)
def scifi_drone(ctx: Render) -> np.ndarray:
    root = ctx.vary(ctx.between(80.0, 40.0, ctx.size), 0.1)
    # Detuned saws beat slowly against each other; a wandering filter makes the drone breathe.
    stack = sum(dsp.oscillator(root * r * ctx.vary(1.0, 0.004), ctx.n, "saw") for r in (1.0, 1.003, 1.5, 2.0))
    sweep = dsp.slow_random(ctx.rng, ctx.n, 0.15, ctx.sr)
    start, end = 200.0 + 1200.0 * ctx.intensity * sweep[0], 200.0 + 1200.0 * ctx.intensity * sweep[-1]
    drone = dsp.swept_lowpass(stack, start, end, ctx.sr)
    air = dsp.bandpass(dsp.pink(ctx.rng, ctx.n), 2000.0, 6000.0, ctx.sr) * 0.05 * sweep
    return drone + air


@recipe(
    "braam",
    kind="oneshot",
    duration=4.0,
    phrases=("a cinematic braam", "a trailer horn hit", "a huge dramatic brass blast", "epic movie impact"),
    keywords=("braam", "cinematic", "trailer", "epic", "dramatic", "brass", "inception", "horror"),
    distance=0.2,
)
def braam(ctx: Render) -> np.ndarray:
    root = ctx.vary(55.0, 0.05)
    stack = sum(dsp.oscillator(root * r * ctx.vary(1.0, 0.006), ctx.n, "saw") for r in (1.0, 1.005, 2.0, 3.0))
    # The brass "opens": its filter flies up at the hit and closes slowly, driven into saturation.
    opened = dsp.swept_lowpass(stack, ctx.between(1500.0, 4000.0, ctx.intensity), 150.0, ctx.sr)
    hit = np.tanh(2.5 * opened) * dsp.decay(ctx.n, ctx.seconds * 0.9, ctx.sr, attack=0.04)
    sub = dsp.oscillator(root / 2, ctx.n, "sine") * dsp.decay(ctx.n, ctx.seconds * 0.7, ctx.sr, attack=0.02)
    return dsp.reverb(hit + 0.8 * sub, ctx.rng, 3.0, 0.3, ctx.sr)


@recipe(
    "glitch",
    kind="oneshot",
    duration=1.5,
    phrases=("a digital glitch", "electronic data corruption stutter", "a broken signal glitching"),
    keywords=("glitch", "glitchy", "glitching", "digital", "stutter", "corrupted", "static", "malfunction"),
)
def glitch(ctx: Render) -> np.ndarray:
    out = np.zeros(ctx.n)
    position = 0
    while position < ctx.n:
        length = at(ctx, ctx.rng.choice([0.01, 0.02, 0.04, 0.08]))
        kind = ctx.rng.integers(0, 4)
        if kind == 0:  # a held tone, as if a sample-and-hold froze
            piece = dsp.oscillator(ctx.rng.uniform(200.0, 4000.0), length, "square") * 0.4
        elif kind == 1:  # a crushed noise burst
            piece = np.round(dsp.white(ctx.rng, length) * 2) / 4
        elif kind == 2:  # a dropout
            piece = np.zeros(length)
        else:  # a stutter: the previous fragment repeated
            piece = np.tile(out[max(0, position - length // 4) : position], 4)[:length]
        piece = dsp.pad_to(piece, length)
        dsp.place(out, piece, position)
        position += length
    return out * ctx.between(0.5, 1.0, ctx.intensity)


def _kick(ctx: Render) -> np.ndarray:
    length = at(ctx, 0.35)
    return dsp.oscillator(np.geomspace(160.0, 45.0, length), length, "sine") * dsp.decay(length, 0.3, ctx.sr)


def _snare(ctx: Render) -> np.ndarray:
    length = at(ctx, 0.25)
    tone = dsp.oscillator(190.0, length, "sine") * dsp.decay(length, 0.08, ctx.sr)
    return 0.6 * tone + 0.5 * dsp.bandpass(dsp.white(ctx.rng, length), 1500.0, 9000.0) * dsp.decay(
        length, 0.18
    )


def _hat(ctx: Render) -> np.ndarray:
    return dsp.highpass(dsp.click(ctx.rng, 0.05, 0.0, ctx.sr), 7000.0, ctx.sr)


@recipe(
    "drum_loop",
    kind="texture",
    duration=8.0,
    phrases=("a hip-hop drum loop at 90 bpm", "a drum beat", "kick snare hi-hat groove", "a breakbeat"),
    keywords=("drum", "drums", "beat", "groove", "bpm", "breakbeat", "kick", "snare", "hihat", "percussion"),
)
def drum_loop(ctx: Render) -> np.ndarray:
    bpm = ctx.tempo_bpm or 90.0
    sixteenth = 60.0 / bpm / 4
    out = np.zeros(ctx.n)
    kick, snare = (
        (1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0),
        (0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0),
    )
    hits = {"kick": _kick(ctx), "snare": _snare(ctx)}
    step = 0
    while step * sixteenth < ctx.seconds:
        time = step * sixteenth + (sixteenth * 0.12 if step % 2 else 0.0)  # a little swing on off-beats
        if kick[step % 16]:
            dsp.place(out, hits["kick"], at(ctx, time))
        if snare[step % 16]:
            dsp.place(out, hits["snare"], at(ctx, time), 0.8)
        if step % 2 == 0 or ctx.intensity > 0.6:
            dsp.place(out, _hat(ctx), at(ctx, time), 0.25 if step % 4 else 0.4)
        step += 1
    return out


@recipe(
    "riser",
    kind="oneshot",
    duration=4.0,
    phrases=("a tension riser", "a rising sweep building up", "an uplifter before a drop"),
    keywords=("riser", "rising", "rise", "build", "buildup", "tension", "uplifter", "sweep"),
)
def riser(ctx: Render) -> np.ndarray:
    t = np.linspace(0.0, 1.0, ctx.n)
    noise = dsp.swept_lowpass(dsp.white(ctx.rng, ctx.n), 300.0, 12000.0, ctx.sr)
    tone = dsp.oscillator(np.geomspace(110.0, 880.0, ctx.n), ctx.n, "saw") * 0.2
    return (noise + dsp.lowpass(tone, 3000.0)) * t**2
