"""Professional voice cloning (`/v1/voices/pvc`): a voice is created empty, given samples (long recordings,
several speakers allowed), its speakers separated and chosen, verified by a voice captcha, and trained.

Training is a background job that survives restarts (its input is the stored samples): it takes the speech
of the chosen speakers of every sample, builds the speaker reference from all of it, and runs the offline
nearest-voice search of instant cloning with a larger budget (`pvc_training_effort`), then fits an
equalizer curve to the speaker's long-term spectrum (which instant cloning does not); when the OpenVoice v2
converter is installed, the speaker's averaged converter reference is kept with the voice too. Until its
first training ends, the voice cannot speak; after it, it speaks on every text-to-speech path.

The captcha proves the samples are the owner's own voice: the owner reads a fresh line of random words
aloud, and the recording must transcribe to them (character error rate) and sound like the samples' speaker
(speaker-encoder similarity).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from vocalis.audio import AudioDecodeError, decode, encode, parse_output_format
from vocalis.engines.protocols import Enhancer, SpeakerReference
from vocalis.engines.registry import BEST_ENGINE, EngineRegistry
from vocalis.errors import InvalidRequest, NotFound, VocalisError
from vocalis.jobs import JobContext, JobRunner
from vocalis.pvc import captcha, dataset
from vocalis.pvc.state import (
    MAX_VERIFICATION_ATTEMPTS,
    recent_attempts,
    sample_fields,
    separation_json,
)
from vocalis.store.blobs import BlobStore
from vocalis.store.ids import new_id
from vocalis.store.jobs import UNFINISHED
from vocalis.store.professional import ProfessionalVoiceRepository, StoredSample
from vocalis.store.tables import ProfessionalVoice, Voice, VoiceSample
from vocalis.store.voices import VoiceUpdate
from vocalis.transcription.languages import iso639_1
from vocalis.transcription.service import TranscriptionRequest, TranscriptionService
from vocalis.voices.cloning import UploadedSample, speaker_data, spec_json
from vocalis.voices.library import VoiceLibrary, sample_json
from vocalis.voices.matching import VoiceMatcher
from vocalis.voices.previews import preview_key

TRAINING_KIND = "pvc_training"
SEPARATION_KIND = "pvc_speaker_separation"
DEFAULT_MODEL = "eleven_multilingual_v2"
OPENVOICE = "openvoice-v2"
# Until it is trained the voice has no spec to render; this one is never used (see `untrained_message`).
UNTRAINED_SPEC = {"engine": BEST_ENGINE, "blend": []}
MAX_NAME = 100
MAX_DESCRIPTION = 500
MAX_SAMPLE_SECONDS = 3600.0  # ElevenLabs advises splitting long recordings into ~30-minute files
MIN_SPEECH_SECONDS = 1.0
PREVIEW_SECONDS = 30.0  # GET .../samples/{id}/audio gives the first 30 s, as ElevenLabs does
PREVIEW_FORMAT = "mp3_44100_128"
WAVEFORM_POINTS = 1000
CAPTCHA_SECONDS = 600  # a captcha must be read within 10 minutes of being shown
# Speech of the samples compared with a captcha recording: plenty for a stable embedding, bounded time.
VERIFICATION_SPEECH_SECONDS = 300.0
# Character error rate of a reading that passes: above every correct reading measured, well below any
# other words (see `captcha`).
MAX_CHARACTER_ERROR_RATE = 0.35
# Mean cosine of the d-vector and Resemblyzer embeddings. On the corpus, recordings of one speaker score
# 0.93-0.94 with each other and recordings of different speakers 0.20-0.60; a TTS voice's captcha reading
# scores 0.91-0.94 against its own samples, 0.23-0.55 against other voices' and 0.72-0.75 against the
# same Piper voice shifted in pitch (a premade voice of its own).
MIN_SIMILARITY = 0.8


@dataclass
class ClipAudio:
    """Audio returned as base64 JSON (sample previews, separated speakers)."""

    audio_base_64: str
    media_type: str
    duration_secs: float


class _Stopped(Exception):
    """Raised in the engine thread of a job whose task was cancelled, to end its search at once."""


def _labels(labels: dict[str, str | None] | None) -> dict[str, str]:
    return {key: value for key, value in (labels or {}).items() if value is not None}


def _language(code: str) -> str:
    language = iso639_1(code) if code.strip() else None
    if language is None:
        raise InvalidRequest(
            f"language {code!r} is not a language code this server knows (use ISO 639-1, e.g. 'en').",
            code="invalid_language",
        )
    return language


def _name(name: str) -> str:
    if not name.strip() or len(name) > MAX_NAME:
        raise InvalidRequest(f"name must have 1 to {MAX_NAME} characters.", code="invalid_parameters")
    return name.strip()


def _description(description: str | None) -> str | None:
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise InvalidRequest(
            f"description has {len(description)} characters; at most {MAX_DESCRIPTION} are allowed.",
            code="invalid_parameters",
        )
    return description


def _clip(audio: np.ndarray) -> ClipAudio:
    mp3 = encode(audio, dataset.SAMPLE_RATE, parse_output_format(PREVIEW_FORMAT))
    return ClipAudio(base64.b64encode(mp3).decode(), "audio/mpeg", round(len(audio) / dataset.SAMPLE_RATE, 3))


class ProfessionalVoices:
    """The domain of `/v1/voices/pvc`; heavy work runs in the engine pool or as jobs."""

    def __init__(
        self,
        registry: EngineRegistry,
        library: VoiceLibrary,
        repository: ProfessionalVoiceRepository,
        matcher: VoiceMatcher,
        transcription: TranscriptionService,
        runner: JobRunner,
        *,
        isolation_engine: str,
        training_effort: float,
        require_verification: bool,
        max_upload_bytes: int,
    ) -> None:
        self.registry = registry
        self.library = library
        self.blobs: BlobStore = library.blobs
        self.repository = repository
        self.matcher = matcher
        self.transcription = transcription
        self.runner = runner
        self.isolation_engine = isolation_engine
        self.training_effort = training_effort
        self.require_verification = require_verification
        self.max_upload_bytes = max_upload_bytes
        runner.resumable(TRAINING_KIND, lambda job_id, request: self._training(request["voice_id"]))
        runner.resumable(
            SEPARATION_KIND,
            lambda job_id, request: self._separation(request["voice_id"], request["sample_id"]),
        )

    # Voices ---------------------------------------------------------------------------------------------
    def create(
        self, name: str, language: str, description: str | None, labels: dict[str, str | None] | None
    ) -> str:
        voice_id = new_id()
        self.repository.create(
            Voice(
                voice_id=voice_id,
                name=_name(name),
                category="professional",
                description=_description(description),
                labels=_labels(labels),
                engine_spec=UNTRAINED_SPEC,
                created_at_unix=int(time.time()),
            ),
            _language(language),
        )
        return voice_id

    def update(
        self,
        voice_id: str,
        name: str | None,
        language: str | None,
        description: str | None,
        labels: dict[str, str | None] | None,
    ) -> None:
        self._professional(voice_id)
        self.library.repository.update(
            voice_id,
            VoiceUpdate(
                name=None if name is None else _name(name),
                description=_description(description),
                labels=None if labels is None else _labels(labels),
            ),
        )
        if language is not None:
            self.repository.update(voice_id, language=_language(language))

    def _professional(self, voice_id: str) -> ProfessionalVoice:
        """The voice's professional row; 400 for a premade or instant voice, 404 for an unknown one."""
        if self.library.is_premade(voice_id):
            raise InvalidRequest(
                f"Voice {voice_id!r} is a premade voice; professional cloning works on voices made with "
                "POST /v1/voices/pvc.",
                code="voice_not_editable",
            )
        voice = self.library.row(voice_id)
        row = self.repository.get(voice_id)
        if row is None:
            raise InvalidRequest(
                f"Voice {voice_id!r} is a {voice.category} voice, not a professional one; make one with "
                "POST /v1/voices/pvc.",
                code="voice_not_professional",
            )
        return row

    # Samples --------------------------------------------------------------------------------------------
    async def add_samples(
        self, voice_id: str, files: list[UploadedSample], remove_background_noise: bool
    ) -> list[dict[str, Any]]:
        self._professional(voice_id)
        if not files:
            raise InvalidRequest("Upload at least one audio file in files.", code="no_samples")
        for upload in files:
            if len(upload.data) > self.max_upload_bytes:
                raise InvalidRequest(
                    f"{upload.file_name!r} has {len(upload.data)} bytes; a sample may have up to "
                    f"{self.max_upload_bytes}.",
                    code="file_too_large",
                )
        durations = [await self.registry.run(_checked_duration, upload) for upload in files]
        rows = []
        for upload, duration in zip(files, durations):
            sample_id = new_id()
            key = f"voices/{voice_id}/{sample_id}"
            self.blobs.put(key, upload.data)
            rows.append(
                VoiceSample(
                    sample_id=sample_id,
                    voice_id=voice_id,
                    file_name=upload.file_name,
                    mime_type=upload.content_type or "application/octet-stream",
                    size_bytes=len(upload.data),
                    hash=hashlib.sha256(upload.data).hexdigest(),
                    duration_secs=round(duration, 3),
                    remove_background_noise=remove_background_noise,
                    blob_key=key,
                    analysis={},  # derived at training time, from the speakers chosen then
                    created_at_ms=time.time_ns() // 1_000_000,
                )
            )
        self.repository.add_samples(rows)
        return [self._sample_json(self._sample(voice_id, row.sample_id)) for row in rows]

    def update_sample(
        self,
        voice_id: str,
        sample_id: str,
        *,
        remove_background_noise: bool | None,
        selected_speaker_ids: list[str] | None,
        trim_start_time: int | None,
        trim_end_time: int | None,
        file_name: str | None,
    ) -> None:
        self._professional(voice_id)
        stored = self._sample(voice_id, sample_id)
        changes: dict[str, Any] = {}
        if selected_speaker_ids is not None:
            speakers = self._separated(stored)
            unknown = sorted(set(selected_speaker_ids) - set(speakers))
            if unknown:
                raise InvalidRequest(
                    f"Sample {sample_id!r} has no speaker {', '.join(map(repr, unknown))}; its speakers are "
                    f"{', '.join(speakers) or 'none'}.",
                    code="speaker_not_found",
                )
            changes["selected_speaker_ids"] = list(dict.fromkeys(selected_speaker_ids))
        if trim_start_time is not None or trim_end_time is not None:
            length_ms = round(stored.sample.duration_secs * 1000)
            start = trim_start_time if trim_start_time is not None else stored.professional.trim_start_ms or 0
            end = trim_end_time if trim_end_time is not None else stored.professional.trim_end_ms or length_ms
            if not 0 <= start < end <= length_ms:
                raise InvalidRequest(
                    f"trim_start_time and trim_end_time must satisfy 0 <= start < end <= {length_ms} "
                    f"(milliseconds of the sample); got {start} and {end}.",
                    code="invalid_trim",
                )
            changes.update(trim_start_ms=start, trim_end_ms=end)
        if file_name is not None:
            if not file_name.strip():
                raise InvalidRequest("file_name must not be empty.", code="invalid_parameters")
            file_name = file_name.strip()
        self.repository.update_sample(
            sample_id, file_name=file_name, remove_background_noise=remove_background_noise, **changes
        )

    def delete_sample(self, voice_id: str, sample_id: str) -> None:
        self._professional(voice_id)
        blob_key = self.library.repository.delete_sample(voice_id, sample_id)
        if blob_key is None:
            raise NotFound(f"Voice {voice_id!r} has no sample {sample_id!r}.", code="sample_not_found")
        self.blobs.delete(blob_key)

    async def sample_audio(
        self, voice_id: str, sample_id: str, remove_background_noise: bool | None
    ) -> ClipAudio:
        """The first PREVIEW_SECONDS of the sample, voice-isolated if asked (by default, as the sample is)."""
        self._professional(voice_id)
        stored = self._sample(voice_id, sample_id)
        isolate = (
            stored.sample.remove_background_noise
            if remove_background_noise is None
            else remove_background_noise
        )
        enhancer = self._enhancer() if isolate else None
        data = self.blobs.get(stored.sample.blob_key)
        return await self.registry.run(lambda: _clip(dataset.opening(data, PREVIEW_SECONDS, enhancer)))

    async def waveform(self, voice_id: str, sample_id: str) -> list[float]:
        """Peak levels (0..1) of WAVEFORM_POINTS equal stretches of the sample, for drawing it."""
        self._professional(voice_id)
        data = self.blobs.get(self._sample(voice_id, sample_id).sample.blob_key)
        return await self.registry.run(dataset.waveform, data, WAVEFORM_POINTS)

    def _sample_json(self, stored: StoredSample) -> dict[str, Any]:
        """The sample as `SampleResponseModel`."""
        job_id = stored.professional.separation_job_id
        job = self.runner.jobs.get(job_id) if job_id else None
        return {**sample_json(stored.sample), **sample_fields(stored.professional, job)}

    def _sample(self, voice_id: str, sample_id: str) -> StoredSample:
        stored = self.repository.sample(voice_id, sample_id)
        if stored is None:
            raise NotFound(f"Voice {voice_id!r} has no sample {sample_id!r}.", code="sample_not_found")
        return stored

    def _enhancer(self) -> Enhancer | None:
        """The voice isolator for samples with background noise removal (none installed: the audio as is)."""
        return (
            self.registry.engine(self.isolation_engine)
            if self.registry.has_engine(self.isolation_engine)
            else None
        )

    # Speaker separation ---------------------------------------------------------------------------------
    def separate_speakers(self, voice_id: str, sample_id: str) -> None:
        """Start separating the sample's speakers (a job; a separation already under way is left alone)."""
        self._professional(voice_id)
        stored = self._sample(voice_id, sample_id)
        job_id = stored.professional.separation_job_id
        job = self.runner.jobs.get(job_id) if job_id else None
        if job is not None and job.status in UNFINISHED:
            return
        job_id = new_id()
        self.repository.update_sample(
            sample_id, separation_job_id=job_id, speakers=None, selected_speaker_ids=None
        )
        self.runner.submit(
            job_id,
            SEPARATION_KIND,
            {"voice_id": voice_id, "sample_id": sample_id},
            self._separation(voice_id, sample_id),
        )

    def _separation(self, voice_id: str, sample_id: str) -> Callable[[JobContext], Any]:
        async def work(context: JobContext) -> dict[str, Any]:
            stored = self._sample(voice_id, sample_id)
            enhancer = self._enhancer() if stored.sample.remove_background_noise else None
            audio = await self.registry.run(dataset.decoded, self.blobs.get(stored.sample.blob_key), enhancer)
            async with self.registry.reserve("speaker") as encoder:
                speakers = await self.registry.run(dataset.separate, audio, encoder)
            self.repository.update_sample(sample_id, speakers=speakers)
            return {"speakers": len(speakers)}

        return work

    def speakers(self, voice_id: str, sample_id: str) -> dict[str, Any]:
        self._professional(voice_id)
        stored = self._sample(voice_id, sample_id)
        job_id = stored.professional.separation_job_id
        return separation_json(stored.professional, self.runner.jobs.get(job_id) if job_id else None)

    async def speaker_audio(self, voice_id: str, sample_id: str, speaker_id: str) -> ClipAudio:
        """The separated speaker's utterances, joined."""
        self._professional(voice_id)
        stored = self._sample(voice_id, sample_id)
        speakers = self._separated(stored)
        if speaker_id not in speakers:
            raise NotFound(
                f"Sample {sample_id!r} has no speaker {speaker_id!r}; its speakers are "
                f"{', '.join(speakers) or 'none'}.",
                code="speaker_not_found",
            )
        enhancer = self._enhancer() if stored.sample.remove_background_noise else None
        data = self.blobs.get(stored.sample.blob_key)
        ranges = [(start, end) for start, end in speakers[speaker_id]["utterances"]]
        return await self.registry.run(lambda: _clip(dataset.cut(dataset.decoded(data, enhancer), ranges)))

    def _separated(self, stored: StoredSample) -> dict[str, dict]:
        job_id = stored.professional.separation_job_id
        job = self.runner.jobs.get(job_id) if job_id else None
        if job is None or job.status != "completed" or stored.professional.speakers is None:
            raise InvalidRequest(
                f"Sample {stored.sample.sample_id!r} has no separated speakers yet: start POST "
                ".../separate-speakers and wait for GET .../speakers to report 'completed'.",
                code="speakers_not_separated",
            )
        return stored.professional.speakers

    # Verification ---------------------------------------------------------------------------------------
    def captcha(self, voice_id: str) -> tuple[str, bytes]:
        """A fresh captcha for the voice (replacing any earlier one): its text and the text as a PNG."""
        self._professional(voice_id)
        text = captcha.new_text()
        self.repository.update(voice_id, captcha_text=text, captcha_issued_at_unix=int(time.time()))
        return text, captcha.render_png(text)

    async def verify_captcha(self, voice_id: str, recording: UploadedSample) -> None:
        """Check a recording of the captcha: the words heard and the speaker's similarity to the samples."""
        row = self._professional(voice_id)
        if len(recent_attempts(row)) >= MAX_VERIFICATION_ATTEMPTS:
            raise VocalisError(
                f"Voice {voice_id!r} had {MAX_VERIFICATION_ATTEMPTS} verification attempts in 24 hours; try "
                "again later (fine_tuning.next_max_verification_attempts_reset_unix_ms says when).",
                code="too_many_verification_attempts",
                http_status=429,
            )
        speech = await self.registry.run(_speech_of, recording)
        text, issued = self.repository.take_captcha(voice_id)
        if text is None or issued is None:
            raise InvalidRequest(
                f"No captcha is waiting for voice {voice_id!r}: GET /v1/voices/pvc/{voice_id}/captcha first "
                "(each captcha is answered once).",
                code="captcha_not_requested",
            )
        if time.time() - issued > CAPTCHA_SECONDS:
            raise InvalidRequest(
                f"The captcha was shown more than {CAPTCHA_SECONDS // 60} minutes ago; get a new one.",
                code="captcha_expired",
            )
        samples = await self.registry.run(self._speech, voice_id, VERIFICATION_SPEECH_SECONDS, None)
        if not samples:
            raise InvalidRequest(
                f"Voice {voice_id!r} has no sample speech to compare the recording with: add samples (and "
                "choose the speaker of any sample with several) first.",
                code="no_samples",
            )
        heard = await self.transcription.transcribe(
            speech, TranscriptionRequest(model_id="scribe_v1", language_code="en", tag_audio_events=False)
        )
        async with self.registry.reserve("speaker"):
            reference = await self.registry.run(self.matcher.reference, samples)
            embedded = await self.registry.run(self.matcher.embed, speech)
        similarity = float(
            np.mean([np.dot(reference.embeddings[n], embedded[n]) for n in reference.embeddings])
        )
        errors = captcha.character_errors(text, heard.text)
        failures = []
        if errors / len(captcha.letters(text)) > MAX_CHARACTER_ERROR_RATE:
            failures.append(f"the recording reads {heard.text.strip()!r}, not the captcha {text!r}")
        if similarity < MIN_SIMILARITY:
            failures.append(
                f"the voice matches the samples' speaker with similarity {similarity:.2f} (at least "
                f"{MIN_SIMILARITY:.2f} is needed)"
            )
        now = int(time.time())
        self.repository.add_attempt(
            voice_id,
            {
                "text": text,
                "date_unix": now,
                "accepted": not failures,
                "similarity": round(similarity, 4),
                "levenshtein_distance": float(errors),
                "recording": {
                    "recording_id": new_id(),
                    "mime_type": recording.content_type or "application/octet-stream",
                    "size_bytes": len(recording.data),
                    "upload_date_unix": now,
                    "transcription": heard.text.strip(),
                },
                "failure": "; ".join(failures) or None,
            },
        )
        if failures:
            raise InvalidRequest(
                f"Verification failed: {'; '.join(failures)}. Get a new captcha and read it in your own "
                "voice.",
                code="verification_failed",
            )

    def request_manual_verification(
        self, voice_id: str, files: list[UploadedSample], extra_text: str | None
    ) -> None:
        """Record a request for manual verification. Only the files' metadata is kept: a self-hosted server
        has no reviewer to read them (its operator can turn verification off instead)."""
        self._professional(voice_id)
        if not files:
            raise InvalidRequest("Upload at least one verification document in files.", code="no_files")
        now = int(time.time())
        self.repository.update(
            voice_id,
            manual_verification={
                "extra_text": extra_text or "",
                "request_time_unix": now,
                "files": [
                    {
                        "file_id": new_id(),
                        "file_name": upload.file_name,
                        "mime_type": upload.content_type or "application/octet-stream",
                        "size_bytes": len(upload.data),
                        "upload_date_unix": now,
                    }
                    for upload in files
                ],
            },
        )

    # Training -------------------------------------------------------------------------------------------
    def train(self, voice_id: str, model_id: str | None) -> None:
        """Start training (a job; a training already under way is left alone)."""
        row = self._professional(voice_id)
        self.registry.model(model_id or DEFAULT_MODEL)
        job = self.runner.jobs.get(row.training_job_id) if row.training_job_id else None
        if job is not None and job.status in UNFINISHED:
            return
        samples = self.repository.samples(voice_id)
        if not samples:
            raise InvalidRequest(
                f"Voice {voice_id!r} has no samples: add recordings with POST /v1/voices/pvc/{voice_id}"
                "/samples.",
                code="no_samples",
            )
        if not any(_used(stored) for stored in samples):
            raise InvalidRequest(
                "Every sample of this voice has several speakers and none of them is selected: choose the "
                "voice's speaker with POST .../samples/{sample_id} (selected_speaker_ids).",
                code="no_speaker_selected",
            )
        if self.require_verification and not row.is_verified:
            raise InvalidRequest(
                f"Voice {voice_id!r} is not verified: read a captcha (GET and POST /v1/voices/pvc/{voice_id}"
                "/captcha) before training.",
                code="voice_not_verified",
            )
        job_id = new_id()
        self.repository.update(voice_id, training_job_id=job_id)
        self.runner.submit(
            job_id,
            TRAINING_KIND,
            {"voice_id": voice_id, "model_id": model_id or DEFAULT_MODEL},
            self._training(voice_id),
        )

    def _training(self, voice_id: str) -> Callable[[JobContext], Any]:
        async def work(context: JobContext) -> dict[str, Any]:
            started = time.monotonic()
            stop = threading.Event()

            def report(start: float, end: float) -> Callable[[float], None]:
                def progress(fraction: float) -> None:
                    if stop.is_set():
                        raise _Stopped
                    context.progress(start + (end - start) * fraction)

                return progress

            try:
                speech = await self.registry.run(self._speech, voice_id, None, report(0.0, 0.2))
                if not speech:
                    raise InvalidRequest("The voice's samples have no speech of a selected speaker.")
                async with self.registry.reserve("speaker"):
                    reference = await self.registry.run(self.matcher.reference, speech)
                    context.progress(0.25)
                    cloned = await self.registry.run(
                        self.matcher.match, reference, self.training_effort, report(0.25, 0.95), True
                    )
                converter = (
                    await self._converter_reference(speech) if self.registry.has_engine(OPENVOICE) else None
                )
            except asyncio.CancelledError:
                stop.set()
                raise
            dataset_seconds = round(sum(len(clip) for clip in speech) / dataset.SAMPLE_RATE, 2)
            made = speaker_data(cloned, reference)
            made["training"] = {
                "effort": self.training_effort,
                "dataset_seconds": dataset_seconds,
                "seconds": round(time.monotonic() - started, 2),
            }
            if converter is not None:
                made["converter_reference"] = {
                    "engine": converter.engine,
                    "embedding": base64.b64encode(converter.embedding.astype(np.float32).tobytes()).decode(),
                }
            self.library.repository.update(
                voice_id, VoiceUpdate(engine_spec=spec_json(cloned), speaker_data=made)
            )
            self.repository.update(voice_id, trained_at_unix=int(time.time()))
            voice = self.library.get(voice_id)
            self.blobs.delete(preview_key(voice_id, voice.preview_text))  # the preview spoke the old voice
            return {
                "similarity": cloned.similarity,
                "evaluations": cloned.details.get("evaluations"),
                "dataset_seconds": dataset_seconds,
            }

        return work

    async def _converter_reference(self, speech: list[np.ndarray]) -> SpeakerReference:
        """The OpenVoice converter's reference of the speaker, averaged over the samples."""
        async with self.registry.reserve(OPENVOICE) as converter:
            references = [
                await self.registry.run(converter.reference, clip, dataset.SAMPLE_RATE) for clip in speech
            ]
        return SpeakerReference.average(references)

    def _speech(
        self, voice_id: str, max_seconds: float | None, progress: Callable[[float], None] | None
    ) -> list[np.ndarray]:
        """One 16 kHz clip per sample: the speech of its chosen speakers within its trim (blocking)."""
        clips: list[np.ndarray] = []
        samples = [stored for stored in self.repository.samples(voice_id) if _used(stored)]
        total = 0.0
        for index, stored in enumerate(samples):
            enhancer = self._enhancer() if stored.sample.remove_background_noise else None
            audio = dataset.decoded(self.blobs.get(stored.sample.blob_key), enhancer)
            ranges = _ranges(stored)
            if ranges is None:
                ranges = dataset.speech_regions(audio)
            trim = stored.professional
            ranges = dataset.within(
                ranges,
                None if trim.trim_start_ms is None else trim.trim_start_ms / 1000,
                None if trim.trim_end_ms is None else trim.trim_end_ms / 1000,
            )
            clip = dataset.cut(audio, ranges)
            if max_seconds is not None:
                clip = clip[: int(max(0.0, max_seconds - total) * dataset.SAMPLE_RATE)]
            if len(clip) >= MIN_SPEECH_SECONDS * dataset.SAMPLE_RATE:
                clips.append(clip)
                total += len(clip) / dataset.SAMPLE_RATE
            if progress is not None:
                progress((index + 1) / len(samples))
        return clips


