"""Instant voice cloning figures: clone time and speaker similarity per corpus speaker.

    python bench/voices.py [--effort 1.0] [--encoders dvector,resemblyzer] [--professional] [--voice-changer]

For each speaker of `../shared/corpus/voice_reference/` (cloned from some of their speech, judged on other
speech of theirs; see `tests/e2e/cloning_quality.py`): the time the offline method takes (reference analysis
and search, warm engines), the voice it chose, and the Resemblyzer cosine of its speech, of the default
voices' speech and of the speaker's own other speech (the upper bound) to the held-out speech; then the
Whisper tiny.en word error rate of the clones' speech. `--encoders dvector` shows the torch-free install
(the search scores with the ONNX d-vector alone; the figures are still Resemblyzer cosines).
`--professional` adds professional training on the same speech (the search at `pvc_training_effort`, then
the equalizer fit) with its time, held-out similarity and WER.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # the proof's data and judges live with the tests

from tests.e2e.cloning_quality import (  # noqa: E402
    DEFAULT_VOICES,
    EVALUATION_TEXT,
    render,
    similarity,
    speakers,
)
from tests.e2e.quality import transcribe, word_errors  # noqa: E402
from vocalis.config import Settings  # noqa: E402
from vocalis.engines.kokoro import KokoroSynthesizer  # noqa: E402
from vocalis.engines.piper import PiperSynthesizer  # noqa: E402
from vocalis.engines.resemblyzer import ResemblyzerEncoder  # noqa: E402
from vocalis.engines.speaker import SpeakerEmbedder  # noqa: E402
from vocalis.voices.matching import VoiceMatcher  # noqa: E402
from vocalis.voices.premade import PREMADE_VOICES  # noqa: E402

CORPUS = Path(os.environ.get("VOCALIS_CORPUS", REPO_ROOT.parent / "shared" / "corpus"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--effort", type=float, default=1.0, help="search effort (1.0: instant cloning)")
    parser.add_argument("--encoders", default="dvector,resemblyzer", help="speaker encoders the search uses")
    parser.add_argument(
        "--professional",
        action="store_true",
        help="also professional training (search at pvc_training_effort, equalizer fit) per speaker",
    )
    parser.add_argument(
        "--voice-changer",
        action="store_true",
        help="also the voice changer's figures (bench/voice_changer.py)",
    )
    args = parser.parse_args()
    synthesizers = {"kokoro": KokoroSynthesizer(), "piper": PiperSynthesizer()}
    named = {"dvector": SpeakerEmbedder, "resemblyzer": ResemblyzerEncoder}
    encoders = [named[name]() for name in args.encoders.split(",")]
    matcher = VoiceMatcher(lambda: synthesizers, lambda: encoders)
    premade = {voice.voice_id: voice.spec for voice in PREMADE_VOICES}
    defaults = {
        name: render(synthesizers[premade[v].engine], premade[v]) for name, v in DEFAULT_VOICES.items()
    }
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; effort {args.effort}; encoders",
        args.encoders,
    )
    started = time.perf_counter()
    matcher.match(matcher.reference([defaults["George"]]), effort=0.01)  # engines loaded, anchors rendered
    print(f"warm-up (engine loads, probe renders of the anchors): {time.perf_counter() - started:.1f} s\n")

    header = f"{'speaker':32} {'clone s':>7} {'evals':>5} {'clone':>6} " + " ".join(
        f"{n:>6}" for n in defaults
    )
    print(header + f" {'same':>6}  voice")
    rows, errors, words = [], 0, 0
    for speaker in speakers(CORPUS):
        started = time.perf_counter()
        cloned = matcher.clone(speaker.clone_speech, effort=args.effort)
        seconds = time.perf_counter() - started
        audio = render(synthesizers[cloned.spec.engine], cloned.spec)
        clone = similarity(audio, speaker.heldout_speech)
        default = [similarity(voice, speaker.heldout_speech) for voice in defaults.values()]
        bound = similarity(np.concatenate(speaker.clone_speech), speaker.heldout_speech)
        wrong, count = word_errors(EVALUATION_TEXT, transcribe(audio))
        errors, words = errors + wrong, words + count
        rows.append((seconds, clone, default, bound))
        spec = cloned.spec
        voice = (
            f"{spec.engine} "
            + " + ".join(f"{n} {w:.2f}" for n, w in spec.blend)
            + f", {spec.pitch_semitones:+.1f} st"
        )
        print(
            f"{speaker.name:32} {seconds:7.1f} {cloned.details['evaluations']:5d} {clone:6.3f} "
            + " ".join(f"{d:6.3f}" for d in default)
            + f" {bound:6.3f}  {voice}"
        )
    mean_default = " ".join(f"{statistics.mean(r[2][i] for r in rows):6.3f}" for i in range(len(defaults)))
    mean_time, mean_clone = statistics.mean(r[0] for r in rows), statistics.mean(r[1] for r in rows)
    mean_bound = statistics.mean(r[3] for r in rows)
    print(f"{'mean':32} {mean_time:7.1f} {'':5} {mean_clone:6.3f} {mean_default} {mean_bound:6.3f}")
    beaten = {name: sum(r[1] > r[2][i] for r in rows) for i, name in enumerate(defaults)}
    print(
        "\nclone closer than the default voice: "
        + ", ".join(f"{n} {k}/{len(rows)}" for n, k in beaten.items())
    )
    print(f"Whisper tiny.en WER of the clones' speech: {100 * errors / words:.1f} % ({errors}/{words} words)")
    if args.professional:
        professional_section(matcher, synthesizers, [row[1] for row in rows])
    if args.voice_changer:
        voice_changer_section()


def professional_section(matcher: VoiceMatcher, synthesizers: dict, instant: list[float]) -> None:
    """Professional training on each speaker's cloning speech, judged like the instant clones above."""
    effort = Settings.model_fields["pvc_training_effort"].default
    print(f"\nprofessional training (effort {effort}, equalizer fit):")
    print(f"{'speaker':32} {'train s':>7} {'evals':>5} {'instant':>7} {'trained':>7}  equalizer")
    trained_scores, errors, words = [], 0, 0
    for speaker, instant_score in zip(speakers(CORPUS), instant):
        started = time.perf_counter()
        trained = matcher.match(matcher.reference(speaker.clone_speech), effort, fit_equalizer=True)
        seconds = time.perf_counter() - started
        audio = render(synthesizers[trained.spec.engine], trained.spec)
        score = similarity(audio, speaker.heldout_speech)
        trained_scores.append(score)
        wrong, count = word_errors(EVALUATION_TEXT, transcribe(audio))
        errors, words = errors + wrong, words + count
        print(
            f"{speaker.name:32} {seconds:7.1f} {trained.details['evaluations']:5d} {instant_score:7.3f} "
            f"{score:7.3f}  strength {trained.details.get('equalizer_strength', 0.0)}"
        )
    print(f"{'mean':32} {'':7} {'':5} {statistics.mean(instant):7.3f} {statistics.mean(trained_scores):7.3f}")
    better = sum(t > i for t, i in zip(trained_scores, instant))
    print(f"trained closer than instant: {better}/{len(instant)}; WER {100 * errors / max(words, 1):.1f} %")


def voice_changer_section() -> None:
    """Conversion real-time factor, words, timing and similarity of the voice changer, at its defaults."""
    import voice_changer  # bench/voice_changer.py, beside this script

    print()
    voice_changer.voice_changer(list(voice_changer.VOICES), 2, 60.0, list(voice_changer.SECTIONS))


if __name__ == "__main__":
    main()
