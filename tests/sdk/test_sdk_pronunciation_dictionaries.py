"""Pronunciation dictionaries through the official SDK against a live server: every endpoint validated with
the SDK's models and the OpenAPI spec, and the proof that a dictionary changes what is said, heard by Whisper
over HTTP and through the TTS WebSocket with locators in its initialize message."""

from __future__ import annotations

import base64
import json
import re
import uuid

import pytest
import websockets
from e2e import quality
from elevenlabs import (
    AddPronunciationDictionaryResponseModel,
    GetPronunciationDictionariesMetadataResponseModel,
    GetPronunciationDictionaryMetadataResponse,
    GetPronunciationDictionaryWithRulesResponseModel,
    InitializeConnection,
    PronunciationDictionaryLocator,
    PronunciationDictionaryRulesResponseModel,
    PronunciationDictionaryVersionLocator,
)
from elevenlabs import (
    BodyAddAPronunciationDictionaryV1PronunciationDictionariesAddFromRulesPostRulesItem_Alias as AddAlias,
)
from elevenlabs import (
    BodyAddAPronunciationDictionaryV1PronunciationDictionariesAddFromRulesPostRulesItem_Phoneme as AddPhoneme,
)
from elevenlabs.client import ElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.pronunciation_dictionaries.rules.types import (
    PronunciationDictionaryRule_Alias,
    PronunciationDictionaryRule_Phoneme,
)
from sdk_support import (
    FAST_MODEL,
    GEORGE,
    TEST_API_KEY,
    LiveServer,
    assert_elevenlabs_error,
    assert_matches_spec,
    pcm16,
    validate,
)

from vocalis.audio import decode, resample
from vocalis.pronunciation import pls

pytestmark = pytest.mark.slow

BASE = "/v1/pronunciation-dictionaries"
# ElevenLabs' tutorial dictionary, with an alias added.
TUTORIAL_PLS = """<?xml version="1.0" encoding="UTF-8"?>
<lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon"
         alphabet="ipa" xml:lang="en-US">
  <lexeme><grapheme>tomato</grapheme><phoneme>/tə'meɪtoʊ/</phoneme></lexeme>
  <lexeme><grapheme>Tomato</grapheme><phoneme>/tə'meɪtoʊ/</phoneme></lexeme>
  <lexeme><grapheme>UN</grapheme><alias>United Nations</alias></lexeme>
</lexicon>
""".encode()
# The proof: an alias re-spells a name, phoneme rules (Arpabet and IPA) make words sound like other words.
PROOF_RULES = [
    AddAlias(string_to_replace="Vocalis", alias="Voice Calis"),
    AddPhoneme(string_to_replace="tomato", phoneme="P AH0 T EY1 T OW2", alphabet="cmu-arpabet"),
    AddPhoneme(string_to_replace="apple", phoneme="ˈɔːɹɪndʒ", alphabet="ipa"),
]
PROOF_TEXT = "Welcome to Vocalis. I would like a tomato and an apple, please."


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def heard(audio: bytes) -> list[str]:
    return quality.wer_words(quality.transcribe(decode(audio, sample_rate=quality.SAMPLE_RATE).samples))


