"""Speech-to-text benchmark: Whisper real-time factor, server overhead over the bare recognizer against a
real uvicorn server, server memory on a long file, accuracy on the corpus (WER, language detection, DER),
and forced alignment in languages other than English (Whisper base) against reference word timings.

    python bench/stt.py [--repeats 3] [--threads 2] [--quick] [--long-minutes 30] [--alignment-only]

Every figure is printed with the settings it was measured under; compare runs only at equal settings (same
machine, threads, files). The last line is the whole result as JSON. WER and DER are scored with the
helpers of the end-to-end tests (`tests/e2e/quality.py`, `tests/e2e/test_diarization_corpus.py`), so the
figures match what `pytest tests/e2e -s` prints.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx
import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # the scorers of the end-to-end tests
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tts.py's server and /proc helpers

from tts import API_KEY, Timing, _mb, cpu_busy, uvicorn_server, vm_hwm_mb, vm_rss_mb  # noqa: E402

from tests.api.test_forced_alignment import boundary_errors, reference  # noqa: E402
from tests.e2e.quality import word_errors  # noqa: E402
from tests.e2e.test_diarization_corpus import ANNOTATED, der, rttm, sidecar_segments  # noqa: E402
from vocalis.audio import decode  # noqa: E402
from vocalis.engines.protocols import RecognitionOptions  # noqa: E402
from vocalis.engines.whisper import WhisperRecognizer  # noqa: E402
from vocalis.transcription.forced_alignment import align_text  # noqa: E402

RATE = 16_000
MODELS = ("tiny.en", "base")
CORPUS = Path(os.environ.get("VOCALIS_CORPUS", REPO_ROOT.parent / "shared" / "corpus"))
LONG_CLIP = "diarization/ami_meeting_excerpt_mixture.wav"  # 60 s, four speakers, one English meeting
# (label, model_id, language_code, file, bare model, bare language): what the server runs for each request.
OVERHEAD_CASES = (
    ("scribe_v1 + en", "scribe_v1", "en", "stt_en/jfk_inaugural_excerpt.flac", "tiny.en", "en"),
    # No language: base recognizes and detects the language in one pass.
    (
        "scribe_v1, no lang",
        "scribe_v1",
        None,
        "stt_multilingual/mls_es_13697_11991_000000.opus",
        "base",
        None,
    ),
    # No language on English audio: base as well (tiny.en only when English is asked for).
    ("scribe_v1, no lang (en)", "scribe_v1", None, "stt_en/jfk_inaugural_excerpt.flac", "base", None),
)
# Recordings with Picovoice Leopard word timings in their sidecars, and English ones with MFA TextGrids (the
# better reference) aligned through the same Whisper path for comparison with pocketsphinx.
ALIGNMENT_LANGUAGES = ("de", "es", "fr", "it", "pt", "ja")
ALIGNMENT_ENGLISH = ("librivox_sense_and_sensibility_0870", "mfa_acoustic_corpus", "mfa_cold_corpus")
# English speech for the long file, joined with pauses long enough for the VAD gate to cut (1 s).
LONG_SOURCES = ("stt_en", "alignment", "voice_reference", LONG_CLIP)
PAUSE_S = 1.5


def media(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix not in (".json", ".rttm", ".stm", ".TextGrid"))


def sidecar(path: Path) -> dict:
    return json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))


def load(path: Path) -> np.ndarray:
    return decode(path, sample_rate=RATE).samples


def recognize(recognizer: WhisperRecognizer, audio: np.ndarray, language: str | None) -> tuple[str, float]:
    """(text, compute seconds) of a full transcription, lazy segments drained, word timestamps + VAD on."""
    start = time.perf_counter()
    result = recognizer.transcribe(audio, RecognitionOptions(language=language, word_timestamps=True))
    text = " ".join(segment.text.strip() for segment in result.segments)
    return text, time.perf_counter() - start


def post(client: httpx.Client, data: bytes, name: str, model_id: str, language: str | None, **form) -> dict:
    fields = {"model_id": model_id, **({"language_code": language} if language else {}), **form}
    response = client.post(
        "/v1/speech-to-text",
        params={"enable_logging": False},
        data={
            key: str(value).lower() if isinstance(value, bool) else str(value)
            for key, value in fields.items()
        },
        files={"file": (name, data)},
    )
    if response.status_code != 200:
        raise RuntimeError(f"POST /v1/speech-to-text: {response.status_code} {response.text[:300]}")
    return response.json()


class RssSampler:
    """Polls a process's VmRSS every `interval` seconds on a thread, keeping the largest value."""

    def __init__(self, pid: int, interval: float = 0.2):
        self.pid, self.interval, self.peak = pid, interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, vm_rss_mb(self.pid) or 0.0)
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()


