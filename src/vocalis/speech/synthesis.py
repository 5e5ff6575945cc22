"""Turn request text into timed speech pieces: markup → pronunciations and normalization → sentence chunks →
engine.

Each piece carries its audio plus two alignments in absolute seconds: one over the request text
(`alignment`) and one over the text the engine actually spoke (`normalized_alignment`). Timings come
from the engine's own phoneme durations; characters that produce no sound (removed tags) get
zero-length entries so that the alignment's characters always spell the request text. Audio tags' prosody
reaches the engine as pace and pitch, so its timings stay exact; their gain is applied to its audio.
Pronunciation dictionary aliases are rewritten spans like the normalizer's; given phonemes (dictionary rules,
SSML `<phoneme>`) reach the engine as `SynthesisOptions.pronunciations`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from vocalis.engines.protocols import SpeechChunk, SynthesisOptions, Synthesizer, VoiceSpec
from vocalis.pronunciation.lexicon import Lexicon
from vocalis.pronunciation.respelling import respell
from vocalis.speech import markup
from vocalis.speech.alignment import Alignment
from vocalis.speech.normalization import NormalizedText, identity, normalize
from vocalis.speech.sentences import split_sentences
from vocalis.speech.timing import snap_to_audio

MAX_CHUNK_CHARS = 300
EMPTY_SPEECH_SECONDS = 0.1
# The rest of a sentence split for a quick first piece is at least this long, or the sentence stays whole.
MIN_TAIL_CHARS = 25
PEAK_LIMIT = 0.98  # a louder delivery stops short of clipping
SENTENCE_PUNCTUATION = (".", "!", "?", "…", ",", ";", ":", "。", "！", "？")


@dataclass
class SpeechInput:
    text: str
    spec: VoiceSpec
    options: SynthesisOptions
    normalize: bool = True
    # A short first chunk gets the first audio out sooner when streaming.
    first_chunk_chars: int | None = None
    # Longest utterance given to the engine at once; sockets use shorter ones so audio messages keep coming.
    max_chunk_chars: int = MAX_CHUNK_CHARS
    # More speech follows in another request (`next_text` / `next_request_ids`): an unfinished last
    # sentence keeps a continuing intonation instead of falling as at the end of a statement.
    continues: bool = False
    # The rules of the request's pronunciation dictionaries.
    lexicon: Lexicon | None = None


@dataclass
class SpeechPiece:
    audio: np.ndarray
    sample_rate: int
    alignment: Alignment
    normalized_alignment: Alignment


def plan_chunks(
    text: str, first_chunk_chars: int | None, max_chunk_chars: int = MAX_CHUNK_CHARS
) -> list[tuple[int, int]]:
    chunks = split_sentences(text, max_chars=max_chunk_chars)
    if first_chunk_chars and chunks:
        start, end = chunks[0]
        if end - start > first_chunk_chars:
            # Only the first piece is short (it gets audio out sooner); the rest of the sentence stays one
            # utterance, and is not cut off at all when it would be a scrap of a word or two.
            _, head_end = split_sentences(text[start:end], first_chunk_chars)[0]
            if end - (start + head_end) >= MIN_TAIL_CHARS:
                chunks = [(start, start + head_end), (start + head_end, end), *chunks[1:]]
    return chunks


class _SourceAligner:
    """Maps normalized-character times back to request characters as spans complete."""

    def __init__(self, request_text: str):
        self.request_text = request_text
        self.cursor = 0  # next request character not yet placed in an alignment

    def skip_to(self, request_index: int, at: float, into: Alignment) -> None:
        """Place characters that make no sound (tags) as zero-length entries."""
        while self.cursor < request_index:
            into.add(self.request_text[self.cursor], at, at)
            self.cursor += 1

    def place(self, request_index: int, start: float, end: float, into: Alignment) -> None:
        self.skip_to(request_index, start, into)
        if request_index == self.cursor:
            into.add(self.request_text[request_index], start, end)
            self.cursor += 1


def _part_request_index(part: markup.TextPart, index: int) -> int:
    return part.source_indices[index]


class _PartTimer:
    """Collects per-character times of one normalized text part and releases finished spans.

    Text the normalizer copied unchanged goes out character by character as soon as it is timed, so a
    streamed piece carries the request characters it speaks; a rewritten span (a number, a date) goes out
    when all of it has been spoken, its time shared out over its request characters.
    """

    def __init__(self, part: markup.TextPart, normalized: NormalizedText):
        self.part = part
        self.normalized = normalized
        self.times: list[tuple[float, float] | None] = [None] * len(normalized.text)
        self.next_span = 0
        self.placed = 0  # characters of the current span already released

    def release(self, done_upto: int, clock: float, aligner: _SourceAligner, into: Alignment) -> None:
        spans = self.normalized.spans
        while self.next_span < len(spans):
            span = spans[self.next_span]
            source_length = span.source_end - span.source_start
            complete = span.normalized_end <= done_upto
            if source_length == span.normalized_end - span.normalized_start:
                self._release_copied(span, min(done_upto, span.normalized_end), clock, aligner, into)
                if not complete:
                    return
            elif complete:
                known = [t for t in self.times[span.normalized_start : span.normalized_end] if t is not None]
                start = min((t[0] for t in known), default=clock)
                end = max((t[1] for t in known), default=start)
                step = (end - start) / max(source_length, 1)
                for offset in range(source_length):
                    index = _part_request_index(self.part, span.source_start + offset)
                    aligner.place(index, start + offset * step, start + (offset + 1) * step, into)
            else:
                return
            self.next_span += 1
            self.placed = 0

    def _release_copied(
        self, span, upto: int, clock: float, aligner: _SourceAligner, into: Alignment
    ) -> None:
        last_end = clock
        while span.normalized_start + self.placed < upto:
            timed = self.times[span.normalized_start + self.placed]
            if timed is None and upto < span.normalized_end:
                return  # not spoken yet
            # A character the engine gave no time (it is past the chunk's end) sits at the previous end.
            start, end = timed if timed is not None else (last_end, last_end)
            aligner.place(_part_request_index(self.part, span.source_start + self.placed), start, end, into)
            last_end = end
            self.placed += 1


def synthesize(synthesizer: Synthesizer, request: SpeechInput) -> Iterator[SpeechPiece]:
    """Yield speech pieces in order, each as soon as the engine has produced it."""
    rate = synthesizer.sample_rate
    aligner = _SourceAligner(request.text)
    clock = 0.0
    chunk_number = 0
    parts = markup.parse(request.text)
    for part_number, part in enumerate(parts):
        if isinstance(part, markup.Pause):
            alignment = Alignment()
            samples = int(round(part.seconds * rate))
            if part.from_tag:
                aligner.skip_to(part.source_end, clock, alignment)
            span = max(part.source_end - aligner.cursor, 1)
            step = part.seconds / span
            for offset in range(part.source_end - aligner.cursor):
                aligner.place(aligner.cursor, clock + offset * step, clock + (offset + 1) * step, alignment)
            clock += samples / rate
            yield SpeechPiece(np.zeros(samples, dtype=np.float32), rate, alignment, Alignment())
            continue
        spec, part_options = _delivery(request, part.prosody)
        speak = normalize if request.normalize else identity
        spoken = respell(part.text, part.phonemes, request.lexicon, speak)
        normalized = spoken.normalized
        timer = _PartTimer(part, normalized)
        chunks = plan_chunks(normalized.text, request.first_chunk_chars, request.max_chunk_chars)
        for chunk_start, chunk_end in chunks:
            chunk_text = normalized.text[chunk_start:chunk_end]
            engine_text = chunk_text
            is_last = part_number == len(parts) - 1 and chunk_end == chunks[-1][1]
            if is_last and request.continues and not chunk_text.rstrip().endswith(SENTENCE_PUNCTUATION):
                engine_text = chunk_text.rstrip() + ","
            options = replace(part_options, pronunciations=spoken.within(chunk_start, chunk_end))
            if options.seed is not None:
                options = replace(options, seed=(options.seed + chunk_number) % 2**32)
            chunk_number += 1
            engine_chunks: Iterator[SpeechChunk] = (
                synthesizer.synthesize(engine_text, spec, options) if chunk_text.strip() else iter(())
            )
            produced = False
            for engine_chunk in engine_chunks:
                produced = True
                engine_chunk.text_end = min(engine_chunk.text_end, len(chunk_text))
                engine_chunk.audio = _with_gain(engine_chunk.audio, part.prosody.gain_db)
                yield _piece(engine_chunk, chunk_start, clock, rate, timer, aligner, normalized)
                clock += len(engine_chunk.audio) / rate
            if not produced:
                alignment = Alignment()
                timer.release(chunk_end, clock, aligner, alignment)
                if alignment:
                    yield SpeechPiece(np.zeros(0, dtype=np.float32), rate, alignment, Alignment())
    trailing = Alignment()
    aligner.skip_to(len(request.text), clock, trailing)
    # Text with nothing to say (only tags or punctuation) still gets a short, valid audio file.
    silence = np.zeros(int(rate * EMPTY_SPEECH_SECONDS) if clock == 0 else 0, dtype=np.float32)
    if trailing or len(silence):
        yield SpeechPiece(silence, rate, trailing, Alignment())


def _delivery(request: SpeechInput, prosody: markup.Prosody) -> tuple[VoiceSpec, SynthesisOptions]:
    """The voice and options that render a part in the prosody its audio tags ask for."""
    if prosody == markup.NEUTRAL:
        return request.spec, request.options
    spec = replace(request.spec, pitch_semitones=request.spec.pitch_semitones + prosody.pitch_semitones)
    return spec, replace(request.options, speed=request.options.speed * prosody.speed)


def _with_gain(audio: np.ndarray, gain_db: float) -> np.ndarray:
    if gain_db == 0 or len(audio) == 0:
        return audio
    gain = 10.0 ** (gain_db / 20.0)
    peak = float(np.max(np.abs(audio)))
    if gain > 1 and peak > 0:
        gain = max(1.0, min(gain, PEAK_LIMIT / peak))
    return (audio * gain).astype(np.float32, copy=False)


def _piece(
    chunk: SpeechChunk,
    chunk_start: int,
    clock: float,
    rate: int,
    timer: _PartTimer,
    aligner: _SourceAligner,
    normalized: NormalizedText,
) -> SpeechPiece:
    normalized_alignment = Alignment()
    first = chunk_start + chunk.text_start
    last_end = clock
    spoken = normalized.text[first : chunk_start + chunk.text_end]
    char_times = chunk.char_times
    if len(char_times) == len(spoken):
        char_times = snap_to_audio(spoken, char_times, chunk.audio, rate)
    for offset in range(chunk.text_end - chunk.text_start):
        if offset < len(char_times):
            start, end = char_times[offset]
            start, end = clock + start, clock + end
            timer.times[first + offset] = (start, end)
            last_end = end
        else:
            start = end = last_end
        normalized_alignment.add(normalized.text[first + offset], start, end)
    alignment = Alignment()
    timer.release(chunk_start + chunk.text_end, last_end, aligner, alignment)
    return SpeechPiece(chunk.audio.astype(np.float32, copy=False), rate, alignment, normalized_alignment)
