"""Offline voice changing by re-voicing: the input's words, recognized with their times by Whisper, spoken
again by the TTS engines in the target voice and fitted onto the input's timing.

No registry package ships neural voice-conversion weights (models.md, section 5), so this is the default
until `vocalis models pull openvoice-v2`. Per block of the input (see `timeline.py`):

1. Whisper (through the transcription service) gives the words and their start and end times;
2. the forced aligner (pocketsphinx) times those words again, closer to the audio than Whisper does;
3. the words are grouped into phrases at pauses, and each phrase is synthesized in the target voice at the
   voice's own pace;
4. the phrase's own character alignment says where each word starts in the synthesized audio, and WSOLA
   (pitch unchanged) warps it so every word starts where it starts in the input, the warp of each word
   kept within a factor of the phrase's so no word is squashed or drawn out into noise;
5. each word's loudness is moved toward the input word's, relative to each side's usual speech level, so
   stressed and quiet passages keep their contour;
6. the phrase is placed at its input time; silences stay silences.

What is lost: the input's intonation, emotion and non-speech sounds (the TTS engine's delivery replaces
them), and speech in languages the engines do not speak.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import numpy as np

from vocalis.engines.pitch import warp
from vocalis.errors import InvalidRequest
from vocalis.schemas.common import VoiceSettings
from vocalis.schemas.text_to_speech import TextToSpeechRequest
from vocalis.speech.alignment import Alignment
from vocalis.speech.service import SpeechResult, SpeechService
from vocalis.transcription.languages import iso639_1
from vocalis.transcription.model import TranscriptWord
from vocalis.transcription.service import ENGLISH_ENGINE, TranscriptionRequest, TranscriptionService
from vocalis.voice_changer.timeline import Timeline, blocks

ALIGNER = "pocketsphinx"
RATE = 16000  # the rate the input is recognized and measured at
PAUSE_SECONDS = 0.3  # a pause this long ends a phrase (the engine then starts a fresh utterance)
MAX_PHRASE_WORDS = 40
# Synthesized audio kept before a phrase's first word and after its last (engines trim their own silence,
# so this is breath and decay, not pause).
EDGE_SECONDS = 0.12
# A word's warp stays within this factor of its phrase's: recognized word times are rough (Whisper's by
# about 0.1 s, the aligner's less), and following them exactly would squash one word and drag the next.
WORD_WARP_SPREAD = 1.6
MAX_PHRASE_WARP = 2.0
MIN_ANCHOR_SECONDS = 0.01
MAX_GAIN_DB = 6.0  # how far a word's loudness may move toward the input's
MIN_LEVEL_SECONDS = 0.05  # shorter words have no reliable level


@dataclass
class Phrase:
    """Words spoken together: word i is `text[spans[i][0]:spans[i][1]]`, spoken in the input from `starts[i]`
    to `ends[i]` seconds."""

    text: str
    spans: list[tuple[int, int]]
    starts: list[float]
    ends: list[float]


def phrases(words: list[TranscriptWord]) -> list[Phrase]:
    """Words grouped into phrases, each ended by a pause or the word limit. Sentence ends do not end one: the
    engine already speaks each sentence apart, and Whisper ends "Mr." like a sentence."""
    groups: list[list[TranscriptWord]] = []
    for word in words:
        if (
            not groups
            or word.start - groups[-1][-1].end >= PAUSE_SECONDS
            or len(groups[-1]) >= MAX_PHRASE_WORDS
        ):
            groups.append([])
        groups[-1].append(word)
    result = []
    for group in groups:
        text, spans = "", []
        for word in group:
            # Whisper splits hyphenated words ("cold", "-hearted"); spoken apart they read as two words.
            if text and not (word.text.startswith("-") or text.endswith("-")):
                text += " "
            spans.append((len(text), len(text) + len(word.text)))
            text += word.text
        result.append(Phrase(text, spans, [w.start for w in group], [w.end for w in group]))
    return result


def word_times(phrase: Phrase, alignment: Alignment, duration: float) -> list[tuple[float, float]]:
    """Where each word of the phrase is spoken in its synthesized audio (`duration` seconds long), from its
    letters and digits. Engines give some words no time (Kokoro may squeeze a phrase's first phoneme to
    nothing): such a word spans the gap between its timed neighbours, so it is neither cut nor skipped."""
    timed: list[tuple[float, float] | None] = []
    for start, end in phrase.spans:
        indices = [i for i in range(start, min(end, len(alignment))) if alignment.characters[i].isalnum()]
        indices = indices or list(range(start, min(end, len(alignment))))
        first = alignment.starts[indices[0]] if indices else 0.0
        last = alignment.ends[indices[-1]] if indices else 0.0
        timed.append((first, last) if last > first else None)
    times = []
    for index, word in enumerate(timed):
        if word is None:
            before = next((t[1] for t in reversed(timed[:index]) if t is not None), 0.0)
            after = next((t[0] for t in timed[index + 1 :] if t is not None), duration)
            word = (before, max(after, before))
        times.append(word)
    return times


@dataclass
class TimeMap:
    """Synthesized audio trimmed to `[trim_start, trim_end)` seconds, then warped so `source[i]` (seconds into
    the trimmed audio) falls at `target[i]` (seconds after `placed_at`, a time of the input)."""

    trim_start: float
    trim_end: float
    source: list[float]
    target: list[float]
    placed_at: float


def time_map(phrase: Phrase, spoken: list[tuple[float, float]], duration: float) -> TimeMap | None:
    """Anchors at each word's start and the last one's end, the edges kept at their own pace; None when the
    engine spoke nothing."""
    timed = list(zip(spoken, phrase.starts, phrase.ends, strict=True))
    first_spoken, first_start = timed[0][0][0], timed[0][1]
    last_spoken, last_end = timed[-1][0][1], timed[-1][2]
    if last_spoken <= first_spoken:
        return None
    lead = min(first_spoken, EDGE_SECONDS)
    tail = min(max(duration - last_spoken, 0.0), EDGE_SECONDS)
    trim_start = first_spoken - lead
    placed_at = first_start - lead
    source, target = [0.0, lead], [0.0, lead]
    for (spoken_start, _), start, _ in timed[1:]:
        source.append(spoken_start - trim_start)
        target.append(start - placed_at)
    source.append(last_spoken - trim_start)
    target.append(last_end - placed_at)
    source, target = _regularized(source, target)
    source.append(source[-1] + tail)
    target.append(target[-1] + tail)
    return TimeMap(trim_start, last_spoken + tail, source, target, placed_at)


def _regularized(source: list[float], target: list[float]) -> tuple[list[float], list[float]]:
    """The anchors with those that would not move forward on both sides dropped, and each interval's warp
    kept within WORD_WARP_SPREAD of the span's, itself within MAX_PHRASE_WARP: a phrase whose input times
    ask for more is taken to be mistimed by the recognizer rather than squashed past intelligibility."""
    kept = [(source[1], target[1])]
    end = (source[-1], max(target[-1], target[1]))
    for point in zip(source[2:-1], target[2:-1], strict=True):
        after_last = all(now - before >= MIN_ANCHOR_SECONDS for now, before in zip(point, kept[-1]))
        before_end = all(after - now >= MIN_ANCHOR_SECONDS for now, after in zip(point, end))
        if after_last and before_end:
            kept.append(point)
    kept.append(end)
    spans, wanted = np.diff(np.array(kept), axis=0).T
    overall = float(np.clip(wanted.sum() / spans.sum(), 1 / MAX_PHRASE_WARP, MAX_PHRASE_WARP))
    total = spans.sum() * overall
    fitted = wanted * (total / wanted.sum()) if wanted.sum() > 0 else spans * overall
    for _ in range(4):  # clipping one interval moves the others; a few rounds settle it
        fitted = spans * np.clip(fitted / spans, overall / WORD_WARP_SPREAD, overall * WORD_WARP_SPREAD)
        fitted *= total / fitted.sum()
    starts = kept[0][1] + np.concatenate([[0.0], np.cumsum(fitted)])
    return [0.0, *(s for s, _ in kept)], [0.0, *starts.tolist()]


def level_db(audio: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(audio, dtype=np.float64)) + 1e-10)) if len(audio) else -100.0


class Loudness:
    """Moves each word's level toward the input word's: both measured against their own side's usual speech
    level (the input's over all its speech, the output's as the median of its words so far)."""

    def __init__(self, speech: np.ndarray):
        self.input_reference = level_db(speech)
        self._output_levels: list[float] = []

    def apply(
        self, audio: np.ndarray, sample_rate: int, placed_at: float, phrase: Phrase, source: np.ndarray
    ) -> np.ndarray:
        centres, gains = [], []
        measured = []
        for start, end in zip(phrase.starts, phrase.ends, strict=True):
            if end - start < MIN_LEVEL_SECONDS:
                continue
            heard = level_db(source[round(start * RATE) : round(end * RATE)])
            spoken = audio[round((start - placed_at) * sample_rate) : round((end - placed_at) * sample_rate)]
            if len(spoken) < MIN_LEVEL_SECONDS * sample_rate:
                continue
            measured.append((start, end, heard, level_db(spoken)))
        self._output_levels.extend(level for *_, level in measured)
        if not measured:
            return audio
        output_reference = float(np.median(self._output_levels))
        for start, end, heard, spoken in measured:
            change = (heard - self.input_reference) - (spoken - output_reference)
            centres.append((start + end) / 2 - placed_at)
            gains.append(float(np.clip(change, -MAX_GAIN_DB, MAX_GAIN_DB)))
        times = np.arange(len(audio)) / sample_rate
        gain = 10 ** (np.interp(times, centres, gains) / 20)
        return np.clip(audio * gain, -1.0, 1.0).astype(np.float32)


@dataclass
class RevoiceJob:
    """What one request re-voices: the input at RATE and its speech regions (seconds), the voice and its
    request settings, and the recognizer (a speech-to-text model id; a multilingual one detects the speech's
    language, which must be English)."""

    audio: np.ndarray
    speech: list[tuple[float, float]]
    voice_id: str
    sample_rate: int  # the rate of the voice's engine
    recognizer: str
    voice_settings: VoiceSettings | None = None
    seed: int | None = None


class Revoicer:
    def __init__(self, speech: SpeechService, transcription: TranscriptionService):
        self.speech = speech
        self.transcription = transcription
        self.registry = speech.registry

    async def speak(self, job: RevoiceJob) -> AsyncIterator[np.ndarray]:
        """The re-voiced audio at `job.sample_rate`, a phrase at a time, exactly as long as the input."""
        duration = len(job.audio) / RATE
        speech = [job.audio[round(start * RATE) : round(end * RATE)] for start, end in job.speech]
        loudness = Loudness(np.concatenate(speech) if speech else job.audio)
        timeline = Timeline(job.sample_rate, duration)
        language = "en" if job.recognizer == ENGLISH_ENGINE else None
        phrase_number = 0
        # Input without speech has nothing to say: it stays silent, and Whisper is not asked to find words.
        for block_start, block_end in blocks(job.speech, duration) if job.speech else ():
            clip = job.audio[round(block_start * RATE) : round(block_end * RATE)]
            transcript = await self.transcription.transcribe(
                clip,
                TranscriptionRequest(model_id=job.recognizer, language_code=language, tag_audio_events=False),
            )
            words = [word for word in transcript.words if word.type == "word"]
            if language is None and words:  # Whisper "detects" some language in a block without words
                language = _english(transcript.language_code)
            if words and self.registry.has_engine(ALIGNER):
                words = await self._aligned(clip, words)
            words = [
                replace(word, start=word.start + block_start, end=word.end + block_start) for word in words
            ]
            for phrase in phrases(words):
                seed = None if job.seed is None else (job.seed + phrase_number) % 2**32
                phrase_number += 1
                placed = await self._phrase(phrase, job, loudness, seed)
                if placed is not None:
                    timeline.add(*placed)
                # Later phrases start after this one's last word, less at most their lead.
                if len(released := timeline.release(phrase.ends[-1] - EDGE_SECONDS)):
                    yield released
            if len(released := timeline.release(block_end - EDGE_SECONDS)):
                yield released
        if len(released := timeline.finish()):
            yield released

    async def _aligned(self, clip: np.ndarray, words: list[TranscriptWord]) -> list[TranscriptWord]:
        """The words with the forced aligner's times, which follow the audio closer than Whisper's."""
        async with self.registry.reserve(ALIGNER) as aligner:
            aligned = await self.registry.run(aligner.align, clip, [word.text for word in words], "en")
        return [replace(word, start=a.start, end=a.end) for word, a in zip(words, aligned, strict=True)]

    async def _phrase(
        self, phrase: Phrase, job: RevoiceJob, loudness: Loudness, seed: int | None
    ) -> tuple[np.ndarray, float] | None:
        """The phrase spoken in the target voice and fitted onto its input times; (audio, input seconds it
        starts at), or None when the engine spoke nothing."""
        prepared = self.speech.prepare(
            job.voice_id,
            TextToSpeechRequest(text=phrase.text, voice_settings=job.voice_settings, seed=seed),
            output_format=f"pcm_{job.sample_rate}",
            optimize_streaming_latency=None,
            enable_logging=False,
            key_id=None,
            streaming=False,
        )
        # The voice speaks at its own pace and WSOLA fits it to the input's: asking the engines for the
        # input's pace instead (Kokoro's and Piper's speed) cost intelligibility, 12.6-14.9 % Whisper WER on
        # the corpus against 6-8 % (bench/voice_changer.py). The request's speed setting is moot.
        options = replace(prepared.speech_input.options, speed=prepared.voice.spec.speed)
        prepared = replace(prepared, speech_input=replace(prepared.speech_input, options=options))
        result = SpeechResult()
        async for piece in self.speech.pieces(prepared):
            result.add(piece)
        audio = result.samples()
        duration = len(audio) / job.sample_rate
        spoken = word_times(phrase, result.alignment, duration)
        mapping = time_map(phrase, spoken, duration)
        if mapping is None:
            return None
        rate = job.sample_rate
        trimmed = audio[round(mapping.trim_start * rate) : round(mapping.trim_end * rate)]
        fitted = await self.registry.run(warp, trimmed, rate, mapping.source, mapping.target)
        fitted = loudness.apply(fitted, rate, mapping.placed_at, phrase, job.audio)
        return fitted, mapping.placed_at


def _english(language_code: str) -> str:
    if iso639_1(language_code) != "en":
        raise InvalidRequest(
            f"The speech is in {language_code!r}; offline re-voicing speaks English only. Pull the OpenVoice "
            "converter (`vocalis models pull openvoice-v2`) to change the voice of speech in any language.",
            code="unsupported_language",
        )
    return "en"
