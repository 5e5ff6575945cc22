"""The voice library: premade voices from code plus the user's stored voices, with their settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from vocalis.engines.protocols import VoiceSpec
from vocalis.errors import InvalidRequest, NotFound
from vocalis.store.blobs import BlobStore
from vocalis.store.tables import Voice, VoiceSample
from vocalis.store.voices import StoredVoiceSettings, VoiceRepository
from vocalis.voices.premade import PREMADE_VOICES, PremadeVoice

# Labels the server adds to a cloned voice so every client sees how it is rendered (see README, "Voice
# cloning"); they are not stored with the user's labels, so editing labels never removes them.
METHOD_LABEL = "vocalis_clone_method"
SIMILARITY_LABEL = "vocalis_similarity"

DEFAULT_SETTINGS = StoredVoiceSettings(
    stability=0.5, similarity_boost=0.75, style=0.0, use_speaker_boost=True, speed=1.0
)


@dataclass
class LibraryVoice:
    voice_id: str
    name: str
    category: str
    description: str | None
    labels: dict[str, str]
    spec: VoiceSpec
    created_at_unix: int | None = None
    is_legacy: bool = False
    preview_text: str = "Hello! This is a preview of my voice, generated on your own machine."
    samples: list[dict] = field(default_factory=list)
    languages: tuple[str, ...] = ("en",)
    fine_tuning: dict | None = None
    voice_verification: dict | None = None
    # Why the voice cannot speak yet (a professional voice before its first training), else None.
    unavailable: str | None = None


@dataclass
class VoiceState:
    """What a voice's own workflow adds to it: a professional voice's `fine_tuning` and `voice_verification`
    (ElevenLabs' shapes), whether it can speak yet, and fields added to its samples' JSON by sample id."""

    fine_tuning: dict | None = None
    voice_verification: dict | None = None
    unavailable: str | None = None
    samples: dict[str, dict] = field(default_factory=dict)


# Stored voice ids -> the states of those that have one.
VoiceStates = Callable[[list[str]], dict[str, VoiceState]]


def _from_premade(voice: PremadeVoice) -> LibraryVoice:
    return LibraryVoice(
        voice_id=voice.voice_id,
        name=voice.name,
        category="premade",
        description=voice.description,
        labels=dict(voice.labels),
        spec=voice.spec,
        is_legacy=voice.is_legacy,
        preview_text=voice.preview_text,
    )


def sample_json(sample: VoiceSample) -> dict:
    """A sample in the shape of ElevenLabs' `SampleResponseModel`."""
    return {
        "sample_id": sample.sample_id,
        "file_name": sample.file_name,
        "mime_type": sample.mime_type,
        "size_bytes": sample.size_bytes,
        "hash": sample.hash,
        "duration_secs": sample.duration_secs,
        "remove_background_noise": sample.remove_background_noise,
        "has_isolated_audio": False,
        "has_isolated_audio_preview": False,
        "speaker_separation": None,
        "trim_start": None,
        "trim_end": None,
    }


def _from_row(row: Voice, samples: list[VoiceSample], state: VoiceState | None) -> LibraryVoice:
    labels = dict(row.labels or {})
    made = row.speaker_data or {}
    if made.get("method"):
        labels[METHOD_LABEL] = made["method"]
    if made.get("similarity") is not None:
        labels[SIMILARITY_LABEL] = f"{made['similarity']:.3f}"
    state = state or VoiceState()
    return LibraryVoice(
        voice_id=row.voice_id,
        name=row.name,
        category=row.category,
        description=row.description,
        labels=labels,
        spec=spec_from_json(row.engine_spec),
        created_at_unix=row.created_at_unix,
        samples=[{**sample_json(sample), **state.samples.get(sample.sample_id, {})} for sample in samples],
        fine_tuning=state.fine_tuning,
        voice_verification=state.voice_verification,
        unavailable=state.unavailable,
    )


def spec_from_json(data: dict) -> VoiceSpec:
    return VoiceSpec(
        engine=data["engine"],
        blend=tuple((str(name), float(weight)) for name, weight in data["blend"]),
        speed=float(data.get("speed", 1.0)),
        pitch_semitones=float(data.get("pitch_semitones", 0.0)),
        equalizer=tuple((float(hz), float(db)) for hz, db in data.get("equalizer", ())),
    )


class VoiceLibrary:
    def __init__(self, repository: VoiceRepository, blobs: BlobStore, states: VoiceStates | None = None):
        self.repository = repository
        self.blobs = blobs
        self.states = states or (lambda voice_ids: {})
        self._premade = {voice.voice_id: _from_premade(voice) for voice in PREMADE_VOICES}

    def all(self, *, include_legacy: bool = True) -> list[LibraryVoice]:
        premade = [voice for voice in self._premade.values() if include_legacy or not voice.is_legacy]
        samples = self.repository.samples()
        rows = self.repository.list()
        states = self.states([row.voice_id for row in rows])
        stored = [_from_row(row, samples.get(row.voice_id, []), states.get(row.voice_id)) for row in rows]
        return premade + stored

    def is_premade(self, voice_id: str) -> bool:
        return voice_id in self._premade

    def get(self, voice_id: str) -> LibraryVoice:
        voice = self._premade.get(voice_id)
        if voice is not None:
            return voice
        samples = self.repository.samples([voice_id]).get(voice_id, [])
        return _from_row(self.row(voice_id), samples, self.states([voice_id]).get(voice_id))

    def row(self, voice_id: str) -> Voice:
        """The stored voice; 404 when there is none (premade voices are not stored)."""
        row = self.repository.get(voice_id)
        if row is None:
            raise NotFound(f"A voice with voice_id {voice_id!r} was not found.", code="voice_not_found")
        return row

    def delete(self, voice_id: str) -> None:
        if voice_id in self._premade:
            raise InvalidRequest(
                f"Voice {voice_id!r} is a premade voice and cannot be deleted.", code="voice_not_deletable"
            )
        blob_keys = self.repository.delete(voice_id)
        if blob_keys is None:
            raise NotFound(f"A voice with voice_id {voice_id!r} was not found.", code="voice_not_found")
        for key in blob_keys:
            self.blobs.delete(key)

    def settings(self, voice_id: str) -> StoredVoiceSettings:
        self.get(voice_id)
        stored = self.repository.settings(voice_id)
        if stored is None:
            return StoredVoiceSettings(**DEFAULT_SETTINGS.__dict__)
        merged = StoredVoiceSettings(**DEFAULT_SETTINGS.__dict__)
        for name, value in stored.__dict__.items():
            if value is not None:
                setattr(merged, name, value)
        return merged

    def save_settings(self, voice_id: str, settings: StoredVoiceSettings) -> None:
        self.get(voice_id)
        self.repository.save_settings(voice_id, settings)
