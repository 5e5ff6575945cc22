"""Instant voice cloning: samples are checked, stored as blobs and analysed once (speech, speaker embeddings,
pitch); the voice is then made by a `VoiceCloner` (today the offline nearest-voice search) and stored with
the spec any TTS path renders it by, so it is usable at once everywhere a voice id is.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vocalis.audio import AudioDecodeError, decode, resample
from vocalis.audio.analysis import PitchStats
from vocalis.engines.protocols import ClonedVoice, Enhancer, SpeakerEncoder, Synthesizer
from vocalis.engines.registry import EngineRegistry
from vocalis.engines.vad import SileroVad
from vocalis.errors import InvalidRequest, NotFound
from vocalis.store.ids import new_id
from vocalis.store.tables import Voice, VoiceSample
from vocalis.store.voices import VoiceUpdate
from vocalis.transcription.diarization import diarize
from vocalis.voices.library import VoiceLibrary
from vocalis.voices.matching import Reference, VoiceMatcher

SAMPLE_RATE = 16000
MAX_SAMPLES = 25  # ElevenLabs' limit of samples per instant clone
MAX_SAMPLE_BYTES = 50 << 20
MIN_SPEECH_SECONDS = 1.0
# A sample has several speakers when diarization finds a second one speaking at least this long and this
# share of the speech; the cut is looser than transcription's (0.3 against 0.25) because refusing a sample
# of one speaker costs the user more than a short interjection costs the clone. On the corpus: every
# single-speaker reference passes, the 3-speaker conversations are refused.
DIARIZATION_THRESHOLD = 0.3
SECOND_SPEAKER_SECONDS = 1.5
SECOND_SPEAKER_SHARE = 0.2
CLONING_EFFORT = 1.0


@dataclass
class UploadedSample:
    file_name: str
    content_type: str | None
    data: bytes


@dataclass
class _Analysed:
    upload: UploadedSample
    duration_secs: float
    analysis: dict[str, Any]


def _parse_labels(labels: str | None) -> dict[str, str] | None:
    """The `labels` form field: a JSON object of strings (the SDK sends "null" when there are none)."""
    if labels is None or labels.strip() in ("", "null"):
        return None
    try:
        parsed = json.loads(labels)
    except json.JSONDecodeError as error:
        raise InvalidRequest(
            f"labels must be a JSON object of strings: {error}.", code="invalid_labels"
        ) from None
    if not isinstance(parsed, dict) or not all(isinstance(v, str | int | float) for v in parsed.values()):
        raise InvalidRequest("labels must be a JSON object of strings.", code="invalid_labels")
    return {str(key): str(value) for key, value in parsed.items()}


class VoiceCloning:
    """Adds and edits cloned voices and their samples; heavy work runs in the engine pool."""

    def __init__(
        self,
        registry: EngineRegistry,
        library: VoiceLibrary,
        isolation_engine: str,
        renders_dir: Path | None = None,
    ) -> None:
        self.registry = registry
        self.library = library
        self.isolation_engine = isolation_engine
        # The search's probe renders outlive the process there (the first searches render dozens of voices).
        self.matcher = VoiceMatcher(self._synthesizers, self._encoders, renders_dir)

    def _synthesizers(self) -> dict[str, Synthesizer]:
        return {
            name: self.registry.engine(name) for name in ("kokoro", "piper") if self.registry.has_engine(name)
        }

    def _encoders(self) -> list[SpeakerEncoder]:
        return [
            self.registry.engine(name)
            for name in ("speaker", "resemblyzer")
            if self.registry.has_engine(name)
        ]

    # Endpoints ------------------------------------------------------------------------------------------
    async def add(
        self,
        name: str,
        files: list[UploadedSample],
        description: str | None,
        labels: str | None,
        remove_background_noise: bool,
    ) -> str:
        """Create a cloned voice from `files`; its voice id."""
        if not name.strip():
            raise InvalidRequest("name must not be empty.", code="invalid_parameters")
        parsed_labels = _parse_labels(labels)
        if not files:
            raise InvalidRequest("Upload at least one audio file in files.", code="no_samples")
        analysed = await self._analyse_all(files, remove_background_noise)
        cloned, reference = await self._clone([sample.analysis for sample in analysed])
        voice_id = new_id()
        self.library.repository.add(
            Voice(
                voice_id=voice_id,
                name=name.strip(),
                category="cloned",
                description=description,
                labels=parsed_labels or {},
                engine_spec=spec_json(cloned),
                created_at_unix=int(time.time()),
                speaker_data=speaker_data(cloned, reference),
            ),
            self._store_samples(voice_id, analysed, remove_background_noise),
        )
        return voice_id

    async def edit(
        self,
        voice_id: str,
        name: str,
        files: list[UploadedSample],
        description: str | None,
        labels: str | None,
        remove_background_noise: bool,
    ) -> None:
        """Rename, describe, relabel; new files are added as samples and the voice is made again."""
        if self.library.is_premade(voice_id):
            raise InvalidRequest(
                f"Voice {voice_id!r} is a premade voice and cannot be edited.", code="voice_not_editable"
            )
        row = self.library.row(voice_id)
        if not name.strip():
            raise InvalidRequest("name must not be empty.", code="invalid_parameters")
        update = VoiceUpdate(name=name.strip(), description=description, labels=_parse_labels(labels))
        new_samples: list[VoiceSample] = []
        if files:
            if row.category != "cloned":
                raise InvalidRequest(
                    f"Voice {voice_id!r} is a {row.category} voice; only cloned voices take samples.",
                    code="invalid_parameters",
                )
            existing = self.library.repository.samples([voice_id]).get(voice_id, [])
            if len(existing) + len(files) > MAX_SAMPLES:
                raise InvalidRequest(f"A voice holds at most {MAX_SAMPLES} samples.", code="too_many_samples")
            analysed = await self._analyse_all(files, remove_background_noise)
            cloned, reference = await self._clone(
                [s.analysis for s in existing] + [s.analysis for s in analysed]
            )
            update.engine_spec, update.speaker_data = spec_json(cloned), speaker_data(cloned, reference)
            new_samples = self._store_samples(voice_id, analysed, remove_background_noise)
        self.library.repository.update(voice_id, update, new_samples)

    async def delete_sample(self, voice_id: str, sample_id: str) -> None:
        """Remove a sample; the voice is made again from the samples left (kept as it is if none are)."""
        if self.library.is_premade(voice_id):
            raise InvalidRequest(
                f"Voice {voice_id!r} is a premade voice; its samples cannot be deleted.",
                code="voice_not_editable",
            )
        row = self.library.row(voice_id)
        blob_key = self.library.repository.delete_sample(voice_id, sample_id)
        if blob_key is None:
            raise NotFound(f"Voice {voice_id!r} has no sample {sample_id!r}.", code="sample_not_found")
        self.library.blobs.delete(blob_key)
        remaining = self.library.repository.samples([voice_id]).get(voice_id, [])
        # A professional voice is made again only by training it (see vocalis.pvc).
        if remaining and row.category == "cloned":
            cloned, reference = await self._clone([sample.analysis for sample in remaining])
            self.library.repository.update(
                voice_id,
                VoiceUpdate(engine_spec=spec_json(cloned), speaker_data=speaker_data(cloned, reference)),
            )

    def sample_audio(self, voice_id: str, sample_id: str) -> tuple[bytes, str]:
        """The sample's audio as uploaded, and its media type."""
        sample = self.library.repository.sample(voice_id, sample_id)
        if sample is None:
            raise NotFound(f"Voice {voice_id!r} has no sample {sample_id!r}.", code="sample_not_found")
        return self.library.blobs.get(sample.blob_key), sample.mime_type

    # Analysis -------------------------------------------------------------------------------------------
    async def _analyse_all(
        self, files: list[UploadedSample], remove_background_noise: bool
    ) -> list[_Analysed]:
        if len(files) > MAX_SAMPLES:
            raise InvalidRequest(f"Upload at most {MAX_SAMPLES} files.", code="too_many_samples")
        for upload in files:
            check_size(upload)
        enhancer: Callable[[], Enhancer] | None = None
        if remove_background_noise and self.registry.has_engine(self.isolation_engine):
            enhancer = lambda: self.registry.engine(self.isolation_engine)  # noqa: E731 - loaded on first use
        async with self.registry.reserve("speaker"):
            return [await self.registry.run(self._analyse, upload, enhancer) for upload in files]

    def _analyse(self, upload: UploadedSample, enhancer: Callable[[], Enhancer] | None) -> _Analysed:
        """Decode, optionally isolate the voice, check there is one speaker with enough speech, embed."""
        audio = decoded(upload)
        duration = len(audio) / SAMPLE_RATE
        if enhancer is not None:
            audio = isolated(enhancer(), audio)
        speech_regions = enough_speech(upload, audio)
        speech_seconds = sum(end - start for start, end in speech_regions)
        turns = diarize(
            audio, speech_regions, self.registry.engine("speaker"), threshold=DIARIZATION_THRESHOLD
        )
        talk: dict[int, float] = {}
        for turn in turns:
            talk[turn.speaker] = talk.get(turn.speaker, 0.0) + turn.end - turn.start
        speakers = [
            s
            for s in talk.values()
            if s >= max(SECOND_SPEAKER_SECONDS, SECOND_SPEAKER_SHARE * speech_seconds)
        ]
        if len(speakers) > 1:
            raise InvalidRequest(
                f"{upload.file_name!r} has {len(speakers)} speakers; a clone needs recordings of one voice "
                "(cut the sample to one speaker).",
                code="multiple_speakers",
            )
        reference = self.matcher.reference([speech_of(audio, speech_regions)])
        analysis = {
            "speech_secs": round(speech_seconds, 3),
            "embeddings": {name: vector.round(6).tolist() for name, vector in reference.embeddings.items()},
            "pitch": reference.pitch.to_json() if reference.pitch else None,
        }
        return _Analysed(upload, round(duration, 3), analysis)

    async def _clone(self, analyses: list[dict[str, Any]]) -> tuple[ClonedVoice, Reference]:
        reference = _reference(analyses)
        async with self.registry.reserve("speaker"):
            return await self.registry.run(self.matcher.match, reference, CLONING_EFFORT), reference

    def _store_samples(
        self, voice_id: str, analysed: list[_Analysed], remove_background_noise: bool
    ) -> list[VoiceSample]:
        rows = []
        # One millisecond apart, so samples of one upload keep their order (listing sorts by this time).
        now_ms = time.time_ns() // 1_000_000
        for index, sample in enumerate(analysed):
            sample_id = new_id()
            key = f"voices/{voice_id}/{sample_id}"
            self.library.blobs.put(key, sample.upload.data)
            rows.append(
                VoiceSample(
                    sample_id=sample_id,
                    voice_id=voice_id,
                    file_name=sample.upload.file_name,
                    mime_type=sample.upload.content_type or "application/octet-stream",
                    size_bytes=len(sample.upload.data),
                    hash=hashlib.sha256(sample.upload.data).hexdigest(),
                    duration_secs=sample.duration_secs,
                    remove_background_noise=remove_background_noise,
                    blob_key=key,
                    analysis=sample.analysis,
                    created_at_ms=now_ms + index,
                )
            )
        return rows


