"""Whisper speech to text through faster-whisper (CTranslate2, int8 on the CPU), gated by Silero VAD.

Weights: tiny.en and base from registry packages (digest-checked), a local CTranslate2 Whisper folder, or
any size name or hub id faster-whisper can download where the user has internet.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from vocalis.engines import weights
from vocalis.engines.lazy import LazyModel
from vocalis.engines.protocols import (
    AlignedWord,
    RecognitionOptions,
    RecognizedSegment,
    RecognizedWord,
    Transcription,
)
from vocalis.transcription.languages import iso639_1

SAMPLE_RATE = 16000
REGISTRY_MODELS = ("tiny.en", "base")
BEAM_SIZE = 5
BEST_OF = 5  # samples drawn per window when decoding with temperature > 0; the most likely one is kept
# faster-whisper's fallback schedule: greedy first, hotter only when a window's text looks degenerate.
DEFAULT_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
# The VAD gate only has to drop long stretches without speech (where Whisper invents "Thank you." and the
# like); 1 s of silence ends a region, and padding keeps word onsets and endings.
VAD_PARAMETERS = {
    "threshold": 0.5,
    "min_speech_duration_ms": 250,
    "min_silence_duration_ms": 1000,
    "speech_pad_ms": 400,
}
# English-only Whisper vocabularies have one token fewer than multilingual ones (51865).
_ENGLISH_VOCABULARY_SIZE = 51864
# Long audio is recognized in windows of about this length, cut in a quiet moment near each boundary.
WINDOW_SECONDS = 300.0
CUT_SEARCH_SECONDS = 10.0
# CTranslate2's "unseeded" value: a new thread then draws its generator seed from std::random_device.
_CT2_UNSEEDED = 0xFFFFFFFF
_seed_lock = threading.Lock()  # CTranslate2's seed is process-wide


class WhisperRecognizer(LazyModel):
    """`Recognizer` on faster-whisper; the model loads on first use and `unload()` frees it (a transcription
    still being consumed keeps its own reference and finishes normally).

    `model` is "tiny.en" or "base" (registry packages; base is joined into `cache_dir/whisper-base`), a
    local CTranslate2 Whisper folder, or a faster-whisper size name / hub id (downloaded into
    `cache_dir/huggingface`; needs internet).
    """

    def __init__(self, model: str = "tiny.en", *, cache_dir: Path | None = None, threads: int = 2):
        self.model = model
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.threads = threads
        local = _local_folder(model)
        self.name = f"whisper-{local.name if local is not None else model.rstrip('/').split('/')[-1]}"
        self.languages: tuple[str, ...] | None = ("en",) if _english_only(model, local) else None
        super().__init__()

    def transcribe(self, audio: np.ndarray, opts: RecognitionOptions) -> Transcription:
        samples = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
        duration = samples.size / SAMPLE_RATE
        language = self._language(opts)
        if opts.task not in ("transcribe", "translate"):
            raise ValueError(f"task must be 'transcribe' or 'translate', got {opts.task!r}")
        if opts.task == "translate" and self.languages == ("en",):
            raise ValueError(f"{self.name} is English-only and cannot translate; use a multilingual model")
        temperatures = _temperatures(opts.temperature)
        if samples.size == 0:
            return Transcription(language or "en", 0.0, 0.0, iter(()))
        sampled = max(temperatures) > 0
        model = self._seeded_model(opts.seed) if opts.seed is not None and sampled else self._load()
        windows = _windows(samples)
        kwargs = {
            "task": opts.task,
            "beam_size": BEAM_SIZE,
            "best_of": BEST_OF,
            "temperature": list(temperatures),
            # Each 30 s window is decoded on its own: no prompt from the previous one, which is what lets
            # Whisper loop on a phrase or carry a hallucination forward.
            "condition_on_previous_text": False,
            "word_timestamps": opts.word_timestamps,
            # Without a requested language, each 30 s window is decoded in its own detected language, so a
            # recording that switches language keeps each part in its language (not translated into the
            # first one). `Transcription.language` stays the first window's.
            "multilingual": language is None and self.languages is None,
            "vad_filter": opts.vad,
            "vad_parameters": VAD_PARAMETERS,
            # Whisper writes non-speech sounds as captions ("(upbeat music)", "[MUSIC]") only when the
            # tokens for brackets and other symbols are not suppressed.
            "suppress_tokens": [] if opts.audio_events else [-1],
        }
        first_start, first_end = windows[0]
        segments, info = model.transcribe(samples[first_start:first_end], language=language, **kwargs)
        probability = float(info.language_probability)
        if language is None and self.languages is None and info.duration_after_vad == 0:
            probability = 0.0  # nothing passed the VAD: the "detected" language is a guess from silence

        def all_segments() -> Iterator[RecognizedSegment]:
            yield from _segments(segments, duration, 0.0)
            for start, end in windows[1:]:
                more, _ = model.transcribe(samples[start:end], language=language, **kwargs)
                yield from _segments(more, duration, start / SAMPLE_RATE)

        return Transcription(info.language, probability, duration, all_segments())

    # Alignment ----------------------------------------------------------------------------------------------

    def align(self, audio: np.ndarray, words: list[str], language: str) -> list[AlignedWord]:
        """`Aligner`: where each word of a known transcript is spoken; see `whisper_alignment`."""
        from vocalis.engines.whisper_alignment import align_words

        code = self._language(RecognitionOptions(language=language)) or language  # as Whisper spells it
        options = RecognitionOptions(language=code)

        def recognize(samples: np.ndarray) -> list[RecognizedWord]:
            return [word for segment in self.transcribe(samples, options).segments for word in segment.words]

        return align_words(self._load(), audio, words, code, recognize)

    def detect_language(self, audio: np.ndarray) -> tuple[str, float]:
        """Whisper's language code for the speech in `audio`, and its probability."""
        from vocalis.engines.whisper_alignment import detect_language

        if self.languages is not None:
            raise ValueError(f"{self.name} is English-only and cannot detect languages")
        return detect_language(self._load(), audio)

    # Loading ----------------------------------------------------------------------------------------------

    def _read(self) -> Any:
        from faster_whisper import WhisperModel

        weights.silero_vad()  # faster-whisper's VAD gate opens this file itself
        if self.model == "tiny.en":
            path = str(weights.whisper_tiny_en())
        elif self.model == "base":
            path = str(weights.whisper_base(self.cache_dir))
        else:
            local = _local_folder(self.model)
            if local is None:
                return self._download(WhisperModel)
            path = str(local)
        return WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=self.threads)

    def _download(self, whisper_model: Any) -> Any:
        if Path(self.model).is_absolute() or self.model.startswith((".", "~")):
            raise weights.WeightsError(f"Whisper model folder {self.model} does not exist")
        root = str(self.cache_dir / "huggingface") if self.cache_dir is not None else None
        try:
            return whisper_model(
                self.model, device="cpu", compute_type="int8", cpu_threads=self.threads, download_root=root
            )
        except Exception as error:  # huggingface_hub raises many kinds (offline, unknown id, HTTP errors)
            raise weights.WeightsError(
                f"could not get Whisper model {self.model!r} ({error}); it needs internet on first use, "
                "or pass the path of a local CTranslate2 Whisper folder"
            ) from error

    def _seeded_model(self, seed: int) -> Any:
        """A private model instance whose sampling follows `seed`.

        CTranslate2 seeds a thread's random generator once, from the process-wide seed, the first time
        that thread samples; a shared model's worker thread therefore cannot be reseeded per request.
        A new instance gets a new worker thread, which samples once here while the seed is set.
        """
        import ctranslate2

        with _seed_lock:
            ctranslate2.set_random_seed(seed % _CT2_UNSEEDED)
            try:
                model = self._read()
                _prime_sampler(model)
            finally:
                ctranslate2.set_random_seed(_CT2_UNSEEDED)
        return model

    def _language(self, opts: RecognitionOptions) -> str | None:
        if opts.language is None:
            return None
        code = iso639_1(opts.language)
        if code is None:
            raise ValueError(f"Whisper does not know the language {opts.language!r}")
        if self.languages is not None and code not in self.languages:
            raise ValueError(f"{self.name} only recognizes {', '.join(self.languages)}, not {code!r}")
        return code


