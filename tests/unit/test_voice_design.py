"""Voice design without the server: how descriptions are read (word lists, and MiniLM embeddings on the
shared description table), and the three voices chosen for them (seeded, at the pitch and pace asked)."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from tests.e2e.voice_descriptions import LITERAL, PARAPHRASES
from vocalis.engines import sentence_embedding
from vocalis.voice_design.candidates import (
    KOKORO,
    PIPER,
    BaseVoice,
    DesignedVoice,
    base_voices,
    design_voices,
    semitones,
    variety,
)
from vocalis.voice_design.remix import remix_voices, voice_gender
from vocalis.voice_design.texts import TEXTS
from vocalis.voice_design.traits import DescriptionReader, VoiceTraits, read_keywords
from vocalis.voices.library import LibraryVoice
from vocalis.voices.premade import PREMADE_VOICES

BOTH = {KOKORO, PIPER}


@pytest.fixture(scope="module")
def embedder() -> sentence_embedding.MiniLMEmbedder:
    if not sentence_embedding.available():
        pytest.skip("MiniLM (the sfx extra) is not installed")
    return sentence_embedding.MiniLMEmbedder()


def pitch_word(traits: VoiceTraits) -> str | None:
    return "low" if traits.pitch < 0 else "high" if traits.pitch > 0 else None


def hits(table: tuple, reader: DescriptionReader, embedder=None) -> tuple[int, int]:
    """(traits read right, traits asked) over a description table; open traits are not counted."""
    right = asked = 0
    for description, *wanted in table:
        traits = reader.read(description, embedder)
        for want, got in zip(wanted, (traits.gender, traits.age, pitch_word(traits)), strict=True):
            if want is not None:
                asked += 1
                right += want == got
    return right, asked


def predicted_f0(voice: DesignedVoice) -> float:
    return BaseVoice(voice.spec.engine, voice.spec.blend, voice.gender).f0_hz * 2 ** (
        voice.spec.pitch_semitones / 12
    )


# Reading descriptions ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("description", "gender", "age", "pitch"), LITERAL)
def test_named_traits_are_read_from_the_words(description: str, gender, age, pitch):
    traits = read_keywords(description)
    assert (traits.gender, traits.age, pitch_word(traits)) == (gender, age, pitch)


def test_intensity_negation_and_pace():
    assert read_keywords("a very deep voice").pitch < read_keywords("a deep voice").pitch < 0
    assert read_keywords("a slightly deep voice").pitch == pytest.approx(-0.5)
    assert read_keywords("a man who speaks a bit slow").pace == pytest.approx(-0.5)
    assert read_keywords("a man who talks, but not too fast").pace == 0.0
    assert read_keywords("an energetic, fast-talking host").pace > 1.0
    # "high quality" is about the recording, not the pitch.
    assert read_keywords("a high quality recording of a calm woman").pitch == 0.0


@pytest.mark.parametrize(
    ("description", "age"),
    [
        ("a 40-year-old man", "middle_aged"),
        ("a woman in her seventies", "old"),
        ("a man in his early 20s", "young"),
        ("an 8 year old", "child"),
        ("a little boy", "child"),
        ("grandmotherly", "old"),
    ],
)
def test_ages_in_years_decades_and_words(description: str, age: str):
    assert read_keywords(description).age == age


def test_accents_textures_and_uses_become_labels():
    traits = read_keywords("A gruff fisherman with a thick Scottish accent telling stories")
    assert (traits.gender, traits.accent, traits.texture, traits.use_case) == (
        "male",
        "scottish",
        ("raspy",),
        "narration",
    )
    assert read_keywords("a woman with an English accent").accent == "british"
    assert read_keywords("a New York cab driver").accent == "american"
    assert read_keywords("the chairwoman of the board").gender == "female"
    assert read_keywords("a German engineer").gender is None  # "-man" words that name no man


def test_embeddings_read_what_the_words_do_not_say(embedder):
    reader = DescriptionReader()
    by_words, asked = hits(PARAPHRASES, reader)
    by_meaning, _ = hits(PARAPHRASES, reader, embedder)
    assert by_meaning / asked >= 0.9, (by_meaning, asked)
    assert by_words / asked <= 0.6, (by_words, asked)
    ogre = reader.read("A massive evil ogre with a booming voice", embedder)
    assert ogre.gender == "male" and "gender" in ogre.inferred and ogre.matcher == embedder.name
    fairy = reader.read("a tiny fairy with a tinkling laugh", embedder)
    assert (fairy.gender, fairy.age) == ("female", "child")
    # What the words name, the embeddings never change.
    for description, *_ in LITERAL:
        read, words = reader.read(description, embedder), read_keywords(description)
        for trait in ("gender", "age", "pitch"):
            if getattr(words, trait):
                assert getattr(read, trait) == getattr(words, trait), (description, trait)


# Choosing voices -----------------------------------------------------------------------------------------
def test_same_seed_same_voices_and_another_seed_others():
    traits = read_keywords("An old British man with a deep, raspy voice")
    first = design_voices(traits, 11, 1.0, BOTH)
    assert first == design_voices(traits, 11, 1.0, BOTH)
    assert first != design_voices(traits, 12, 1.0, BOTH)


@pytest.mark.parametrize(("description", "gender", "age", "pitch"), LITERAL + PARAPHRASES)
def test_three_different_voices_near_the_asked_pitch(description: str, gender, age, pitch):
    voices = design_voices(read_keywords(description), 3, 1.0, BOTH)
    assert len(voices) == 3
    for one, other in itertools.combinations(voices, 2):
        assert one.spec != other.spec
        assert (
            one.spec.blend != other.spec.blend or abs(semitones(predicted_f0(one), predicted_f0(other))) > 0.5
        )
    for voice in voices:
        # The pick and the spread put a voice within a few semitones of the description's target.
        assert abs(semitones(voice.target_f0_hz, predicted_f0(voice))) < 3.0
        assert 0.6 <= voice.spec.speed <= 1.7


def test_deep_men_are_low_and_high_young_women_high():
    deep = design_voices(read_keywords("a deep-voiced man"), 1, 1.0, BOTH)
    high = design_voices(read_keywords("a young woman with a high voice"), 1, 1.0, BOTH)
    assert max(predicted_f0(voice) for voice in deep) < 100
    assert min(predicted_f0(voice) for voice in high) > 250
    assert {voice.labels["gender"] for voice in deep} == {"male"}
    assert {voice.labels["description"] for voice in high} == {"high"}


def test_pace_changes_only_the_speed():
    fast = design_voices(read_keywords("a fast-talking man"), 4, 1.0, BOTH)
    slow = design_voices(read_keywords("a slow-talking man"), 4, 1.0, BOTH)
    for quick, unhurried in zip(fast, slow, strict=True):
        assert (quick.spec.blend, quick.spec.pitch_semitones) == (
            unhurried.spec.blend,
            unhurried.spec.pitch_semitones,
        )
        assert quick.spec.speed / unhurried.spec.speed > 1.5


def test_an_unsaid_gender_gives_both_and_children_high_voices():
    genders = {voice.gender for voice in design_voices(read_keywords("a voice for a podcast"), 2, 1.0, BOTH)}
    assert genders == {"male", "female"}
    for voice in design_voices(read_keywords("a little boy"), 2, 1.0, BOTH):
        assert voice.spec.engine == KOKORO and predicted_f0(voice) > 220
        assert voice.labels["gender"] == "male"


def test_stronger_guidance_keeps_voices_closer():
    assert variety(None, None) == pytest.approx(1.0)
    assert variety(1.0, 40.0) < variety(0.9, 5.0) < variety(-1.0, 1.0)
    traits = read_keywords("a calm middle-aged woman")

    def spread(amount: float) -> float:
        pitches = [
            semitones(voice.target_f0_hz, predicted_f0(voice))
            for voice in design_voices(traits, 8, amount, BOTH)
        ]
        return max(pitches) - min(pitches)

    assert spread(0.25) < spread(2.0)


def test_one_engine_is_enough():
    voices = design_voices(read_keywords("a young woman"), 1, 1.0, {PIPER})
    assert [voice.spec.engine for voice in voices] == [PIPER] * 3
    assert all(abs(voice.spec.pitch_semitones) <= 5.0 for voice in voices)
    assert len({voice.spec for voice in voices}) == 3
    assert {base.engine for base in base_voices({KOKORO})} == {KOKORO}
    with pytest.raises(ValueError, match="kokoro or piper"):
        design_voices(read_keywords("a young woman"), 1, 1.0, set())


def test_preview_texts_fit_elevenlabs_limits():
    for texts in TEXTS.values():
        assert all(100 <= len(text) <= 1000 for text in texts)


# Remixing: changes read from a prompt, applied to an existing voice.
GEORGE = "JBFqnCBsd6RMkjVDRZzb"


def library_voice(voice_id: str = GEORGE, **changes) -> LibraryVoice:
    voice = next(voice for voice in PREMADE_VOICES if voice.voice_id == voice_id)
    made = LibraryVoice(
        voice.voice_id, voice.name, "premade", voice.description, dict(voice.labels), voice.spec
    )
    return dataclasses.replace(made, **changes)


def test_remix_prompts_read_as_changes():
    reader = DescriptionReader()
    assert reader.read("Make him deeper and slower", changes=True).pitch < 0
    assert reader.read("Make him deeper and slower", changes=True).pace < 0
    # "him" names the voice being remixed, not a change of gender; a named one is a change.
    assert reader.read("Make him deeper", changes=True).gender is None
    assert reader.read("Make him deeper").gender == "male"
    assert reader.read("Turn it into a woman's voice", changes=True).gender == "female"
    assert reader.read("less deep", changes=True).pitch > 0
    assert reader.read("make her younger and calmer", changes=True).age == "young"
    assert reader.read("make her younger and calmer", changes=True).energy < 0


def test_remix_moves_the_voice_as_asked_and_keeps_what_it_is_made_of():
    equalized = library_voice(spec=dataclasses.replace(library_voice().spec, equalizer=((1000.0, 3.0),)))
    deeper = DescriptionReader().read("much deeper and a bit slower, with a raspier sound", changes=True)
    voices = remix_voices(equalized, deeper, seed=5, spread=1.0, scale=1.0, variation=0.5, engines=BOTH)
    assert len(voices) == 3
    assert len({voice.spec.pitch_semitones for voice in voices}) == 3
    for voice in voices:
        assert voice.spec.engine == equalized.spec.engine and voice.spec.blend == equalized.spec.blend
        assert voice.spec.equalizer == ((1000.0, 3.0),)
        assert voice.spec.pitch_semitones < equalized.spec.pitch_semitones - 2
        assert voice.spec.speed < equalized.spec.speed
        assert voice.labels["description"] == "raspy" and voice.labels["accent"] == "british"
        assert voice.variation > 0.5  # raspy is a rougher delivery
    assert voices == remix_voices(
        equalized, deeper, seed=5, spread=1.0, scale=1.0, variation=0.5, engines=BOTH
    )


def test_remix_strength_scales_the_change():
    george = library_voice()
    higher = DescriptionReader().read("a higher voice", changes=True)
    shifts = {
        scale: [v.spec.pitch_semitones for v in remix_voices(george, higher, 1, 1.0, scale, 0.5, BOTH)]
        for scale in (0.0, 1.0, 2.0)
    }
    # At strength 0 only the previews' spread is left around the voice's own pitch.
    assert max(abs(shift - george.spec.pitch_semitones) for shift in shifts[0.0]) < 1.0
    assert np.mean(shifts[0.0]) < np.mean(shifts[1.0]) < np.mean(shifts[2.0])


def test_remix_ages_a_voice_and_a_named_gender_designs_anew():
    george = library_voice()
    old = remix_voices(george, DescriptionReader().read("make him old", changes=True), 2, 1.0, 1.0, 0.5, BOTH)
    assert all(voice.labels["age"] == "old" for voice in old)
    assert np.mean([voice.spec.speed for voice in old]) < george.spec.speed
    woman = DescriptionReader().read("make it a woman", changes=True)
    swapped = remix_voices(george, woman, 2, 1.0, 1.0, 0.5, BOTH)
    assert all(voice.gender == "female" and voice.labels["gender"] == "female" for voice in swapped)
    assert all(voice.spec.engine == KOKORO and voice.target_f0_hz > 170 for voice in swapped)
    assert voice_gender(library_voice(labels={})) == "male"  # read from the blend when unlabelled