def check_size(upload: UploadedSample) -> None:
    """Refuse (`file_too_large`) a recording over MAX_SAMPLE_BYTES."""
    if len(upload.data) > MAX_SAMPLE_BYTES:
        raise InvalidRequest(
            f"{upload.file_name!r} has {len(upload.data)} bytes; a recording may have up to "
            f"{MAX_SAMPLE_BYTES} bytes.",
            code="file_too_large",
        )


def decoded(upload: UploadedSample) -> np.ndarray:
    """The upload as 16 kHz mono audio; refused (`invalid_audio`) when FFmpeg cannot read it as audio."""
    try:
        return decode(upload.data, SAMPLE_RATE).samples
    except AudioDecodeError as error:
        raise InvalidRequest(
            f"{upload.file_name!r} is not an audio file FFmpeg can read ({error}).", code="invalid_audio"
        ) from None


def enough_speech(upload: UploadedSample, audio: np.ndarray) -> list[tuple[float, float]]:
    """The (start, end) seconds where Silero VAD hears speech in the upload's 16 kHz audio; refused
    (`sample_too_short`) when they add up to less than MIN_SPEECH_SECONDS."""
    regions = SileroVad().speech_segments(audio)
    seconds = sum(end - start for start, end in regions)
    if seconds < MIN_SPEECH_SECONDS:
        raise InvalidRequest(
            f"{upload.file_name!r} has {seconds:.1f} s of speech; a sample needs at least "
            f"{MIN_SPEECH_SECONDS:.0f} s.",
            code="sample_too_short",
        )
    return regions