def _ranges(stored: StoredSample) -> dataset.Ranges | None:
    return dataset.training_ranges(stored.professional.speakers, stored.professional.selected_speaker_ids)


def _used(stored: StoredSample) -> bool:
    """Whether training uses the sample: not one of several speakers with none chosen."""
    ranges = _ranges(stored)
    return ranges is None or bool(ranges)


def _checked_duration(upload: UploadedSample) -> float:
    """The sample's length in seconds, once it is known to be audio with enough speech (blocking)."""
    audio = _decoded_upload(upload)
    duration = len(audio) / dataset.SAMPLE_RATE
    if duration > MAX_SAMPLE_SECONDS:
        raise InvalidRequest(
            f"{upload.file_name!r} lasts {duration / 60:.0f} minutes; split it into files of at most "
            f"{MAX_SAMPLE_SECONDS / 60:.0f} minutes.",
            code="sample_too_long",
        )
    _speech_seconds_at_least(upload.file_name, dataset.speech_regions(audio))
    return duration


def _speech_of(upload: UploadedSample) -> np.ndarray:
    """The speech of an uploaded recording, at 16 kHz (blocking)."""
    audio = _decoded_upload(upload)
    regions = dataset.speech_regions(audio)
    _speech_seconds_at_least(upload.file_name, regions)
    return dataset.cut(audio, regions)


def _decoded_upload(upload: UploadedSample) -> np.ndarray:
    try:
        return decode(upload.data, dataset.SAMPLE_RATE).samples
    except AudioDecodeError as error:
        raise InvalidRequest(
            f"{upload.file_name!r} is not an audio file FFmpeg can read ({error}).", code="invalid_audio"
        ) from None


def _speech_seconds_at_least(file_name: str, regions: dataset.Ranges) -> None:
    seconds = sum(end - start for start, end in regions)
    if seconds < MIN_SPEECH_SECONDS:
        raise InvalidRequest(
            f"{file_name!r} has {seconds:.1f} s of speech; at least {MIN_SPEECH_SECONDS:.0f} s is needed.",
            code="sample_too_short",
        )