def test_the_tutorial_flow(sdk: ElevenLabs):
    """ElevenLabs' "Using pronunciation dictionaries" tutorial, call for call."""
    raw = sdk.pronunciation_dictionaries.with_raw_response.create_from_file(
        file=TUTORIAL_PLS, name=unique("example"), description="tutorial", workspace_access="viewer"
    )
    body = raw._response.json()
    assert_matches_spec(f"{BASE}/add-from-file", "post", body)
    created = validate(AddPronunciationDictionaryResponseModel, body)
    assert created.version_rules_num == 3 and created.description == "tutorial"

    removed = sdk.pronunciation_dictionaries.rules.with_raw_response.remove(
        pronunciation_dictionary_id=created.id, rule_strings=["tomato", "Tomato"]
    )
    assert_matches_spec(
        f"{BASE}/{{pronunciation_dictionary_id}}/remove-rules", "post", removed._response.json()
    )
    after_removal = validate(PronunciationDictionaryRulesResponseModel, removed._response.json())
    assert after_removal.version_rules_num == 1 and after_removal.version_id != created.version_id

    added = sdk.pronunciation_dictionaries.rules.with_raw_response.add(
        pronunciation_dictionary_id=created.id,
        rules=[
            PronunciationDictionaryRule_Phoneme(
                type="phoneme", alphabet="ipa", string_to_replace="tomato", phoneme="/tə'meɪtoʊ/"
            ),
            PronunciationDictionaryRule_Phoneme(
                type="phoneme", alphabet="ipa", string_to_replace="Tomato", phoneme="/tə'meɪtoʊ/"
            ),
        ],
    )
    assert_matches_spec(f"{BASE}/{{pronunciation_dictionary_id}}/add-rules", "post", added._response.json())
    after_adding = validate(PronunciationDictionaryRulesResponseModel, added._response.json())
    assert after_adding.version_rules_num == 3

    for version_id in (created.version_id, after_removal.version_id, after_adding.version_id):
        audio = b"".join(
            sdk.text_to_speech.convert(
                text="With the dictionary: tomato",
                voice_id=GEORGE,
                model_id=FAST_MODEL,
                pronunciation_dictionary_locators=[
                    PronunciationDictionaryVersionLocator(
                        pronunciation_dictionary_id=created.id, version_id=version_id
                    )
                ],
            )
        )
        assert decode(audio).duration_seconds > 1.0

    got = sdk.pronunciation_dictionaries.with_raw_response.get(created.id)
    body = got._response.json()
    assert_matches_spec(f"{BASE}/{{pronunciation_dictionary_id}}", "get", body)
    dictionary = validate(GetPronunciationDictionaryWithRulesResponseModel, body)
    assert dictionary.latest_version_id == after_adding.version_id
    assert [rule.string_to_replace for rule in dictionary.rules] == ["UN", "tomato", "Tomato"]
    assert dictionary.rules[1].type == "phoneme" and dictionary.rules[0].type == "alias"


def test_set_update_list_and_download(sdk: ElevenLabs):
    name = unique("managed")
    created = sdk.pronunciation_dictionaries.create_from_rules(
        name=name, rules=[AddAlias(string_to_replace="UN", alias="United Nations", case_sensitive=True)]
    )
    replaced = sdk.pronunciation_dictionaries.rules.with_raw_response.set(
        pronunciation_dictionary_id=created.id,
        rules=[
            PronunciationDictionaryRule_Alias(string_to_replace="Vocalis", alias="Voice Calis"),
            PronunciationDictionaryRule_Phoneme(
                string_to_replace="Madison", phoneme="M AE1 D IH0 S AH0 N", alphabet="cmu-arpabet"
            ),
        ],
    )
    version = validate(PronunciationDictionaryRulesResponseModel, replaced._response.json())
    assert version.version_rules_num == 2

    renamed = sdk.pronunciation_dictionaries.with_raw_response.update(created.id, name=f"{name}-renamed")
    assert_matches_spec(f"{BASE}/{{pronunciation_dictionary_id}}", "patch", renamed._response.json())
    metadata = validate(GetPronunciationDictionaryMetadataResponse, renamed._response.json())
    assert metadata.name == f"{name}-renamed" and metadata.latest_version_id == version.version_id

    listed = sdk.pronunciation_dictionaries.with_raw_response.list(
        page_size=100, sort="name", sort_direction="ascending"
    )
    body = listed._response.json()
    assert_matches_spec(BASE, "get", body)
    page = validate(GetPronunciationDictionariesMetadataResponseModel, body)
    names = [d.name for d in page.pronunciation_dictionaries]
    assert f"{name}-renamed" in names and names == sorted(names)

    archived = sdk.pronunciation_dictionaries.update(created.id, archived=True)
    assert archived.archived_time_unix is not None
    ids = [d.id for d in sdk.pronunciation_dictionaries.list(page_size=100).pronunciation_dictionaries]
    assert created.id not in ids
    everything = sdk.pronunciation_dictionaries.list(page_size=100, include_archived=True)
    assert created.id in [d.id for d in everything.pronunciation_dictionaries]

    first = b"".join(sdk.pronunciation_dictionaries.download(created.id, created.version_id))
    latest = b"".join(sdk.pronunciation_dictionaries.download(created.id, version.version_id))
    assert [rule.string_to_replace for rule in pls.parse(first)] == ["UN"]
    assert [(rule.type, rule.alphabet) for rule in pls.parse(latest)] == [
        ("alias", None),
        ("phoneme", "cmu-arpabet"),
    ]
    assert b'xmlns="http://www.w3.org/2005/01/pronunciation-lexicon"' in latest


