"""Professional voice cloning through the official SDK against live servers: `voices.pvc.create/update`,
`samples.create/update/delete`, sample audio and waveform, speaker separation, the captcha, manual
verification and `train`; every JSON body validated with the SDK's models and the OpenAPI spec.

The captcha test needs a speaker who can read a captcha shown only now: a premade TTS voice is that speaker.
Its samples and its reading are both its own speech, so the reading passes; the same words read by another
voice, or other words read by it, fail. Training runs on real recordings (the corpus' Eagle speaker 1), on a
server of its own that is stopped mid-training and started again on the same home.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
from elevenlabs.client import ElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.types import (
    AddVoiceResponseModel,
    DeleteVoiceSampleResponseModel,
    RequestPvcManualVerificationResponseModel,
    SpeakerAudioResponseModel,
    SpeakerSeparationResponseModel,
    StartPvcVoiceTrainingResponseModel,
    StartSpeakerSeparationResponseModel,
    VerifyPvcVoiceCaptchaResponseModel,
    Voice,
    VoiceSample,
    VoiceSamplePreviewResponseModel,
    VoiceSampleVisualWaveformResponseModel,
)
from sdk_support import (
    GEORGE,
    RACHEL,
    TEST_API_KEY,
    assert_elevenlabs_error,
    assert_matches_spec,
    live_server,
    validate,
    validate_list,
)

from tests.e2e.cloning_quality import EVALUATION_TEXT, similarity, speech_only
from tests.unit.openvoice_support import TINY_CONFIG, write_converter
from vocalis.audio import decode
from vocalis.config import Settings
from vocalis.pvc.captcha import letters

pytestmark = pytest.mark.slow

PVC = "/v1/voices/pvc/{voice_id}"
SAMPLE = PVC + "/samples/{sample_id}"
READING = (
    "The old lighthouse keeper climbed the stairs every evening to light the lamp. Ships passing in the "
    "night trusted his small bright window more than any map."
)


def _voice(sdk: ElevenLabs, voice_id: str) -> Voice:
    body = sdk.voices.with_raw_response.get(voice_id)._response.json()
    assert_matches_spec("/v1/voices/{voice_id}", "get", body)
    return validate(Voice, body)


def _speech(sdk: ElevenLabs, voice_id: str, text: str) -> bytes:
    return b"".join(sdk.text_to_speech.convert(voice_id, text=text, seed=3))


def _refused(call, status: int, code: str) -> None:
    with pytest.raises(ApiError) as refused:
        call()
    assert refused.value.status_code == status, refused.value.body
    assert_elevenlabs_error(refused.value.body, code)


def test_samples_separation_and_captcha(sdk: ElevenLabs, corpus: Path):
    created = sdk.voices.pvc.with_raw_response.create(
        name="Lighthouse", language="en", description="George's own voice", labels={"use_case": "narration"}
    )
    assert_matches_spec("/v1/voices/pvc", "post", created._response.json())
    voice_id = validate(AddVoiceResponseModel, created._response.json()).voice_id
    edited = sdk.voices.pvc.with_raw_response.update(voice_id, description="Read by George")
    assert validate(AddVoiceResponseModel, edited._response.json()).voice_id == voice_id

    conversation = (corpus / "diarization" / "pyannote_sample.wav").read_bytes()
    added = sdk.voices.pvc.samples.with_raw_response.create(
        voice_id,
        files=[
            ("reading.mp3", _speech(sdk, GEORGE, READING), "audio/mpeg"),
            ("talk.wav", conversation, "audio/wav"),
        ],
    )
    assert_matches_spec(PVC + "/samples", "post", added._response.json())
    reading, talk = validate_list(VoiceSample, added._response.json())
    assert talk.duration_secs == pytest.approx(30.0) and talk.speaker_separation.status == "not_started"

    voice = _voice(sdk, voice_id)
    assert voice.category == "professional" and voice.description == "Read by George"
    assert voice.fine_tuning.state["eleven_multilingual_v2"] == "not_started"
    assert voice.voice_verification.requires_verification and [s.file_name for s in voice.samples] == [
        "reading.mp3",
        "talk.wav",
    ]
    _refused(lambda: _speech(sdk, voice_id, "Not yet."), 400, "voice_not_fine_tuned")

    preview = sdk.voices.pvc.samples.audio.with_raw_response.get(voice_id, reading.sample_id)._response.json()
    assert_matches_spec(SAMPLE + "/audio", "get", preview)
    preview = validate(VoiceSamplePreviewResponseModel, preview)
    assert decode(base64.b64decode(preview.audio_base_64)).duration_seconds == pytest.approx(
        reading.duration_secs, abs=0.1
    )
    waveform = sdk.voices.pvc.samples.waveform.with_raw_response.get(
        voice_id, talk.sample_id
    )._response.json()
    assert_matches_spec(SAMPLE + "/waveform", "get", waveform)
    assert len(validate(VoiceSampleVisualWaveformResponseModel, waveform).visual_waveform) == 1000

    # The two people of a real telephone-style conversation.
    started = sdk.voices.pvc.samples.speakers.with_raw_response.separate(voice_id, talk.sample_id)
    assert validate(StartSpeakerSeparationResponseModel, started._response.json()).status == "ok"
    assert_matches_spec(SAMPLE + "/separate-speakers", "post", started._response.json())
    for _ in range(600):
        body = sdk.voices.pvc.samples.speakers.with_raw_response.get(
            voice_id, talk.sample_id
        )._response.json()
        if body["status"] in ("completed", "failed"):
            break
        time.sleep(0.1)
    assert_matches_spec(SAMPLE + "/speakers", "get", body)
    separation = validate(SpeakerSeparationResponseModel, body)
    assert separation.status == "completed" and sorted(separation.speakers) == ["speaker_0", "speaker_1"]
    speaker = sdk.voices.pvc.samples.speakers.audio.with_raw_response.get(
        voice_id, talk.sample_id, "speaker_1"
    )
    assert_matches_spec(SAMPLE + "/speakers/{speaker_id}/audio", "get", speaker._response.json())
    speaker_audio = validate(SpeakerAudioResponseModel, speaker._response.json())
    assert speaker_audio.duration_secs == pytest.approx(
        separation.speakers["speaker_1"].duration_secs, abs=0.01
    )
    chosen = sdk.voices.pvc.samples.with_raw_response.update(
        voice_id, talk.sample_id, selected_speaker_ids=["speaker_1"]
    )
    assert validate(AddVoiceResponseModel, chosen._response.json()).voice_id == voice_id
    assert sdk.voices.pvc.samples.speakers.get(voice_id, talk.sample_id).selected_speaker_ids == ["speaker_1"]
    # The conversation is someone else's voice: it leaves the dataset.
    deleted = sdk.voices.pvc.samples.with_raw_response.delete(voice_id, talk.sample_id)
    assert validate(DeleteVoiceSampleResponseModel, deleted._response.json()).status == "ok"

    _refused(lambda: sdk.voices.pvc.train(voice_id), 400, "voice_not_verified")

    def captcha() -> str:
        shown = sdk.voices.pvc.verification.captcha.with_raw_response.get(voice_id)
        assert base64.b64decode(shown._response.json()).startswith(b"\x89PNG")
        return shown.headers["x-vocalis-captcha-text"]

    def read(voice: str, text: str):
        return sdk.voices.pvc.verification.captcha.with_raw_response.verify(
            voice_id, recording=("captcha.mp3", _speech(sdk, voice, text), "audio/mpeg")
        )

    passed = read(GEORGE, captcha())
    assert validate(VerifyPvcVoiceCaptchaResponseModel, passed._response.json()).status == "ok"
    assert_matches_spec(PVC + "/captcha", "post", passed._response.json())
    _refused(lambda: read(RACHEL, captcha()), 400, "verification_failed")
    _refused(
        lambda: read(GEORGE, f"{captcha().split()[0]} I would rather say something else today."),
        400,
        "verification_failed",
    )
    _refused(lambda: read(GEORGE, "Nothing was asked."), 400, "captcha_not_requested")

    verification = _voice(sdk, voice_id).voice_verification
    accepted, other_voice, other_words = verification.verification_attempts
    assert verification.is_verified and not verification.requires_verification
    assert accepted.accepted and accepted.similarity >= 0.8
    assert accepted.levenshtein_distance <= 0.35 * len(letters(accepted.text))
    assert not other_voice.accepted and other_voice.similarity < 0.8
    assert not other_words.accepted and other_words.similarity >= 0.8
    assert len(verification.verification_failures) == 2

    manual = sdk.voices.pvc.verification.with_raw_response.request(
        voice_id, files=[("passport.pdf", b"%PDF-1.4", "application/pdf")], extra_text="For the record."
    )
    assert_matches_spec(PVC + "/verification", "post", manual._response.json())
    assert validate(RequestPvcManualVerificationResponseModel, manual._response.json()).status == "ok"
    assert _voice(sdk, voice_id).fine_tuning.manual_verification_requested
    sdk.voices.delete(voice_id)


def test_bad_requests_are_refused(sdk: ElevenLabs):
    _refused(lambda: sdk.voices.pvc.update(GEORGE, name="Mine"), 400, "voice_not_editable")
    _refused(lambda: sdk.voices.pvc.train("no-such-voice"), 404, "voice_not_found")
    _refused(lambda: sdk.voices.pvc.create(name="X", language="klingon"), 400, "invalid_language")
    voice_id = sdk.voices.pvc.create(name="Empty", language="en").voice_id
    _refused(lambda: sdk.voices.pvc.train(voice_id), 400, "no_samples")
    _refused(lambda: sdk.voices.pvc.samples.audio.get(voice_id, "no-such-sample"), 404, "sample_not_found")
    _refused(
        lambda: sdk.voices.pvc.samples.speakers.separate(voice_id, "no-such-sample"), 404, "sample_not_found"
    )
    sdk.voices.delete(voice_id)


def test_training_survives_a_restart_and_matches_at_least_as_well_as_instant_cloning(
    tmp_path: Path, model_cache: Path, corpus: Path
):
    settings = Settings(
        home=tmp_path / "home",
        model_cache=model_cache,
        api_key=TEST_API_KEY,
        pvc_require_verification=False,  # the corpus speaker cannot read a captcha
        pvc_training_effort=1.5,
        # A tiny converter of OpenVoice v2's architecture (random weights): training keeps its reference.
        openvoice_path=write_converter(tmp_path / "openvoice", TINY_CONFIG),
    )
    folder = corpus / "voice_reference"
    names = ["picovoice_eagle_speaker_1_utt_1.wav", "picovoice_eagle_speaker_1_utt_2.wav"]
    files = [(name, (folder / name).read_bytes(), "audio/wav") for name in names]

    with live_server(settings) as first:
        sdk = ElevenLabs(api_key=TEST_API_KEY, base_url=first.url, timeout=120)
        voice_id = sdk.voices.pvc.create(name="Eagle one", language="en").voice_id
        sdk.voices.pvc.samples.create(voice_id, files=files)
        started = sdk.voices.pvc.with_raw_response.train(voice_id, model_id="eleven_multilingual_v2")
        assert_matches_spec(PVC + "/train", "post", started._response.json())
        assert validate(StartPvcVoiceTrainingResponseModel, started._response.json()).status == "ok"
        # Stop the server once the voice search is under way (its first candidate scored).
        while (progress := _voice(sdk, voice_id).fine_tuning.progress["eleven_multilingual_v2"]) < 0.26:
            time.sleep(0.2)

    with live_server(settings) as second:
        sdk = ElevenLabs(api_key=TEST_API_KEY, base_url=second.url, timeout=120)
        states, progresses = [], []
        began = time.monotonic()
        while True:
            fine_tuning = _voice(sdk, voice_id).fine_tuning
            states.append(fine_tuning.state["eleven_multilingual_v2"])
            progresses.append(fine_tuning.progress["eleven_multilingual_v2"])
            if states[-1] in ("fine_tuned", "failed"):
                break
            time.sleep(0.5)
        seconds = time.monotonic() - began
        assert states[-1] == "fine_tuned", fine_tuning.message
        assert progresses == sorted(progresses) and progresses[0] < progress and progresses[-1] == 1.0
        assert set(fine_tuning.state.values()) == {"fine_tuned"}
        trained = _voice(sdk, voice_id)
        assert trained.fine_tuning.dataset_duration_seconds > 15
        row = second.server.config.app.state.services.voices.row(voice_id)
        stored = row.speaker_data
        # Training fits an equalizer to the speaker's spectrum, kept only where the encoders prefer it.
        fitted = stored["details"]
        assert fitted["equalizer_strength"] in (0.0, 0.5, 0.75, 1.0)
        assert stored["similarity"] >= fitted["similarity_unequalized"]
        assert ("equalizer" in row.engine_spec) == (fitted["equalizer_strength"] > 0)
        assert stored["converter_reference"]["engine"] == "openvoice-v2"
        assert (
            len(base64.b64decode(stored["converter_reference"]["embedding"]))
            == 4 * TINY_CONFIG["model"]["gin_channels"]
        )

        instant_id = sdk.voices.ivc.create(name="Eagle one, instant", files=files).voice_id
        instant = _voice(sdk, instant_id)
        held_out = speech_only(folder / "picovoice_eagle_speaker_1_test_utt.wav")
        judged = {
            name: similarity(decode(_speech(sdk, vid, EVALUATION_TEXT), 16000).samples, held_out)
            for name, vid in (("trained", voice_id), ("instant", instant_id))
        }
    searched = {
        "trained": float(trained.labels["vocalis_similarity"]),
        "instant": float(instant.labels["vocalis_similarity"]),
    }
    print(f"\ntraining after the restart: {seconds:.0f} s; search similarity {searched}; held-out {judged}")
    assert searched["trained"] > searched["instant"]
    assert judged["trained"] >= judged["instant"] - 0.02