def long_audio(corpus: Path, seconds: float) -> tuple[np.ndarray, int]:
    """English corpus speech with PAUSE_S of silence after each file, repeated up to `seconds`."""
    paths: list[Path] = []
    for source in LONG_SOURCES:
        target = corpus / source
        paths += media(target) if target.is_dir() else [target]
    pieces = []
    for path in paths:
        if sidecar(path).get("language") == "en":
            pieces += [load(path), np.zeros(int(PAUSE_S * RATE), np.float32)]
    one_pass = np.concatenate(pieces)
    repeats = int(np.ceil(seconds * RATE / len(one_pass)))
    return np.tile(one_pass, repeats)[: int(seconds * RATE)], len(pieces) // 2


def bare_long(wav: str, cache: str, threads: int, stage: str) -> dict:
    """In a fresh child process: tiny.en loaded and warmed, then the long WAV decoded as the server decodes
    it and either transcribed (stage "transcribe") or only turned into Whisper's log-mel features of the
    whole file at once, as faster-whisper does inside `transcribe` (stage "features")."""
    recognizer = WhisperRecognizer("tiny.en", cache_dir=Path(cache), threads=threads)
    recognizer.load()
    recognize(recognizer, np.zeros(RATE, np.float32), "en")  # warm-up
    data = Path(wav).read_bytes()
    before = vm_rss_mb(os.getpid())
    start = time.perf_counter()
    audio = decode(data, sample_rate=RATE).samples
    decoded = vm_rss_mb(os.getpid())
    if stage == "features":
        from faster_whisper.feature_extractor import FeatureExtractor

        FeatureExtractor()(audio)
    else:
        recognize(recognizer, audio, "en")
    return {
        "rss_before_mb": before,
        "rss_decoded_mb": decoded,
        "hwm_after_mb": vm_hwm_mb(),
        "wall_s": round(time.perf_counter() - start, 2),
    }


