"""Pronunciation dictionaries through the ASGI app: the endpoints, their versions and errors, and dictionaries
applied on every TTS path (HTTP, with-timestamps, dialogue, the stream-input socket) on the real engines."""

from __future__ import annotations

import base64
import time

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from vocalis.pronunciation import pls

BASE = "/v1/pronunciation-dictionaries"
GEORGE = "JBFqnCBsd6RMkjVDRZzb"  # Piper-backed, fast
RACHEL = "21m00Tcm4TlvDq8ikWAM"  # Kokoro-backed
DICTIONARY_PLS = """<?xml version="1.0" encoding="UTF-8"?>
<lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon"
         alphabet="ipa" xml:lang="en-US">
  <lexeme><grapheme>tomato</grapheme><grapheme>Tomato</grapheme><phoneme>/tə'mɑːtoʊ/</phoneme></lexeme>
  <lexeme><grapheme>Vocalis</grapheme><alias>Voice Calis</alias></lexeme>
</lexicon>
""".encode()
ALIAS = {"type": "alias", "string_to_replace": "Vocalis", "alias": "Voice Calis"}


def create(client: TestClient, name: str = "example", rules: list | None = None) -> dict:
    response = client.post(f"{BASE}/add-from-rules", json={"name": name, "rules": rules or [ALIAS]})
    assert response.status_code == 200, response.text
    return response.json()