def _local_folder(model: str) -> Path | None:
    if model in REGISTRY_MODELS:
        return None
    path = Path(model).expanduser()
    return path if path.is_dir() else None


def _english_only(model: str, local: Path | None) -> bool:
    """From the vocabulary size of a local folder (its name may say nothing), else from the model name."""
    if local is not None:
        if (local / "vocabulary.json").is_file():  # newer CTranslate2 conversions
            size = len(json.loads((local / "vocabulary.json").read_text(encoding="utf-8")))
            return size <= _ENGLISH_VOCABULARY_SIZE
        if (local / "vocabulary.txt").is_file():
            with open(local / "vocabulary.txt", encoding="utf-8") as f:
                return sum(1 for _ in f) <= _ENGLISH_VOCABULARY_SIZE
        return local.name.endswith(".en")
    return model.endswith(".en")


def _temperatures(temperature: float | None) -> tuple[float, ...]:
    if temperature is None:
        return DEFAULT_TEMPERATURES
    if not 0.0 <= temperature <= 2.0:
        raise ValueError(f"temperature must be between 0 and 2, got {temperature}")
    return (float(temperature),)


def _prime_sampler(model: Any) -> None:
    """Sample one token on the model's worker thread, which fixes that thread's generator seed."""
    import ctranslate2

    features = np.zeros((1, model.model.n_mels, model.feature_extractor.nb_max_frames), np.float32)
    start = model.hf_tokenizer.token_to_id("<|startoftranscript|>")
    model.model.generate(
        ctranslate2.StorageView.from_array(features),
        [[start]],
        max_length=2,  # the prompt plus one sampled token
        sampling_topk=0,
        sampling_temperature=1.0,
    )