def in_child(*args) -> dict:
    """`bare_long(*args)` in a fresh interpreter, so its VmHWM is that run's alone."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(bare_long, *args).result()


def word_turns(words: list[dict]) -> list[tuple[float, float, str]]:
    """Speaker segments from the response's words: each word's span, with its speaker."""
    return [
        (w["start"], w["end"], w["speaker_id"])
        for w in words
        if w["type"] == "word" and w["speaker_id"] is not None and w["end"] > w["start"]
    ]


def leopard(corpus: Path, language: str) -> tuple[np.ndarray, str, list[tuple[str, float, float]]]:
    path = corpus / "stt_multilingual" / f"picovoice_leopard_{language}_test.wav"
    truth = sidecar(path)["ground_truth"]
    words = [(w["word"].casefold(), w["start_sec"], w["end_sec"]) for w in truth["words"]]
    return load(path), truth["transcript"], words


def timed_errors(alignment, text: str, truth: list[tuple[str, float, float]]) -> np.ndarray:
    """Start and end errors of the reference words: matched by text where words are spaced, found as runs of
    characters in order where they are not (Japanese)."""
    if " " in text:
        words = [{"text": w.text.casefold(), "start": w.start, "end": w.end} for w in alignment.words]
        return boundary_errors(words, truth)
    errors, position = [], 0
    for word, start, end in truth:
        first = text.index(word, position)
        position = first + len(word)
        errors += [
            abs(alignment.characters[first].start - start),
            abs(alignment.characters[position - 1].end - end),
        ]
    return np.array(errors)


def alignment_figures(recognizer: WhisperRecognizer, corpus: Path) -> dict:
    """Whisper forced alignment: accuracy per language, a 2 s time shift, the loss of a wrong transcript and
    a 33 s file aligned in two windows against its pieces aligned alone."""
    print(
        "\n== Forced alignment with Whisper base (the path of languages other than English), bare engine:"
        "\n   word start/end errors against Picovoice Leopard's timings (an engine's, which leave a gap"
        "\n   before most words) and, for English, MFA TextGrids / pocketsphinx sidecar timings; compute s"
        "\n   includes language detection"
    )
    print(
        f"{'file':38} {'lang':>4} {'found':>5} {'s':>5} {'edges':>5} {'median ms':>9} {'p90 ms':>7} "
        f"{'loss':>5} {'compute s':>9}"
    )
    figures: dict = {"files": {}}
    cases = [
        (f"picovoice_leopard_{lang}_test.wav", lang, *leopard(corpus, lang)) for lang in ALIGNMENT_LANGUAGES
    ]
    for name in ALIGNMENT_ENGLISH:
        text, truth = reference(corpus, name)
        cases.append((f"{name}.wav", "en", load(corpus / "alignment" / f"{name}.wav"), text, truth))
    for name, language, audio, text, truth in cases:
        start = time.perf_counter()
        detected, _ = recognizer.detect_language(audio)
        alignment = align_text(audio, text, recognizer, detected)
        compute = time.perf_counter() - start
        errors = timed_errors(alignment, text, [(w.casefold(), a, b) for w, a, b in truth])
        median, p90 = float(np.median(errors)), float(np.percentile(errors, 90))
        print(
            f"{name:38} {language:>4} {detected:>5} {len(audio) / RATE:5.1f} {len(errors):5d} "
            f"{median * 1000:9.0f} {p90 * 1000:7.0f} {alignment.loss:5.2f} {compute:9.2f}"
        )
        figures["files"][name] = {
            "language": detected,
            "edges": len(errors),
            "median_ms": round(median * 1000, 1),
            "p90_ms": round(p90 * 1000, 1),
            "loss": round(alignment.loss, 3),
            "compute_s": round(compute, 3),
        }
    pooled = [f for n, f in figures["files"].items() if f["language"] != "en"]
    figures["other_languages_median_ms"] = round(statistics.median(f["median_ms"] for f in pooled), 1)

    audio, text, _ = leopard(corpus, "es")
    quiet = 0.001 * np.random.default_rng(0).standard_normal(2 * RATE).astype(np.float32)
    plain = align_text(audio, text, recognizer, "es").words
    shifted = align_text(np.concatenate([quiet, audio]), text, recognizer, "es").words
    shift = max(abs(b.start - a.start - 2) for a, b in zip(plain, shifted))
    _, german, _ = leopard(corpus, "de")
    wrong = align_text(audio, german, recognizer, "es").loss
    print(f"2 s of quiet noise before the Spanish file: words move by 2 s +- {shift * 1000:.0f} ms at worst")
    print(
        f"loss of the German transcript on the Spanish audio: {wrong:.2f} (its own transcript: "
        f"{figures['files']['picovoice_leopard_es_test.wav']['loss']:.2f})"
    )

    long_path = corpus / "stt_multilingual" / "mls_es_13697_11991_000000.opus"
    pieces = [
        (audio, text),
        (load(long_path), sidecar(long_path)["ground_truth"]["transcript"]),
        (audio, text),
    ]
    pause = np.zeros(RATE // 2, dtype=np.float32)
    joined = np.concatenate([part for piece, _ in pieces for part in (piece, pause)])
    start = time.perf_counter()
    words = align_text(joined, " ".join(t for _, t in pieces), recognizer, "es").words
    long_compute = time.perf_counter() - start
    errors, offset = [], 0.0
    for piece, piece_text in pieces:
        alone = align_text(piece, piece_text, recognizer, "es").words
        mine, words = words[: len(alone)], words[len(alone) :]
        errors += [abs(a.start - b.start - offset) for a, b in zip(mine, alone)]
        errors += [abs(a.end - b.end - offset) for a, b in zip(mine, alone)]
        offset += (len(piece) + len(pause)) / RATE
    print(
        f"{len(joined) / RATE:.1f} s of Spanish (two windows, transcribed first to cut the text): median "
        f"{np.median(errors) * 1000:.0f} ms, p90 {np.percentile(errors, 90) * 1000:.0f} ms from its pieces "
        f"aligned alone; compute {long_compute:.1f} s"
    )
    figures.update(
        shift_worst_ms=round(shift * 1000, 1),
        wrong_transcript_loss=round(wrong, 3),
        long={
            "audio_s": round(len(joined) / RATE, 2),
            "median_ms": round(float(np.median(errors)) * 1000, 1),
            "p90_ms": round(float(np.percentile(errors, 90)) * 1000, 1),
            "compute_s": round(long_compute, 2),
        },
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3, help="interleaved server/bare runs per case")
    parser.add_argument("--threads", type=int, default=2, help="CTranslate2 / onnxruntime threads")
    parser.add_argument("--quick", action="store_true", help="skip the long-file memory run")
    parser.add_argument("--long-minutes", type=float, default=30.0, help="length of the memory-run file")
    parser.add_argument(
        "--alignment-only", action="store_true", help="only the forced-alignment figures (Whisper base)"
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="evaluation corpus folder")
    parser.add_argument(
        "--model-cache", type=Path, default=None, help="assembled weights (default: temp dir)"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.long_minutes <= 0:
        parser.error("repeats must be >= 1 and long-minutes > 0")
    corpus: Path = args.corpus
    if not (corpus / "stt_en").is_dir():
        parser.error(f"corpus not found at {corpus} (set --corpus or VOCALIS_CORPUS)")

    temp = tempfile.TemporaryDirectory(prefix="vocalis-bench-stt-")
    cache = args.model_cache or Path(temp.name) / "models"
    busy = cpu_busy()
    settings = {
        "repeats": args.repeats,
        "threads": args.threads,
        "cpus": os.cpu_count(),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
        "compute_type": "int8",
        "beam_size": 5,
        "word_timestamps": True,
        "vad": True,
        "corpus": str(corpus),
        "cpu_busy_before": None if busy is None else round(busy, 3),
    }
    print(
        f"Vocalis STT bench: threads={args.threads}, cpus={settings['cpus']}, python {settings['python']}, "
        f"{settings['machine']}; faster-whisper int8, beam 5, word timestamps + VAD on"
    )
    if busy is not None:
        note = "  WARNING: other work is running; figures will be noisy" if busy > 0.15 else ""
        print(f"CPU busy before start (all processes, 1 s): {busy:.0%}{note}")
    results: dict = {"bench": "stt", "settings": settings, "rtf": {}, "wer": {}, "overhead": {}}
    if args.alignment_only:
        base = WhisperRecognizer("base", cache_dir=cache, threads=args.threads)
        base.load()
        results["alignment"] = alignment_figures(base, corpus)
        print(json.dumps({"bench": "stt", "settings": settings, "alignment": results["alignment"]}))
        temp.cleanup()
        return 0

    # 1. Bare recognizer: real-time factor (and the texts, scored in section 4).
    en_files = media(corpus / "stt_en")
    en_audio = {path.name: load(path) for path in en_files}
    en_seconds = sum(len(a) for a in en_audio.values()) / RATE
    clip = load(corpus / LONG_CLIP)
    print(
        f"\n== Real-time factor, bare WhisperRecognizer (compute s / audio s, lazy segments drained, "
        f"language=en, after 1 warm-up)\n   corpus: stt_en ({len(en_files)} files, {en_seconds:.1f} s); "
        f"clip: {LONG_CLIP} ({len(clip) / RATE:.1f} s)"
    )
    print(f"{'model':8} {'load s':>7} {'input':>10} {'audio s':>8} {'compute s':>10} {'RTF':>7}")
    recognizers: dict[str, WhisperRecognizer] = {}
    texts: dict[str, dict[str, str]] = {}
    for model in MODELS:
        recognizer = WhisperRecognizer(model, cache_dir=cache, threads=args.threads)
        start = time.perf_counter()
        recognizer.load()
        load_s = time.perf_counter() - start
        recognize(recognizer, en_audio[en_files[0].name], "en")  # warm-up
        texts[model], compute = {}, 0.0
        for name, audio in en_audio.items():
            texts[model][name], seconds = recognize(recognizer, audio, "en")
            compute += seconds
        _, clip_compute = recognize(recognizer, clip, "en")
        results["rtf"][model] = {
            "load_s": round(load_s, 3),
            "stt_en": {"audio_s": round(en_seconds, 2), "compute_s": round(compute, 3)},
            "clip": {"audio_s": round(len(clip) / RATE, 2), "compute_s": round(clip_compute, 3)},
        }
        for label, audio_s, compute_s in (
            ("stt_en", en_seconds, compute),
            ("60 s clip", len(clip) / RATE, clip_compute),
        ):
            results["rtf"][model]["stt_en" if label == "stt_en" else "clip"]["rtf"] = round(
                compute_s / audio_s, 4
            )
            print(
                f"{model:8} {load_s:7.2f} {label:>10} {audio_s:8.1f} {compute_s:10.2f} "
                f"{compute_s / audio_s:7.3f}"
            )
        recognizers[model] = recognizer

    # 4a. Word error rate (from the texts above).
    print(
        "\n== Word error rate on stt_en (language=en; both sides lowercased, punctuation dropped, numbers "
        "spelled out,\n   contractions expanded: tests/e2e/quality.word_errors)"
    )
    print(f"{'file':42} {'s':>5} {'words':>5} " + " ".join(f"{m + ' WER':>12}" for m in MODELS))
    totals = {model: [0, 0] for model in MODELS}
    for path in en_files:
        reference = sidecar(path)["ground_truth"]["transcript"]
        row = []
        for model in MODELS:
            errors, count = word_errors(reference, texts[model][path.name])
            totals[model][0] += errors
            totals[model][1] += count
            row.append(f"{errors / max(count, 1):6.1%} ({errors:2d})")
            results["wer"].setdefault(path.name, {})[model] = {
                "errors": errors,
                "words": count,
                "text": texts[model][path.name],
            }
        print(
            f"{path.name:42} {len(en_audio[path.name]) / RATE:5.1f} {count:5d} "
            + " ".join(f"{r:>12}" for r in row)
        )
    results["wer"]["total"] = {m: round(e / max(n, 1), 4) for m, (e, n) in totals.items()}
    print(
        f"{'total':42} {en_seconds:5.1f} {totals[MODELS[0]][1]:5d} "
        + " ".join(f"{f'{e / max(n, 1):6.1%} ({e:2d})':>12}" for e, n in totals.values())
    )

    # 4b. Language detection with base.
    print(
        "\n== Language detection, bare base (no language given; first 30 s of each file, as the server's "
        "base model reports it)"
    )
    print(f"{'file':48} {'s':>5} {'expected':>8} {'detected':>8} {'prob':>6}")
    detection, correct = [], 0
    for path in media(corpus / "stt_multilingual"):
        meta = sidecar(path)
        expected = meta["language"].split("+")[0]  # "en+de" starts in English
        audio = load(path)[: 30 * RATE]
        found = recognizers["base"].transcribe(audio, RecognitionOptions(word_timestamps=False))
        correct += found.language == expected
        mark = "" if found.language == expected else "  MISS"
        print(
            f"{path.name:48} {meta['duration_s']:5.1f} {expected:>8} {found.language:>8} "
            f"{found.language_probability:6.3f}{mark}"
        )
        detection.append(
            {
                "file": path.name,
                "expected": expected,
                "detected": found.language,
                "probability": round(found.language_probability, 4),
            }
        )
    print(f"accuracy {correct}/{len(detection)}")
    results["language_detection"] = {"files": detection, "correct": correct, "total": len(detection)}

    # 4c. Forced alignment in other languages, with base.
    results["alignment"] = alignment_figures(recognizers["base"], corpus)

    # 2 and 4d. The real server: overhead over the bare recognizer, then DER through the API.
    home = Path(temp.name) / "home"
    home.mkdir()
    with uvicorn_server(home, cache, args.threads) as (base_url, process):
        with httpx.Client(base_url=base_url, headers={"xi-api-key": API_KEY}, timeout=1800) as client:
            print(
                f"\n== Server overhead: POST /v1/speech-to-text (multipart upload of the file, "
                f"enable_logging=false) at {base_url}\n   (uvicorn, 1 worker, engine threads={args.threads}) "
                "over bare WhisperRecognizer.transcribe of the same decoded audio in this process;\n"
                f"   {args.repeats} runs interleaved after 1 warm-up each; server time includes upload, "
                "decoding and, without a language, detection; goal <= 1.05;\n   decode s: decoding the same "
                "upload once in this process (part of the server's time, not of the bare one)"
            )
            print(
                f"{'case':24} {'file':34} {'s':>5} {'bare':>8} {'server s':>9} {'bare s':>7} "
                f"{'ratio':>6} {'min ratio':>9} {'decode s':>8}"
            )
            for label, model_id, language, name, bare_model, bare_language in OVERHEAD_CASES:
                path = corpus / name
                data = path.read_bytes()
                start = time.perf_counter()
                audio = decode(data, sample_rate=RATE).samples  # as the server decodes the upload
                decode_s = time.perf_counter() - start
                recognizer = recognizers[bare_model]
                post(client, data, path.name, model_id, language)  # warm-up: loads the engines
                recognize(recognizer, audio, bare_language)
                walls, bares = [], []
                for _ in range(args.repeats):
                    bares.append(recognize(recognizer, audio, bare_language)[1])
                    start = time.perf_counter()
                    body = post(client, data, path.name, model_id, language)
                    walls.append(time.perf_counter() - start)
                wall, bare = Timing(walls), Timing(bares)
                ratio, low_ratio = wall.mean / bare.mean, wall.low / bare.low
                flag = "" if ratio <= 1.05 else "  (over goal)"
                bare_label = f"{bare_model}/{bare_language or 'auto'}"
                print(
                    f"{label:24} {path.name[:34]:34} {len(audio) / RATE:5.1f} {bare_label:>8} "
                    f"{wall.mean:9.3f} {bare.mean:7.3f} {ratio:6.3f} {low_ratio:9.3f} {decode_s:8.3f}{flag}"
                )
                results["overhead"][label] = {
                    "model_id": model_id,
                    "language_code": language,
                    "file": name,
                    "audio_s": round(len(audio) / RATE, 3),
                    "bare_model": bare_model,
                    "bare_language": bare_language,
                    "server_language": body["language_code"],
                    "server_s_mean": round(wall.mean, 4),
                    "server_s_min": round(wall.low, 4),
                    "bare_s_mean": round(bare.mean, 4),
                    "bare_s_min": round(bare.low, 4),
                    "ratio": round(ratio, 4),
                    "ratio_of_min": round(low_ratio, 4),
                    "decode_s": round(decode_s, 4),
                }

            print(
                "\n== Diarization error rate through the server: POST /v1/speech-to-text with diarize=true, "
                "scribe_v1,\n   language_code=en (tiny.en), speaker count estimated; hypothesis = each "
                "word's [start, end] with its speaker_id.\n   DER = missed + false alarm + confusion over "
                "reference speech, optimal speaker mapping, 0.25 s collar;\n   gaps between words count "
                "as missed speech. no-ovl: overlapped reference speech not scored"
            )
            print(
                f"{'file':34} {'s':>5} {'spk':>5} {'DER':>6} {'miss':>6} {'FA':>6} {'conf':>6} "
                f"{'no-ovl':>7} {'wall s':>7}"
            )
            results["der"] = {}
            for name, (annotation, *_) in ANNOTATED.items():
                path = corpus / "diarization" / name
                loader = rttm if annotation.endswith(".rttm") else sidecar_segments
                reference = loader(corpus / "diarization" / annotation)
                duration = sidecar(path)["duration_s"]
                start = time.perf_counter()
                body = post(client, path.read_bytes(), name, "scribe_v1", "en", diarize=True)
                wall = time.perf_counter() - start
                hypothesis = word_turns(body["words"])
                scores = der(reference, hypothesis, duration)
                no_overlap = der(reference, hypothesis, duration, skip_overlap=True)["der"]
                found = len({label for *_, label in hypothesis})
                count = len({label for *_, label in reference})
                print(
                    f"{name:34} {duration:5.1f} {found:>2}/{count:<2} {scores['der']:6.3f} "
                    f"{scores['missed']:6.3f} {scores['false_alarm']:6.3f} {scores['confusion']:6.3f} "
                    f"{no_overlap:7.3f} {wall:7.2f}"
                )
                results["der"][name] = {
                    **{key: round(float(value), 4) for key, value in scores.items()},
                    "der_no_overlap": round(float(no_overlap), 4),
                    "speakers_found": found,
                    "speakers_reference": count,
                    "wall_s": round(wall, 3),
                }
            mean = statistics.fmean(r["der"] for r in results["der"].values())
            print(f"mean DER {mean:.3f}")
            results["rss_mb"] = {"server_peak_main": vm_hwm_mb(process.pid)}
    results["rss_mb"]["bench_process_peak"] = vm_hwm_mb()
    for recognizer in recognizers.values():
        recognizer.unload()

    # 3. Memory on a long file, in a fresh server so its peak is this request's.
    if args.quick:
        print("\n(long-file memory run skipped: --quick)")
    else:
        seconds = args.long_minutes * 60
        audio, sources = long_audio(corpus, seconds)
        wav = Path(temp.name) / "long.wav"
        import soundfile

        soundfile.write(wav, audio, RATE, subtype="PCM_16")
        float_mb = audio.nbytes / 1e6
        del audio
        home = Path(temp.name) / "home-long"
        home.mkdir()
        with uvicorn_server(home, cache, args.threads) as (base_url, process):
            with httpx.Client(base_url=base_url, headers={"xi-api-key": API_KEY}, timeout=3600) as client:
                warm = corpus / "stt_en" / "jfk_inaugural_excerpt.flac"
                post(client, warm.read_bytes(), warm.name, "scribe_v1", "en")  # loads tiny.en
                rss_before, hwm_before = vm_rss_mb(process.pid), vm_hwm_mb(process.pid)
                data = wav.read_bytes()
                with RssSampler(process.pid) as sampler:
                    start = time.perf_counter()
                    body = post(client, data, wav.name, "scribe_v1", "en")
                    wall = time.perf_counter() - start
                rss_after, hwm_after = vm_rss_mb(process.pid), vm_hwm_mb(process.pid)
        words = sum(1 for w in body["words"] if w["type"] == "word")
        print(
            f"\n== Memory on a {args.long_minutes:g}-minute file through the server: "
            f"POST /v1/speech-to-text, scribe_v1 + language_code=en (tiny.en),\n"
            f"   fresh server warmed with one 11 s request; file: "
            f"{sources} English corpus recordings + {PAUSE_S} s pauses, repeated, 16 kHz s16 WAV "
            f"({len(data) / 1e6:.1f} MB upload;\n   {float_mb:.1f} MB as float32 samples)"
        )
        bare = in_child(str(wav), str(cache), args.threads, "transcribe")
        features = in_child(str(wav), str(cache), args.threads, "features")
        print(f"{'process: what':46} {'RSS before':>10} {'peak':>9} {'growth':>9} {'x f32':>6} {'wall s':>7}")
        rows = (
            ("server: POST, VmRSS sampled every 0.2 s", rss_before, sampler.peak, wall),
            ("server: POST, VmHWM after the request", rss_before, hwm_after, wall),
            (
                "bare tiny.en (child): decode + transcribe",
                bare["rss_before_mb"],
                bare["hwm_after_mb"],
                bare["wall_s"],
            ),
            (
                "bare (child): decode + log-mel of whole file",
                features["rss_before_mb"],
                features["hwm_after_mb"],
                None,
            ),
        )
        for label, before, peak, took in rows:
            growth = (peak or 0) - (before or 0)
            ratio = growth * 1.048576 / float_mb
            took_text = "" if took is None else f"{took:7.1f}"
            print(
                f"{label:46} {_mb(before):>10} {_mb(peak):>9} {growth:5.0f} MiB {ratio:6.1f} {took_text:>7}"
            )
        print(
            f"RTF: server {wall / seconds:.3f}, bare {bare['wall_s'] / seconds:.3f} (decode included); "
            f"server/bare wall {wall / bare['wall_s']:.2f}; {words} words"
        )
        decoded_growth = (bare["rss_decoded_mb"] or 0) - (bare["rss_before_mb"] or 0)
        print(
            f"server VmHWM before the request (warm-up included) {_mb(hwm_before)}, RSS after "
            f"{_mb(rss_after)}; decoded samples: {float_mb:.0f} MB float32\n"
            f"(bare child RSS right after decoding: +{decoded_growth:.0f} MiB)"
        )
        results["long_file"] = {
            "minutes": args.long_minutes,
            "upload_mb": round(len(data) / 1e6, 1),
            "float32_mb": round(float_mb, 1),
            "rss_before_mb": rss_before,
            "hwm_before_mb": hwm_before,
            "rss_sampled_peak_mb": sampler.peak,
            "hwm_after_mb": hwm_after,
            "rss_after_mb": rss_after,
            "wall_s": round(wall, 2),
            "rtf": round(wall / seconds, 4),
            "words": words,
            "bare_child": bare,
            "features_child": features,
        }

    print("\n== Peak resident memory (VmHWM) of the overhead/DER run")
    rss = results["rss_mb"]
    print(f"server process (tiny.en + base + speaker embedder loaded): {_mb(rss['server_peak_main'])}")
    print(f"bench process (tiny.en + base loaded):                     {_mb(rss['bench_process_peak'])}")
    print(json.dumps(results))
    temp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
