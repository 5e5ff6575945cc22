"""The cloning search's probe renders kept on disk: a second process hears a voice without rendering it again,
renders of the user's own model files are not kept, and a damaged file is rendered anew."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vocalis.engines import weights
from vocalis.engines.piper import VOICE_NAME, PiperSynthesizer
from vocalis.engines.protocols import VoiceSpec
from vocalis.engines.speaker import SpeakerEmbedder
from vocalis.voices.matching import VoiceMatcher

pytestmark = pytest.mark.slow

JOE = VoiceSpec("piper", ((VOICE_NAME, 1.0),), pitch_semitones=-2.0)


class CountingPiper(PiperSynthesizer):
    """The real Piper engine, counting how often it is asked to speak."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.calls = 0

    def synthesize(self, *args, **kwargs):
        self.calls += 1
        return super().synthesize(*args, **kwargs)


@pytest.fixture(scope="module")
def encoder() -> SpeakerEmbedder:
    return SpeakerEmbedder()


def matcher(piper: PiperSynthesizer, encoder: SpeakerEmbedder, renders: Path) -> VoiceMatcher:
    return VoiceMatcher(lambda: {"piper": piper}, lambda: [encoder], renders)


def test_a_kept_render_is_heard_again_without_rendering(tmp_path: Path, encoder: SpeakerEmbedder):
    first = CountingPiper()
    heard = matcher(first, encoder, tmp_path).voice_embeddings(JOE)
    assert first.calls == 1 and len(list(tmp_path.glob("piper-*.npz"))) == 1

    again = CountingPiper()
    assert matcher(again, encoder, tmp_path).voice_embeddings(JOE)[encoder.name] == pytest.approx(
        heard[encoder.name], abs=1e-6
    )
    assert again.calls == 0

    # A damaged file is rendered anew, and replaced.
    [kept] = tmp_path.glob("piper-*.npz")
    kept.write_bytes(b"not a render")
    damaged = CountingPiper()
    redone = matcher(damaged, encoder, tmp_path).voice_embeddings(JOE)[encoder.name]
    assert damaged.calls == 1 and np.dot(redone, heard[encoder.name]) > 0.999
    assert kept.stat().st_size > 1000


def test_renders_of_the_users_own_files_are_not_kept(tmp_path: Path, encoder: SpeakerEmbedder):
    model, config = weights.piper_joe()
    own = CountingPiper(model_path=model, config_path=config)
    assert own.weights_id is None and PiperSynthesizer().weights_id is not None
    matcher(own, encoder, tmp_path).voice_embeddings(JOE)
    assert own.calls == 1 and not list(tmp_path.iterdir())
