"""The long-lived objects one server owns, built once from Settings and shared by every request."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from vocalis.config import Settings
from vocalis.engines import downloads, sentence_embedding, text_to_audio
from vocalis.engines.registry import EngineRegistry, installed_engine_names
from vocalis.isolation.service import IsolationService
from vocalis.jobs import JobRunner
from vocalis.pronunciation.dictionaries import PronunciationDictionaries
from vocalis.pvc.service import ProfessionalVoices
from vocalis.pvc.state import ProfessionalStates
from vocalis.sound_effects.service import SoundEffectsService
from vocalis.speech.service import SpeechService
from vocalis.store.api_keys import ApiKeyRepository
from vocalis.store.blobs import BlobStore, open_blob_store
from vocalis.store.database import Database
from vocalis.store.history import HistoryRepository
from vocalis.store.jobs import JobRepository
from vocalis.store.professional import ProfessionalVoiceRepository
from vocalis.store.pronunciation_dictionaries import PronunciationDictionaryRepository
from vocalis.store.transcripts import TranscriptRepository
from vocalis.store.voice_previews import VoicePreviewRepository
from vocalis.store.voices import VoiceRepository
from vocalis.store.webhooks import WebhookRepository
from vocalis.transcription.service import TranscriptionService
from vocalis.voice_changer.service import VoiceChangerService
from vocalis.voice_design.service import VoiceDesignService
from vocalis.voices.cloning import VoiceCloning
from vocalis.voices.library import VoiceLibrary
from vocalis.voices.references import VoiceReferences
from vocalis.voices.similar import SimilarVoiceSearch
from vocalis.webhooks import WebhookSender


def engine_factories(
    settings: Settings, references: Callable[[str], tuple[np.ndarray, int]] | None = None
) -> dict[str, Callable[[], Any]]:
    """Constructors of the installed engines; nothing is imported or loaded until first use. `references`
    turns a voice id into a reference clip for the zero-shot engine (Chatterbox)."""
    factories: dict[str, Callable[[], Any]] = {}
    installed = installed_engine_names()
    if "piper" in installed:
        from vocalis.engines.piper import PiperSynthesizer

        factories["piper"] = lambda: PiperSynthesizer(threads=settings.engine_threads)
    if "kokoro" in installed:
        from vocalis.engines.kokoro import KokoroSynthesizer

        factories["kokoro"] = lambda: KokoroSynthesizer(
            cache_dir=settings.models_dir, threads=settings.engine_threads
        )
    if "whisper" in installed:
        factories["whisper-tiny.en"] = lambda: _whisper("tiny.en", settings)
        factories["whisper-base"] = lambda: _whisper("base", settings)
    if "pocketsphinx" in installed:
        factories["pocketsphinx"] = lambda: _import("vocalis.engines.alignment").PocketsphinxAligner()
    if "speaker" in installed:
        factories["speaker"] = lambda: _import("vocalis.engines.speaker").SpeakerEmbedder(
            threads=settings.engine_threads
        )
    if "resemblyzer" in installed:
        factories["resemblyzer"] = lambda: _import("vocalis.engines.resemblyzer").ResemblyzerEncoder()
    if "deepfilternet3" in installed:
        factories["deepfilternet3"] = lambda: _import("vocalis.engines.deepfilter").DeepFilterEnhancer()
    if "rnnoise" in installed:
        factories["rnnoise"] = lambda: _import("vocalis.engines.rnnoise").RNNoiseEnhancer()
    if "procedural-sfx" in installed:
        factories["procedural-sfx"] = lambda: _import("vocalis.sound_effects.procedural").create()
    if sentence_embedding.available():
        # One thread: a description is a few dozen tokens, and two threads wait on each other whenever the
        # cores are busy rendering.
        factories[sentence_embedding.NAME] = lambda: sentence_embedding.MiniLMEmbedder(threads=1)
    sound_model = downloads.located(
        downloads.STABLE_AUDIO_OPEN, settings.sound_effects_model_path, settings.models_dir
    )
    if "stable-audio-open" in installed and sound_model is not None:
        factories["stable-audio-open"] = lambda: text_to_audio.StableAudioGenerator(
            sound_model.directory,
            digests=sound_model.digests,
            steps=settings.sound_effects_steps,
            threads=settings.engine_threads,
        )
    openvoice = downloads.located(downloads.OPENVOICE_V2, settings.openvoice_path, settings.models_dir)
    if "openvoice" in installed and openvoice is not None:
        factories["openvoice-v2"] = lambda: _import("vocalis.engines.openvoice").OpenVoiceConverter(
            openvoice.directory, openvoice.digests, threads=settings.engine_threads
        )
    chatterbox = downloads.located(downloads.CHATTERBOX, settings.chatterbox_path, settings.models_dir)
    if "chatterbox" in installed and chatterbox is not None:
        factories["chatterbox"] = lambda: _import("vocalis.engines.chatterbox").ChatterboxSynthesizer(
            chatterbox.directory, chatterbox.digests, threads=settings.engine_threads, references=references
        )
    parler = downloads.located(downloads.PARLER_TTS_MINI, settings.parler_path, settings.models_dir)
    if "parler-tts" in installed and parler is not None:
        factories["parler-tts"] = lambda: _import("vocalis.engines.parler").ParlerSynthesizer(
            parler.directory, parler.digests, threads=settings.engine_threads
        )
    return factories


def _import(module: str) -> Any:
    return importlib.import_module(module)


def _whisper(model: str, settings: Settings) -> Any:
    return _import("vocalis.engines.whisper").WhisperRecognizer(
        model, cache_dir=settings.models_dir, threads=settings.engine_threads
    )


@dataclass
class Services:
    settings: Settings
    database: Database
    blobs: BlobStore
    registry: EngineRegistry
    api_keys: ApiKeyRepository
    voices: VoiceLibrary
    voice_references: VoiceReferences
    cloning: VoiceCloning
    similar_voices: SimilarVoiceSearch
    professional: ProfessionalVoices
    history: HistoryRepository
    speech: SpeechService
    pronunciation_dictionaries: PronunciationDictionaries
    transcripts: TranscriptRepository
    transcription: TranscriptionService
    webhooks: WebhookRepository
    jobs: JobRepository
    runner: JobRunner
    webhook_sender: WebhookSender
    isolation: IsolationService
    sound_effects: SoundEffectsService
    voice_design: VoiceDesignService
    voice_changer: VoiceChangerService

    @classmethod
    def open(cls, settings: Settings) -> Services:
        settings.home_dir.mkdir(parents=True, exist_ok=True)
        database = Database(settings.resolved_database_url)
        database.migrate()
        blobs = open_blob_store(settings.resolved_blob_url)
        # Chatterbox hears voices through their reference clips, which need the registry's other engines.
        registry = EngineRegistry(
            engine_factories(settings, lambda voice_id: references.clip(voice_id)),
            concurrency=settings.engine_concurrency,
            queue_size=settings.engine_queue_size,
            idle_unload_seconds=settings.engine_idle_unload_seconds,
        )
        professional_voices = ProfessionalVoiceRepository(database)
        voices = VoiceLibrary(
            VoiceRepository(database),
            blobs,
            ProfessionalStates(professional_voices, settings.pvc_require_verification),
        )
        references = VoiceReferences(voices, registry, settings.isolation_engine)
        history = HistoryRepository(database, blobs)
        api_keys = ApiKeyRepository(database)
        if settings.api_key:
            api_keys.create("VOCALIS_API_KEY", settings.api_key)
        webhooks = WebhookRepository(database)
        jobs = JobRepository(database)
        dictionaries = PronunciationDictionaries(PronunciationDictionaryRepository(database))
        speech = SpeechService(registry, voices, history, dictionaries)
        transcription = TranscriptionService(registry)
        cloning = VoiceCloning(
            registry, voices, settings.isolation_engine, settings.models_dir / "voice-probe-renders"
        )
        runner = JobRunner(jobs)
        return cls(
            settings=settings,
            database=database,
            blobs=blobs,
            registry=registry,
            api_keys=api_keys,
            voices=voices,
            voice_references=references,
            cloning=cloning,
            similar_voices=SimilarVoiceSearch(registry, voices, cloning.matcher),
            professional=ProfessionalVoices(
                registry,
                voices,
                professional_voices,
                cloning.matcher,
                transcription,
                runner,
                isolation_engine=settings.isolation_engine,
                training_effort=settings.pvc_training_effort,
                require_verification=settings.pvc_require_verification,
                max_upload_bytes=settings.max_upload_bytes,
            ),
            history=history,
            speech=speech,
            pronunciation_dictionaries=dictionaries,
            transcripts=TranscriptRepository(database),
            transcription=transcription,
            webhooks=webhooks,
            jobs=jobs,
            runner=runner,
            webhook_sender=WebhookSender(webhooks),
            isolation=IsolationService(
                registry, history, settings.isolation_engine, settings.max_upload_bytes
            ),
            sound_effects=SoundEffectsService(registry, history),
            voice_design=VoiceDesignService(
                registry, VoicePreviewRepository(database, blobs), voices, history, cloning.matcher
            ),
            voice_changer=VoiceChangerService(speech, transcription, history, settings.isolation_engine),
        )

    def close(self) -> None:
        self.registry.close()
        self.database.close()