def _windows(samples: np.ndarray) -> list[tuple[int, int]]:
    """Sample ranges of at most about WINDOW_SECONDS, cut at the quietest 100 ms near each boundary.

    faster-whisper computes VAD and features over the whole array it is given, so memory grows with the
    length of the file; feeding it windows keeps a long file's peak memory that of one window.
    """
    window, search, frame = (
        int(seconds * SAMPLE_RATE) for seconds in (WINDOW_SECONDS, CUT_SEARCH_SECONDS, 0.1)
    )
    bounds = [0]
    while samples.size - bounds[-1] > window + search:
        lo = bounds[-1] + window - search
        region = samples[lo : lo + 2 * search]
        energy = np.sqrt(np.mean(region[: region.size // frame * frame].reshape(-1, frame) ** 2, axis=1))
        bounds.append(lo + int(np.argmin(energy)) * frame + frame // 2)
    bounds.append(samples.size)
    return list(zip(bounds[:-1], bounds[1:]))


def _segments(segments: Iterable[Any], duration: float, offset: float) -> Iterator[RecognizedSegment]:
    """faster-whisper segments as ours, shifted by the window's `offset`. Word times are clamped into the
    audio and made non-overlapping: the cross-attention alignment can overshoot the end by a frame or start
    a word before the last ends."""
    previous_end = offset
    for segment in segments:
        words = []
        for word in segment.words or ():
            start = min(max(float(word.start) + offset, previous_end), duration)
            end = min(max(float(word.end) + offset, start), duration)
            words.append(RecognizedWord(word.word, start, end, float(word.probability)))
            previous_end = end
        start = min(max(float(segment.start) + offset, 0.0), duration)
        yield RecognizedSegment(
            start=start,
            end=min(max(float(segment.end) + offset, start), duration),
            text=segment.text,
            words=words,
            avg_logprob=float(segment.avg_logprob),
            no_speech_prob=float(segment.no_speech_prob),
        )
