"""Preview texts for `auto_generate_text`: a few lines per use, written to suit the voice (a storyteller
reads a story, a news anchor the headlines), each 100 to 200 characters like ElevenLabs' own."""

from __future__ import annotations

import numpy as np

from vocalis.voice_design.traits import VoiceTraits

TEXTS: dict[str, tuple[str, ...]] = {
    "narration": (
        "The old lighthouse stood alone at the edge of the cliff. Every night its keeper climbed the stairs, "
        "lit the lamp, and watched the ships pass safely by.",
        "Long ago, in a village hidden between two mountains, there lived a clockmaker who could mend "
        "anything except his own broken heart.",
    ),
    "news": (
        "Good evening, and welcome to the news at nine. Tonight, heavy rain has flooded roads across the "
        "region, and officials are asking drivers to stay at home.",
    ),
    "characters": (
        "You dare to enter my cave? Many brave knights have stood where you stand now, and not one of them "
        "has ever walked back out into the daylight.",
        "Gather round, travellers, and hear my tale! I have sailed the seven seas, fought a dragon, and lost "
        "my favourite hat in the belly of a whale.",
    ),
    "conversational": (
        "Hi there, thanks so much for calling. I have pulled up your account, and I can see exactly what "
        "happened with your order. Let me sort that out for you right now.",
        "So I finally tried that little coffee place around the corner, and honestly, it was wonderful. "
        "We should go together next week, if you have time.",
    ),
    "social_media": (
        "Hey everyone, welcome back to the channel! Today I am going to show you three simple tricks that "
        "will completely change the way you cook pasta. Let's get into it.",
    ),
    "meditation": (
        "Find a comfortable position and gently close your eyes. Breathe in slowly through your nose, hold "
        "it for a moment, and then let it go, releasing all the tension of the day.",
    ),
    "advertisement": (
        "This weekend only, everything in the store is half price! Come down to Riverside Furniture and find "
        "the sofa of your dreams before they are all gone.",
    ),
}
DEFAULT_USE = "conversational"


def preview_text(traits: VoiceTraits, rng: np.random.Generator) -> str:
    """A text in the voice's line of work (conversational when the description names none)."""
    choices = TEXTS[traits.use_case or DEFAULT_USE]
    return choices[int(rng.integers(len(choices)))]
