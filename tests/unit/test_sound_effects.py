"""The procedural sound engine on its own: every recipe, prompt parsing, recipe choice, loops, loudness,
seeds."""

from __future__ import annotations

import numpy as np
import pytest

from tests.e2e.sfx_prompts import LITERAL, PARAPHRASES
from vocalis.engines import sentence_embedding
from vocalis.engines.protocols import SoundGenerator, SoundOptions
from vocalis.sound_effects import dsp
from vocalis.sound_effects.matching import RecipeMatcher
from vocalis.sound_effects.procedural import ProceduralSoundGenerator
from vocalis.sound_effects.prompt import parse_prompt
from vocalis.sound_effects.recipes import RECIPES, Render

SR = dsp.SAMPLE_RATE


def test_library_covers_the_common_effects():
    assert len(RECIPES) >= 30
    for name in ("rain", "thunder", "wind", "ocean_waves", "fire_crackle", "footsteps", "door_knock",
                 "door_creak", "door_slam", "glass_shatter", "explosion", "gunshot", "car_engine", "car_horn",
                 "siren", "dog_bark", "birds", "applause", "crowd_murmur", "heartbeat", "clock_tick", "bell",
                 "whoosh", "laser", "ui_beep", "ui_click", "water_drip", "water_pour", "typing", "engine_hum",
                 "scifi_drone", "coin", "magic_sparkle", "punch"):  # fmt: skip
        assert name in RECIPES


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_every_recipe_renders_exactly_and_audibly(name: str):
    for seconds in (0.5, 2.0):
        n = int(seconds * SR)
        audio = RECIPES[name].render(Render(rng=np.random.default_rng(3), n=n))
        assert len(audio) == n
        assert np.all(np.isfinite(audio))
        assert np.sqrt(np.mean(audio**2)) > 1e-4, "silent render"


def test_prompt_modifiers():
    knocks = parse_prompt("Three loud knocks on a wooden door")
    assert (knocks.count, knocks.material, knocks.intensity) == (3, "wood", 0.8)
    assert parse_prompt("very distant explosion").distance == 0.9
    assert parse_prompt("close-up gentle stream").distance == 0.0
    assert parse_prompt("gentle stream").intensity == 0.2
    assert parse_prompt("heavy rain, looping").loop
    drums = parse_prompt("90s hip-hop drum loop 90 BPM with a kick")
    assert (drums.tempo_bpm, drums.count, drums.loop) == (90.0, None, True)
    assert parse_prompt("a gunshot x3").count == 3
    assert parse_prompt("big dog barking twice").count == 2
    assert parse_prompt("two dogs barking").count is None  # dogs, not barks
    assert parse_prompt("a 5 second whoosh").seconds == 5.0
    assert parse_prompt("knocks 4 times").count == 4


def test_keyword_matcher_chooses_the_recipe():
    matcher = RecipeMatcher(list(RECIPES.values()))
    assert {prompt: matcher.match(prompt).recipe.name for prompt in LITERAL} == LITERAL
    assert matcher.match("qwzx plonk").recipe.name == "wind"  # nothing matches: a neutral ambience


@pytest.mark.skipif(
    not sentence_embedding.available(), reason="the sfx extra (sentence-transformers) is absent"
)
def test_embedding_matcher_chooses_by_meaning():
    matcher = RecipeMatcher(list(RECIPES.values()), sentence_embedding.MiniLMEmbedder(threads=1))
    assert matcher.matcher_name == "all-minilm-l6-v2"
    assert {prompt: matcher.match(prompt).recipe.name for prompt in LITERAL} == LITERAL
    # Paraphrases with none of the recipe's words: meaning finds most, words alone far fewer.
    keywords = RecipeMatcher(list(RECIPES.values()))
    by_meaning = sum(matcher.match(p).recipe.name == r for p, r in PARAPHRASES.items())
    by_words = sum(keywords.match(p).recipe.name == r for p, r in PARAPHRASES.items())
    assert by_meaning >= 0.8 * len(PARAPHRASES) and by_meaning > by_words


def test_engine_is_a_sound_generator_and_repeats_with_a_seed():
    engine = ProceduralSoundGenerator()
    assert isinstance(engine, SoundGenerator)
    options = SoundOptions(duration_seconds=1.5, seed=42)
    first = engine.generate("footsteps on gravel", options)
    again = engine.generate("footsteps on gravel", options)
    other_seed = engine.generate("footsteps on gravel", SoundOptions(duration_seconds=1.5, seed=43))
    assert first.details == {"recipe": "footsteps", "matcher": "keywords"}
    assert len(first.audio) == round(1.5 * SR) and first.sample_rate == SR
    np.testing.assert_array_equal(first.audio, again.audio)
    assert not np.allclose(first.audio, other_seed.audio)


def test_automatic_duration_follows_the_recipe_and_the_prompt():
    engine = ProceduralSoundGenerator()
    assert engine.plan("a knock").automatic_seconds == pytest.approx(0.05 + 3 * 0.2 + 0.6, abs=0.1)
    assert engine.plan("ten knocks").automatic_seconds > engine.plan("two knocks").automatic_seconds
    assert engine.plan("a 7 second explosion").automatic_seconds == 7.0
    assert engine.plan("rain").automatic_seconds == RECIPES["rain"].duration


def test_seamless_loop_joins_end_to_start():
    rng = np.random.default_rng(0)
    n, fade = SR, SR // 4
    rendered = dsp.lowpass(dsp.white(rng, n + fade), 2000.0)
    loop = dsp.seamless_loop(rendered, n, fade)
    steps = np.abs(np.diff(loop))
    assert abs(loop[0] - loop[-1]) <= np.percentile(steps, 99)
    # Equal-power: the noise keeps its level through the crossfade.
    level = np.sqrt(np.mean(loop[fade:] ** 2))
    assert np.sqrt(np.mean(loop[:fade] ** 2)) == pytest.approx(level, rel=0.2)


def test_loudness_measure_and_mastering():
    t = np.arange(3 * SR) / SR
    assert dsp.loudness_lufs(np.sin(2 * np.pi * 997 * t)) == pytest.approx(
        -3.01, abs=0.05
    )  # BS.1770 reference
    rng = np.random.default_rng(1)
    texture = dsp.master(0.01 * dsp.pink(rng, 3 * SR), -16.0)
    assert dsp.loudness_lufs(texture) == pytest.approx(-16.0, abs=0.3)
    impulse = np.zeros(2 * SR)
    impulse[1000:1100] = 1.0
    hit = dsp.master(impulse, -16.0)
    assert np.max(np.abs(hit)) <= 10 ** (-1 / 20) + 1e-9  # transients stay under -1 dBFS, never clip