def test_errors_come_in_elevenlabs_shape(sdk: ElevenLabs):
    with pytest.raises(ApiError) as malformed:
        sdk.pronunciation_dictionaries.create_from_file(file=b"<lexicon><lexeme>", name=unique("bad"))
    assert malformed.value.status_code == 400
    assert_elevenlabs_error(malformed.value.body, "invalid_pls_file")
    with pytest.raises(ApiError) as missing:
        sdk.pronunciation_dictionaries.get("missing-dictionary")
    assert missing.value.status_code == 404
    assert_elevenlabs_error(missing.value.body, "pronunciation_dictionary_not_found")
    with pytest.raises(ApiError) as too_many:
        audio = sdk.text_to_speech.convert(
            voice_id=GEORGE,
            text="Hello.",
            pronunciation_dictionary_locators=[
                PronunciationDictionaryVersionLocator(pronunciation_dictionary_id="missing-dictionary")
            ]
            * 4,
        )
        b"".join(audio)  # the request goes out as the audio is read
    assert too_many.value.status_code == 400
    assert_elevenlabs_error(too_many.value.body, "too_many_pronunciation_dictionaries")


@pytest.fixture(scope="module")
def proof_dictionary(sdk: ElevenLabs) -> AddPronunciationDictionaryResponseModel:
    return sdk.pronunciation_dictionaries.create_from_rules(name=unique("proof"), rules=PROOF_RULES)


def test_a_dictionary_changes_what_whisper_hears(sdk: ElevenLabs, proof_dictionary):
    def say(locators) -> list[str]:
        audio = sdk.text_to_speech.convert(
            voice_id=GEORGE,
            text=PROOF_TEXT,
            model_id=FAST_MODEL,
            output_format="mp3_44100_128",
            pronunciation_dictionary_locators=locators,
            seed=7,  # the same take every run
        )
        return heard(b"".join(audio))

    plain = say(None)
    assert {"tomato", "apple"} <= set(plain) and not {"potato", "orange", "voice"} & set(plain), plain
    respelled = say([PronunciationDictionaryVersionLocator(pronunciation_dictionary_id=proof_dictionary.id)])
    assert {"voice", "potato", "orange"} <= set(respelled), respelled
    assert not {"tomato", "apple"} & set(respelled), respelled


async def test_the_socket_speaks_with_the_initialize_messages_dictionaries(
    server: LiveServer, proof_dictionary
):
    url = server.url.replace("http", "ws", 1) + f"/v1/text-to-speech/{GEORGE}/stream-input"
    url += f"?model_id={FAST_MODEL}&output_format=pcm_16000&seed=7"
    initialize = InitializeConnection(
        text=" ",
        pronunciation_dictionary_locators=[
            PronunciationDictionaryLocator(
                pronunciation_dictionary_id=proof_dictionary.id, version_id=proof_dictionary.version_id
            )
        ],
    )
    async with websockets.connect(url, additional_headers={"xi-api-key": TEST_API_KEY}) as ws:
        await ws.send(json.dumps(initialize.model_dump(exclude_none=True)))
        for word in PROOF_TEXT.split():
            await ws.send(json.dumps({"text": word + " "}))
        await ws.send(json.dumps({"text": ""}))
        messages = [json.loads(frame) async for frame in ws]
    pcm = b"".join(base64.b64decode(m["audio"]) for m in messages if m.get("audio"))
    words = quality.wer_words(quality.transcribe(resample(pcm16(pcm), 16000, quality.SAMPLE_RATE)))
    assert {"voice", "potato", "orange"} <= set(words) and not {"tomato", "apple"} & set(words), words
    spelled = "".join("".join(m["alignment"]["chars"]) for m in messages if m.get("alignment"))
    assert re.sub(r"\s+", " ", spelled).strip() == PROOF_TEXT