def speech_of(audio: np.ndarray, regions: list[tuple[float, float]]) -> np.ndarray:
    """The 16 kHz audio's speech regions joined."""
    return np.concatenate(
        [audio[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)] for start, end in regions]
    )


def isolated(enhancer: Enhancer, audio: np.ndarray) -> np.ndarray:
    """The voice isolator's output for 16 kHz audio, back at 16 kHz."""
    chunks = enhancer.enhance([resample(audio, SAMPLE_RATE, enhancer.sample_rate)])
    return resample(np.concatenate(list(chunks)), enhancer.sample_rate, SAMPLE_RATE)


def _reference(analyses: list[dict[str, Any]]) -> Reference:
    """One speaker from the samples' analyses: embeddings weighted by speech length, pitch likewise (in
    semitones). Only encoders that embedded every sample count."""
    weights = np.array([a["speech_secs"] for a in analyses])
    names = set.intersection(*(set(a["embeddings"]) for a in analyses))
    embeddings = {}
    for name in sorted(names):
        mean = sum(w * np.asarray(a["embeddings"][name]) for w, a in zip(weights, analyses))
        embeddings[name] = (mean / (np.linalg.norm(mean) + 1e-12)).astype(np.float32)
    pitched = [(w, a["pitch"]) for w, a in zip(weights, analyses) if a["pitch"]]
    pitch = None
    if pitched:
        total = sum(w for w, _ in pitched)

        def mean_hz(field: str) -> float:
            return float(np.exp(sum(w * np.log(p[field]) for w, p in pitched) / total))

        pitch = PitchStats(
            mean_hz("median_hz"),
            mean_hz("p10_hz"),
            mean_hz("p90_hz"),
            sum(w * p["voiced"] for w, p in pitched) / total,
        )
    return Reference(embeddings, pitch)


def spec_json(cloned: ClonedVoice) -> dict[str, Any]:
    spec = cloned.spec
    return {
        "engine": spec.engine,
        "blend": [[name, weight] for name, weight in spec.blend],
        "speed": spec.speed,
        "pitch_semitones": spec.pitch_semitones,
        **({"equalizer": [[hz, db] for hz, db in spec.equalizer]} if spec.equalizer else {}),
    }


def speaker_data(cloned: ClonedVoice, reference: Reference) -> dict[str, Any]:
    """How the voice was made, and the speaker it was made for (for voice changing and re-matching)."""
    return {
        "method": cloned.method,
        "similarity": cloned.similarity,
        "details": cloned.details,
        "reference": {
            "embeddings": {name: vector.round(6).tolist() for name, vector in reference.embeddings.items()},
            "pitch": reference.pitch.to_json() if reference.pitch else None,
        },
    }
