"""Judges of the voice changer for the tests and `bench/voice_changer.py`: corpus speech with transcripts,
and what an output keeps of its input (words by Whisper tiny.en WER, length, word timing by pocketsphinx
forced alignment of the transcript in both) and how far it moved toward the target voice (speaker-embedding
cosine to a rendering of the target voice, before and after, by every installed speaker encoder).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tests.e2e.quality import boundary_errors, force_align, median, transcribe, wer_words, word_errors
from vocalis.audio import decode

SAMPLE_RATE = 16000
# Read speech with a human or dataset transcript (not a model's output), 3 to 12 s long.
TRANSCRIPT_KINDS = {
    "dataset_reference_transcript",
    "reference_transcript_in_test_data",
    "reference_transcript_and_word_alignment_in_test_data",
    "expected_transcript_in_tests",
}
FOLDERS = ("stt_en", "voice_reference", "alignment")
MIN_SECONDS, MAX_SECONDS = 3.0, 12.0


@dataclass(frozen=True)
class Speech:
    path: Path
    transcript: str

    @property
    def name(self) -> str:
        return self.path.stem


def corpus_speech(corpus: Path) -> list[Speech]:
    """English read speech of the corpus with its transcript, by name."""
    found = []
    for folder in FOLDERS:
        for sidecar in sorted((corpus / folder).glob("*.json")):
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
            truth = meta.get("ground_truth", {})
            if (
                meta.get("language") == "en"
                and truth.get("kind") in TRANSCRIPT_KINDS
                and MIN_SECONDS <= float(meta["duration_s"]) <= MAX_SECONDS
            ):
                found.append(Speech(sidecar.with_name(meta["file"]), truth["transcript"]))
    return found


def load(source: Path | bytes) -> np.ndarray:
    return decode(source, SAMPLE_RATE).samples


@functools.cache
def encoders() -> dict[str, object]:
    """The speaker encoders installed: the packaged d-vector always, Resemblyzer where it is installed."""
    from vocalis.engines.registry import installed_engine_names
    from vocalis.engines.speaker import SpeakerEmbedder

    found: dict[str, object] = {"d-vector": SpeakerEmbedder()}
    if "resemblyzer" in installed_engine_names():
        from vocalis.engines.resemblyzer import ResemblyzerEncoder

        found["resemblyzer"] = ResemblyzerEncoder()
    return found


def similarities(audio: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """Cosine of the speaker embeddings of `audio` and `target` (16 kHz), per encoder."""
    return {
        name: float(np.dot(encoder.embed(audio), encoder.embed(target)))  # type: ignore[attr-defined]
        for name, encoder in encoders().items()
    }


@dataclass
class Figures:
    """What a conversion kept and changed: Whisper errors and reference words of the output (and of the input,
    for comparison), output/input length, word start and end errors (seconds) between the two, and the
    similarity to the target voice of input and output per encoder."""

    errors: int
    words: int
    input_errors: int
    length_ratio: float
    boundary_errors: list[float]
    similarity_before: dict[str, float] = field(default_factory=dict)
    similarity_after: dict[str, float] = field(default_factory=dict)

    @property
    def wer(self) -> float:
        return self.errors / max(self.words, 1)

    @property
    def median_boundary_error(self) -> float:
        return median(self.boundary_errors)


def judge(speech: Speech, source: np.ndarray, output: np.ndarray, target: np.ndarray | None) -> Figures:
    """Figures of one conversion; `target` (16 kHz speech of the target voice) adds the similarities."""
    errors, words = word_errors(speech.transcript, transcribe(output))
    input_errors, _ = word_errors(speech.transcript, transcribe(source))
    reference = wer_words(speech.transcript)
    figures = Figures(
        errors=errors,
        words=words,
        input_errors=input_errors,
        length_ratio=len(output) / len(source),
        boundary_errors=boundary_errors(force_align(source, reference), force_align(output, reference)),
    )
    if target is not None:
        figures.similarity_before = similarities(source, target)
        figures.similarity_after = similarities(output, target)
    return figures
