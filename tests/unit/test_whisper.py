"""Whisper recognizer (tiny.en and base from the registry packages), Silero VAD, the base weight assembly
and the language code tables. Run with `-s` to see detected languages and their probabilities."""

from __future__ import annotations

import json
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import jiwer
import numpy as np
import pytest

from vocalis.audio import decode
from vocalis.engines import weights
from vocalis.engines.protocols import RecognitionOptions, Recognizer, Transcription, VoiceActivityDetector
from vocalis.engines.vad import SileroVad
from vocalis.engines.whisper import WhisperRecognizer
from vocalis.transcription.languages import LANGUAGES, iso639_1, iso639_3, language_name

RATE = 16_000


def load(path: Path, seconds: float | None = None) -> np.ndarray:
    samples = decode(path, sample_rate=RATE).samples
    return samples if seconds is None else samples[: int(seconds * RATE)]


def sidecar(path: Path) -> dict:
    return json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))


def words_of(transcription: Transcription) -> list[str]:
    return [word.text for segment in transcription.segments for word in segment.words]


def plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def noises() -> Iterator[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(7)
    yield "silence", np.zeros(10 * RATE, np.float32)
    yield "white noise at -40 dBFS", (rng.standard_normal(10 * RATE) * 0.01).astype(np.float32)
    spectrum = np.fft.rfft(rng.standard_normal(10 * RATE)) / np.sqrt(np.arange(5 * RATE + 1) + 1.0)
    pink = np.fft.irfft(spectrum).astype(np.float32)
    yield "pink noise", pink * np.float32(0.05 / np.abs(pink).max())


@pytest.fixture(scope="module")
def tiny() -> Iterator[WhisperRecognizer]:
    recognizer = WhisperRecognizer("tiny.en")
    yield recognizer
    recognizer.unload()


@pytest.fixture(scope="module")
def base(model_cache: Path) -> Iterator[WhisperRecognizer]:
    recognizer = WhisperRecognizer("base", cache_dir=model_cache)
    yield recognizer
    recognizer.unload()


# Language codes ---------------------------------------------------------------------------------------------


def test_every_whisper_language_maps_both_ways() -> None:
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    assert set(LANGUAGES) == set(_LANGUAGE_CODES)
    assert len({code3 for code3, _ in LANGUAGES.values()}) == len(LANGUAGES)
    for code in LANGUAGES:
        code3 = iso639_3(code)
        assert code3 is not None and len(code3) == 3
        assert iso639_1(code3) == code


def test_language_code_forms() -> None:
    assert (iso639_3("en"), iso639_3("zh"), iso639_3("jw"), iso639_3("tl")) == ("eng", "cmn", "jav", "fil")
    assert iso639_1("eng") == iso639_1("EN-us") == iso639_1("en_GB") == "en"
    assert iso639_1("deu") == iso639_1("ger") == "de"
    assert iso639_1("zho") == iso639_1("zh-Hant") == "zh"
    assert iso639_1("jv") == "jw" and iso639_1("iw") == "he" and iso639_1("nb") == "no"
    assert iso639_1("yue-HK") == "yue" and iso639_3("haw") == "haw"
    assert language_name("spa") == "Spanish"
    assert iso639_1("xx") is None and iso639_3("tlh") is None


# Construction and option checks (no model is loaded) -----------------------------------------------------


def test_names_and_languages_without_loading(tmp_path: Path) -> None:
    tiny, base = WhisperRecognizer("tiny.en"), WhisperRecognizer("base", cache_dir=tmp_path)
    assert (tiny.name, tiny.languages) == ("whisper-tiny.en", ("en",))
    assert (base.name, base.languages) == ("whisper-base", None)
    assert WhisperRecognizer("Systran/faster-whisper-large-v3").name == "whisper-faster-whisper-large-v3"
    assert WhisperRecognizer("distil-small.en").languages == ("en",)
    assert isinstance(tiny, Recognizer) and isinstance(SileroVad(), VoiceActivityDetector)
    assert not tiny.loaded and not base.loaded
    assert not (tmp_path / "whisper-base").exists()


def test_invalid_options_are_refused_before_loading() -> None:
    tiny = WhisperRecognizer("tiny.en")
    audio = np.zeros(RATE, np.float32)
    for opts, message in (
        (RecognitionOptions(task="translate"), "English-only"),
        (RecognitionOptions(language="fr"), "only recognizes en"),
        (RecognitionOptions(language="xx"), "does not know"),
        (RecognitionOptions(temperature=-1.0), "temperature"),
        (RecognitionOptions(task="summarize"), "task"),
    ):
        with pytest.raises(ValueError, match=message):
            tiny.transcribe(audio, opts)
    assert not tiny.loaded
    empty = tiny.transcribe(np.zeros(0, np.float32), RecognitionOptions(language="eng"))
    assert (empty.language, empty.duration, list(empty.segments)) == ("en", 0.0, [])


def test_missing_local_folder_and_unknown_size(tmp_path: Path) -> None:
    audio = np.zeros(RATE, np.float32)
    with pytest.raises(weights.WeightsError, match="does not exist"):
        WhisperRecognizer(str(tmp_path / "nowhere")).transcribe(audio, RecognitionOptions())
    # Not a folder and not a size faster-whisper knows: refused before any download is tried.
    with pytest.raises(weights.WeightsError, match="no-such-size"):
        WhisperRecognizer("no-such-size").transcribe(audio, RecognitionOptions())


# Weights ----------------------------------------------------------------------------------------------------


def test_base_assembly_and_corruption_are_detected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = weights.whisper_base(tmp_path)
    names = sorted(path.name for path in folder.iterdir())
    assert names == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    model = folder / "model.bin"
    assert weights.file_sha256(model) == weights.WHISPER_BASE_MODEL_SHA256

    with open(model, "r+b") as f:  # same size, one flipped block in the middle
        f.seek(model.stat().st_size // 2)
        block = f.read(64)
        f.seek(-64, 1)
        f.write(bytes(b ^ 0xFF for b in block))
    with pytest.raises(weights.WeightsError, match="corrupted"):
        weights.verified(model, weights.WHISPER_BASE_MODEL_SHA256)
    weights.whisper_base(tmp_path)  # a damaged cache is rebuilt from the parts
    assert weights.file_sha256(model) == weights.WHISPER_BASE_MODEL_SHA256

    # Parts whose join is not the recorded model are refused and leave nothing behind.
    model.unlink()
    monkeypatch.setattr(weights, "WHISPER_BASE_MODEL_SHA256", "0" * 64)
    with pytest.raises(weights.WeightsError, match="do not match"):
        weights.whisper_base(tmp_path)
    assert sorted(path.name for path in folder.iterdir()) == [
        "config.json",
        "tokenizer.json",
        "vocabulary.txt",
    ]


def test_tiny_en_package_files_are_checked() -> None:
    folder = weights.whisper_tiny_en()
    for file in weights.WHISPER_TINY_EN_FILES:
        assert weights.file_sha256(folder / Path(file.resource).name) == file.sha256
    assert weights.file_sha256(weights.silero_vad()) == weights.SILERO_VAD.sha256


# Voice activity ---------------------------------------------------------------------------------------------


def test_vad_finds_the_spoken_region(corpus: Path) -> None:
    path = corpus / "stt_en" / "librivox_sense_and_sensibility_0880.wav"
    speech = load(path)
    timed = [w for w in sidecar(path)["ground_truth"]["words"] if w["word"] != "<sil>"]
    vad = SileroVad()
    regions = vad.speech_segments(speech)
    assert regions and regions[0][0] <= timed[0]["start"] + 0.1 and regions[-1][1] >= timed[-1]["end"] - 0.1
    # Two utterances 2 s apart are two regions, at the right places.
    gap = np.zeros(2 * RATE, np.float32)
    regions = vad.speech_segments(np.concatenate([speech, gap, speech]))
    assert len(regions) == 2
    assert regions[1][0] == pytest.approx(len(speech) / RATE + 2.0 + regions[0][0], abs=0.15)
    for _, noise in noises():
        assert vad.speech_segments(noise) == []
    assert vad.speech_segments(np.zeros(0, np.float32)) == []


# Recognition ------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_tiny_transcribes_real_speech(tiny: WhisperRecognizer, corpus: Path) -> None:
    path = corpus / "stt_en" / "librispeech_61-70968-0000.flac"
    audio = load(path)
    result = tiny.transcribe(audio, RecognitionOptions())
    assert isinstance(result.segments, Iterator)  # lazy: decoding happens while iterating
    assert (result.language, result.language_probability) == ("en", 1.0)
    assert result.duration == pytest.approx(4.905, abs=0.01)
    segments = list(result.segments)
    text = " ".join(segment.text for segment in segments)
    wer = jiwer.wer(plain(sidecar(path)["ground_truth"]["transcript"]), plain(text))
    print(f"\ntiny.en: {text!r} WER {wer:.3f}")
    assert wer <= 0.1

    words = [word for segment in segments for word in segment.words]
    assert len(words) >= 15
    assert all(0.0 <= w.start <= w.end <= result.duration for w in words)
    assert all(a.end <= b.start for a, b in zip(words, words[1:]))
    assert all(0.0 < w.probability <= 1.0 for w in words)
    assert np.mean([w.probability for w in words]) > 0.7

    without_words = tiny.transcribe(audio, RecognitionOptions(word_timestamps=False))
    assert all(segment.words == [] for segment in without_words.segments)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["tiny", "base"])
def test_silence_and_noise_give_no_words(model: str, request: pytest.FixtureRequest, corpus: Path) -> None:
    recognizer: WhisperRecognizer = request.getfixturevalue(model)
    recorded = load(corpus / "noisy_speech" / "noise_freesound_573577.wav")
    for label, audio in [*noises(), ("recorded noise x2", np.tile(recorded, 2))]:
        result = recognizer.transcribe(audio, RecognitionOptions())
        assert words_of(result) == [], label
        if recognizer.languages is None:
            assert result.language_probability == 0.0, label  # no speech: no language evidence


@pytest.mark.slow
def test_seed_makes_sampling_repeatable(tiny: WhisperRecognizer, corpus: Path) -> None:
    audio = load(corpus / "noisy_speech" / "mix_librispeech_61-70968-0000_noise573577_snr5.wav")

    def text(seed: int | None) -> str:
        opts = RecognitionOptions(temperature=1.0, seed=seed, word_timestamps=False)
        return " ".join(segment.text for segment in tiny.transcribe(audio, opts).segments)

    first = text(11)
    assert text(11) == first
    assert len({first, text(12), text(13)}) > 1  # sampling really varies


@pytest.mark.slow
def test_local_folder_loader(tmp_path: Path, corpus: Path) -> None:
    folder = tmp_path / "my-whisper"
    shutil.copytree(weights.whisper_tiny_en(), folder)
    recognizer = WhisperRecognizer(str(folder), threads=1)
    assert (recognizer.name, recognizer.languages) == ("whisper-my-whisper", ("en",))
    result = recognizer.transcribe(
        load(corpus / "stt_en" / "jfk_inaugural_excerpt.flac"), RecognitionOptions()
    )
    text = plain(" ".join(segment.text for segment in result.segments))
    assert "ask not what your country can do for you" in text
    recognizer.unload()
    assert not recognizer.loaded


@pytest.mark.slow
def test_concurrent_requests_and_unload(tiny: WhisperRecognizer, corpus: Path) -> None:
    clips = [load(corpus / "stt_en" / name) for name in ("cmu_goforward.wav", "cmu_cards_005.wav")]
    expected = [" ".join(s.text for s in tiny.transcribe(c, RecognitionOptions()).segments) for c in clips]
    results: dict[int, str] = {}

    def work(i: int) -> None:
        results[i] = " ".join(s.text for s in tiny.transcribe(clips[i % 2], RecognitionOptions()).segments)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [results[i] for i in range(4)] == expected * 2

    pending = tiny.transcribe(clips[0], RecognitionOptions())
    tiny.unload()
    assert not tiny.loaded
    assert " ".join(s.text for s in pending.segments) == expected[0]  # started before unload: finishes


@pytest.mark.slow
def test_base_detects_languages(base: WhisperRecognizer, corpus: Path) -> None:
    paths = sorted(p for p in (corpus / "stt_multilingual").iterdir() if p.suffix != ".json")
    print()
    for path in paths:
        expected = sidecar(path)["language"].split("+")[0]  # "en+de": English comes first
        # Detection happens in transcribe(); the segments are never decoded here.
        result = base.transcribe(load(path, seconds=30), RecognitionOptions())
        found = f"{result.language} p={result.language_probability:.3f}"
        print(f"{path.name:50s} expected {expected}  detected {found}")
        assert result.language == expected, path.name
        assert result.language_probability > 0.5, path.name


@pytest.mark.slow
def test_base_translates_to_english(base: WhisperRecognizer, corpus: Path) -> None:
    audio = load(corpus / "stt_multilingual" / "picovoice_leopard_de_test.wav")
    german = " ".join(s.text for s in base.transcribe(audio, RecognitionOptions(language="de")).segments)
    english = base.transcribe(audio, RecognitionOptions(task="translate", word_timestamps=False))
    text = plain(" ".join(s.text for s in english.segments))
    print(f"\nde: {german!r}\nen: {text!r}")
    assert english.language == "de"
    assert "wurde" in plain(german) and "wurde" not in text
    assert {"the", "was"} <= set(text.split())


@pytest.mark.slow
def test_long_audio_is_recognized_in_windows_cut_in_pauses(
    tiny: WhisperRecognizer, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vocalis.engines import whisper

    clips = [load(corpus / "stt_en" / name) for name in ("jfk_inaugural_excerpt.flac", "cmu_goforward.wav")]
    pause = np.zeros(whisper.SAMPLE_RATE, dtype=np.float32)
    audio = np.concatenate([clips[0], pause, clips[1], pause, clips[0]])
    whole = [plain(word) for word in words_of(tiny.transcribe(audio, RecognitionOptions(language="en")))]
    monkeypatch.setattr(whisper, "WINDOW_SECONDS", 8.0)
    monkeypatch.setattr(whisper, "CUT_SEARCH_SECONDS", 3.0)
    windows = whisper._windows(audio)
    assert len(windows) >= 3 and windows[0][0] == 0 and windows[-1][1] == audio.size
    windowed = tiny.transcribe(audio, RecognitionOptions(language="en"))
    segments = list(windowed.segments)
    times = [word.start for segment in segments for word in segment.words]
    assert times == sorted(times) and times[-1] < audio.size / whisper.SAMPLE_RATE
    words = [plain(word.text) for segment in segments for word in segment.words]
    # Cuts fall in quiet moments, so windowing loses or splits at most a word or two.
    assert abs(len(words) - len(whole)) <= 2
    assert "forward" in words and words.count("country") == whole.count("country")