def error(response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.json()["detail"]["status"] == code, response.text
    return response.json()["detail"]["message"]


def test_a_dictionary_from_a_pls_file_and_its_versions(client: TestClient):
    created = client.post(
        f"{BASE}/add-from-file",
        data={"name": "Example", "description": "Names", "workspace_access": "viewer"},
        files={"file": ("dictionary.pls", DICTIONARY_PLS, "application/pls+xml")},
    )
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["name"] == "Example" and body["description"] == "Names"
    assert body["version_rules_num"] == 3 and body["permission_on_resource"] == "admin"
    assert body["created_by"] == client.get("/v1/user").json()["user_id"]
    first = body["version_id"]

    got = client.get(f"{BASE}/{body['id']}").json()
    assert got["latest_version_id"] == first and got["latest_version_rules_num"] == 3
    assert got["rules"] == [
        {
            "type": "phoneme",
            "string_to_replace": word,
            "phoneme": "/tə'mɑːtoʊ/",
            "alphabet": "ipa",
            "case_sensitive": True,
            "word_boundaries": True,
        }
        for word in ("tomato", "Tomato")
    ] + [{**ALIAS, "case_sensitive": True, "word_boundaries": True}]

    # Every change of rules is a new version; each version keeps its own rules.
    added = client.post(
        f"{BASE}/{body['id']}/add-rules",
        json={"rules": [{"type": "alias", "string_to_replace": "UN", "alias": "United Nations"}, ALIAS]},
    ).json()
    assert added["id"] == body["id"] and added["version_rules_num"] == 4 and added["version_id"] != first
    removed = client.post(
        f"{BASE}/{body['id']}/remove-rules", json={"rule_strings": ["tomato", "Tomato", "x"]}
    )
    assert removed.json()["version_rules_num"] == 2
    replaced = client.post(
        f"{BASE}/{body['id']}/set-rules",
        json={
            "rules": [
                {
                    "type": "phoneme",
                    "string_to_replace": "Madison",
                    "phoneme": "M AE1 D IH0 S AH0 N",
                    "alphabet": "cmu-arpabet",
                }
            ]
        },
    ).json()
    assert replaced["version_rules_num"] == 1
    versions = [first, added["version_id"], removed.json()["version_id"], replaced["version_id"]]
    assert len(set(versions)) == 4
    counts = []
    for version in versions:
        download = client.get(f"{BASE}/{body['id']}/{version}/download")
        assert download.status_code == 200
        assert download.headers["content-disposition"] == f'attachment; filename="{body["id"]}_{version}.pls"'
        counts.append(len(pls.parse(download.content)))
    assert counts == [3, 4, 2, 1]
    assert b'alphabet="x-cmu-arpabet"' in client.get(f"{BASE}/{body['id']}/{versions[-1]}/download").content


def test_rename_and_archive_keep_the_version(client: TestClient):
    made = create(client, "before")
    patched = client.patch(f"{BASE}/{made['id']}", json={"name": "after", "archived": True}).json()
    assert patched["name"] == "after" and patched["latest_version_id"] == made["version_id"]
    assert isinstance(patched["archived_time_unix"], int)
    listed = [d["id"] for d in client.get(BASE).json()["pronunciation_dictionaries"]]
    assert made["id"] not in listed
    archived = client.get(BASE, params={"include_archived": True}).json()["pronunciation_dictionaries"]
    assert made["id"] in [d["id"] for d in archived]
    restored = client.patch(f"{BASE}/{made['id']}", json={"archived": False}).json()
    assert "archived_time_unix" not in restored or restored["archived_time_unix"] is None


def test_list_pages_in_either_order(client: TestClient):
    made = []
    for name in ("delta", "alpha", "echo", "charlie", "bravo"):
        made.append(create(client, name)["id"])
        time.sleep(0.002)  # creation times are kept to the millisecond

    def walk(**params) -> list[str]:
        names, cursor = [], None
        while True:
            page = client.get(
                BASE, params={**params, "page_size": 2, **({"cursor": cursor} if cursor else {})}
            )
            assert page.status_code == 200, page.text
            body = page.json()
            assert len(body["pronunciation_dictionaries"]) <= 2
            names += [d["name"] for d in body["pronunciation_dictionaries"]]
            if not body["has_more"]:
                assert body["next_cursor"] is None
                return names
            cursor = body["next_cursor"]

    assert walk(sort="name", sort_direction="ascending") == ["alpha", "bravo", "charlie", "delta", "echo"]
    assert walk(sort="name", sort_direction="DESCENDING") == ["echo", "delta", "charlie", "bravo", "alpha"]
    newest_first = client.get(BASE).json()["pronunciation_dictionaries"]
    assert [d["id"] for d in newest_first] == made[::-1]
    assert walk() == ["bravo", "charlie", "echo", "alpha", "delta"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 101}, "page_size"),
        ({"sort": "voices"}, "sort must be"),
        ({"sort_direction": "up"}, "sort_direction"),
        ({"cursor": "bm90IGEgY3Vyc29y"}, "cursor"),
    ],
)
def test_bad_list_parameters(client: TestClient, params: dict, message: str):
    assert message in error(client.get(BASE, params=params), 400, "invalid_parameters")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lexicon [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<lexicon version="1.0" alphabet="ipa"><lexeme><grapheme>&b;</grapheme><alias>x</alias></lexeme></lexicon>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE lexicon [<!ENTITY s SYSTEM "file:///etc/hostname">]>
<lexicon version="1.0" alphabet="ipa"><lexeme><grapheme>a</grapheme><alias>&s;</alias></lexeme></lexicon>"""


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"<lexicon><lexeme>", "invalid_pls_file"),
        (BILLION_LAUGHS, "invalid_pls_file"),
        (EXTERNAL, "invalid_pls_file"),
        (
            b'<lexicon version="1.0" alphabet="klingon"><lexeme><grapheme>a</grapheme><phoneme>b</phoneme>'
            b"</lexeme></lexicon>",
            "unsupported_alphabet",
        ),
        (b"<lexicon>" + b" " * (2 << 20) + b"</lexicon>", "file_too_large"),
    ],
    ids=["malformed", "entity-expansion", "external-entity", "unknown-alphabet", "too-large"],
)
def test_bad_lexicon_files_are_refused(client: TestClient, data: bytes, code: str):
    response = client.post(f"{BASE}/add-from-file", data={"name": "bad"}, files={"file": ("d.pls", data)})
    error(response, 400, code)
    assert client.get(BASE).json()["pronunciation_dictionaries"] == []


def test_bad_rules_and_unknown_dictionaries(client: TestClient):
    unknown_alphabet = {"type": "phoneme", "string_to_replace": "a", "phoneme": "b", "alphabet": "sampa"}
    assert "sampa" in error(
        client.post(f"{BASE}/add-from-rules", json={"name": "x", "rules": [unknown_alphabet]}),
        400,
        "unsupported_alphabet",
    )
    bad_arpabet = {**unknown_alphabet, "phoneme": "Q9 XX", "alphabet": "cmu-arpabet"}
    error(
        client.post(f"{BASE}/add-from-rules", json={"name": "x", "rules": [bad_arpabet]}),
        400,
        "invalid_pronunciation_rule",
    )
    missing_alias = {"type": "alias", "string_to_replace": "a"}
    assert (
        client.post(f"{BASE}/add-from-rules", json={"name": "x", "rules": [missing_alias]}).status_code == 422
    )
    made = create(client)
    error(
        client.post(f"{BASE}/{made['id']}/add-rules", json={"rules": [unknown_alphabet]}),
        400,
        "unsupported_alphabet",
    )
    assert client.get(f"{BASE}/{made['id']}").json()["latest_version_id"] == made["version_id"]
    for response in (
        client.get(f"{BASE}/nope"),
        client.patch(f"{BASE}/nope", json={"name": "x"}),
        client.post(f"{BASE}/nope/add-rules", json={"rules": [ALIAS]}),
        client.post(f"{BASE}/nope/remove-rules", json={"rule_strings": ["a"]}),
        client.get(f"{BASE}/nope/{made['version_id']}/download"),
    ):
        error(response, 404, "pronunciation_dictionary_not_found")
    error(client.get(f"{BASE}/{made['id']}/nope/download"), 404, "pronunciation_dictionary_version_not_found")


def tts(client: TestClient, text: str, locators: list | None, voice: str = GEORGE):
    return client.post(
        f"/v1/text-to-speech/{voice}/with-timestamps",
        json={"text": text, "model_id": "eleven_flash_v2_5", "pronunciation_dictionary_locators": locators},
    )


def test_tts_applies_the_located_version_and_keeps_alignments_on_the_request_text(client: TestClient):
    made = create(client)
    newer = client.post(
        f"{BASE}/{made['id']}/add-rules",
        json={"rules": [{"type": "alias", "string_to_replace": "UN", "alias": "United Nations"}]},
    ).json()
    text = "Vocalis joined the UN in 2024."
    for locator, spoken in (
        (
            {"pronunciation_dictionary_id": made["id"], "version_id": made["version_id"]},
            "Voice Calis joined the UN",
        ),
        ({"pronunciation_dictionary_id": made["id"]}, "Voice Calis joined the United Nations"),
        (
            {"pronunciation_dictionary_id": made["id"], "version_id": newer["version_id"]},
            "Voice Calis joined the United Nations",
        ),
    ):
        response = tts(client, text, [locator])
        assert response.status_code == 200, response.text
        body = response.json()
        assert "".join(body["alignment"]["characters"]) == text
        assert "".join(body["normalized_alignment"]["characters"]).startswith(spoken)
        assert "".join(body["normalized_alignment"]["characters"]).endswith("twenty-four.")


@pytest.mark.parametrize(
    ("locators", "code"),
    [
        ([{"pronunciation_dictionary_id": "nope"}], "pronunciation_dictionary_not_found"),
        ("version", "pronunciation_dictionary_version_not_found"),
        ("four", "too_many_pronunciation_dictionaries"),
    ],
)
def test_tts_with_bad_locators(client: TestClient, locators, code: str):
    made = create(client)
    if locators == "version":
        locators = [{"pronunciation_dictionary_id": made["id"], "version_id": "nope"}]
    elif locators == "four":
        locators = [{"pronunciation_dictionary_id": made["id"]}] * 4
    error(tts(client, "Vocalis.", locators), 400, code)
    response = client.post(
        f"/v1/text-to-speech/{GEORGE}/stream",
        json={"text": "Vocalis.", "pronunciation_dictionary_locators": locators},
    )
    error(response, 400, code)


def test_dialogue_lines_use_the_dictionaries(client: TestClient):
    made = create(client)
    inputs = [
        {"text": "Welcome to Vocalis.", "voice_id": RACHEL},
        {"text": "Vocalis, indeed.", "voice_id": GEORGE},
    ]
    response = client.post(
        "/v1/text-to-dialogue/with-timestamps",
        json={
            "inputs": inputs,
            "pronunciation_dictionary_locators": [{"pronunciation_dictionary_id": made["id"]}],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "".join(body["alignment"]["characters"]) == "Welcome to Vocalis. Vocalis, indeed."
    assert "".join(body["normalized_alignment"]["characters"]).count("Voice Calis") == 2


def test_the_tts_socket_uses_the_dictionaries_of_its_initialize_message(client: TestClient):
    made = create(client)
    url = f"/v1/text-to-speech/{GEORGE}/stream-input?output_format=pcm_16000&model_id=eleven_flash_v2_5"
    with client.websocket_connect(url) as ws:
        ws.send_json(
            {"text": " ", "pronunciation_dictionary_locators": [{"pronunciation_dictionary_id": made["id"]}]}
        )
        ws.send_json({"text": "Welcome to Vocalis, the server. "})
        ws.send_json({"text": ""})
        messages = []
        with pytest.raises(WebSocketDisconnect):
            while True:
                messages.append(ws.receive_json())
    spelled = "".join("".join(m["alignment"]["chars"]) for m in messages if m.get("alignment"))
    normalized = "".join(
        "".join(m["normalizedAlignment"]["chars"]) for m in messages if m.get("normalizedAlignment")
    )
    assert spelled.split() == "Welcome to Vocalis, the server.".split()
    assert "Voice Calis" in normalized
    assert sum(len(base64.b64decode(m["audio"])) for m in messages if m.get("audio")) > 16000

    with client.websocket_connect(url) as ws:
        ws.send_json(
            {
                "text": " ",
                "pronunciation_dictionary_locators": [{"pronunciation_dictionary_id": made["id"]}] * 4,
            }
        )
        message = ws.receive_json()
        assert message["error"] == "too_many_pronunciation_dictionaries"


def test_each_multi_stream_context_has_the_dictionaries_of_its_first_message(client: TestClient):
    made = create(client)
    url = f"/v1/text-to-speech/{GEORGE}/multi-stream-input?output_format=pcm_16000&model_id=eleven_flash_v2_5"
    locators = [{"pronunciation_dictionary_id": made["id"], "version_id": made["version_id"]}]
    with client.websocket_connect(url) as ws:
        ws.send_json({"text": " ", "context_id": "with", "pronunciation_dictionary_locators": locators})
        ws.send_json({"text": "Vocalis speaks. ", "context_id": "with", "flush": True})
        ws.send_json({"text": "Vocalis speaks. ", "context_id": "without", "flush": True})
        ws.send_json({"close_socket": True})
        messages = []
        with pytest.raises(WebSocketDisconnect):
            while True:
                messages.append(ws.receive_json())
    for context_id, spoken in (("with", "Voice Calis speaks."), ("without", "Vocalis speaks.")):
        mine = [m for m in messages if m.get("contextId") == context_id and m.get("normalizedAlignment")]
        assert "".join("".join(m["alignment"]["chars"]) for m in mine).strip() == "Vocalis speaks."
        assert "".join("".join(m["normalizedAlignment"]["chars"]) for m in mine).strip() == spoken
