"""Transcript exports: segmentation, every `additional_formats` format read back, and the option models."""

from __future__ import annotations

import base64
import io
import json
import re
from html.parser import HTMLParser

import pytest
from pydantic import ValidationError

from vocalis.schemas.export_options import (
    DocxExportOptions,
    HtmlExportOptions,
    PdfExportOptions,
    SegmentedJsonExportOptions,
    SrtExportOptions,
    TxtExportOptions,
    additional_formats_adapter,
)
from vocalis.transcription.exports import export, segment, to_srt, to_vtt
from vocalis.transcription.model import TranscriptResult, TranscriptWord

UNICODE_LINE = "café — naïve 日本"
_SRT_LIMITS = {"segment_on_silence_longer_than_s": 0.8, "max_segment_duration_s": 4, "max_segment_chars": 84}
LONG_LINE = "and this is a rather long sentence that keeps on going so that subtitles must wrap it"


def _spoken(text: str, speaker: str, start: float, step: float = 0.3) -> list[TranscriptWord]:
    """One word every `step` seconds, each lasting `step - 0.05` s."""
    return [
        TranscriptWord(word, start + i * step, start + i * step + step - 0.05, speaker_id=speaker)
        for i, word in enumerate(text.split(" "))
    ]


def _transcript() -> TranscriptResult:
    tokens = (
        _spoken(f"Hello there, {UNICODE_LINE}.", "speaker_0", 0.0)
        + [TranscriptWord("(laughter)", 1.8, 2.4, type="audio_event", speaker_id="speaker_0")]
        # A 2.6 s pause, then the same speaker again.
        + _spoken("We are back.", "speaker_0", 5.0)
        + _spoken("Great <script>alert(1)</script> & welcome.", "speaker_1", 6.2)
        + _spoken(LONG_LINE, "speaker_1", 7.8)
    )
    # Scribe-style `spacing` entries between consecutive tokens, spanning the gap.
    words = tokens[:1]
    for previous, token in zip(tokens, tokens[1:]):
        words += [
            TranscriptWord(" ", previous.end, token.start, type="spacing", speaker_id=previous.speaker_id),
            token,
        ]
    return TranscriptResult(
        language_code="eng",
        language_probability=0.98,
        text="".join(w.text for w in words),
        words=words,
        duration=14.0,
    )


def _decoded(options: object) -> bytes:
    response = export(_transcript(), options)  # type: ignore[arg-type]
    assert response.is_base64_encoded
    return base64.b64decode(response.content)


# --- segmentation ------------------------------------------------------------------------------


def test_segment_splits_on_speaker_and_silence_only_when_unlimited() -> None:
    segments = segment(
        _transcript(),
        segment_on_silence_longer_than_s=1.0,
        max_segment_duration_s=None,
        max_segment_chars=None,
    )
    assert [s.speaker_id for s in segments] == ["speaker_0", "speaker_0", "speaker_1"]
    assert segments[0].text == f"Hello there, {UNICODE_LINE}. (laughter)"
    assert segments[1].text == "We are back."
    assert segments[2].text.startswith("Great <script>alert(1)</script> & welcome. and this")
    assert segments[0].words[-1].type == "audio_event"
    assert all(w.type != "spacing" for s in segments for w in s.words)
    assert segments[1].start == 5.0 and segments[0].end == 2.4


def test_segment_silence_threshold_is_strict_and_optional() -> None:
    result = _transcript()
    merged = segment(
        result, segment_on_silence_longer_than_s=None, max_segment_duration_s=None, max_segment_chars=None
    )
    assert [s.text for s in merged][0].endswith("(laughter) We are back.")
    # The pause is 2.6 s: a 2.6 s threshold is not exceeded, 2.5 s is.
    kept = segment(
        result, segment_on_silence_longer_than_s=2.6, max_segment_duration_s=None, max_segment_chars=None
    )
    split = segment(
        result, segment_on_silence_longer_than_s=2.5, max_segment_duration_s=None, max_segment_chars=None
    )
    assert len(kept) == 2 and len(split) == 3


def test_segment_char_and_duration_limits() -> None:
    result = _transcript()
    by_chars = segment(
        result, segment_on_silence_longer_than_s=None, max_segment_duration_s=None, max_segment_chars=20
    )
    assert len(by_chars) > 5
    # Only "<script>alert(1)</script>" alone is longer than the limit.
    assert all(len(s.text) <= 20 or " " not in s.text for s in by_chars)
    by_time = segment(
        result, segment_on_silence_longer_than_s=None, max_segment_duration_s=1.0, max_segment_chars=None
    )
    assert all(s.end - s.start <= 1.0 + 1e-9 for s in by_time)


def test_segment_without_speaker_split_and_without_words() -> None:
    joined = segment(
        _transcript(),
        segment_on_silence_longer_than_s=None,
        max_segment_duration_s=None,
        max_segment_chars=None,
        split_on_speaker_change=False,
    )
    assert len(joined) == 1
    bare = TranscriptResult("eng", 1.0, "  Just\ttext.\n", duration=3.0)
    (only,) = segment(
        bare, segment_on_silence_longer_than_s=0.8, max_segment_duration_s=4, max_segment_chars=84
    )
    assert (only.text, only.start, only.end, only.speaker_id) == ("Just text.", 0.0, 3.0, None)
    assert to_srt(TranscriptResult("eng", 1.0, "")) == ""


def test_segment_defaults_are_the_srt_limits_and_average_logprob() -> None:
    result = _transcript()
    result.words[0].logprob = -0.5  # "Hello"; the other words of that segment have 0.0
    defaults = segment(result)
    assert [s.text for s in defaults] == [s.text for s in segment(result, **_SRT_LIMITS)]
    assert defaults[0].avg_logprob == pytest.approx(-0.5 / 6)


# --- srt / vtt ---------------------------------------------------------------------------------

_CUE = re.compile(r"(\d+)\n(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})\n((?:.+\n?)+)")


def _parse_srt(text: str) -> list[tuple[int, float, float, list[str]]]:
    assert text.endswith("\n")
    cues = []
    for block in text.strip("\n").split("\n\n"):
        match = _CUE.fullmatch(block)
        assert match, block
        g = [int(x) for x in match.groups()[:9]]
        start = g[1] * 3600 + g[2] * 60 + g[3] + g[4] / 1000
        end = g[5] * 3600 + g[6] * 60 + g[7] + g[8] / 1000
        cues.append((g[0], start, end, match.group(10).splitlines()))
    return cues


def test_srt_cues_are_numbered_ordered_and_wrapped() -> None:
    response = export(_transcript(), SrtExportOptions())
    assert (response.requested_format, response.file_extension, response.content_type) == (
        "srt",
        "srt",
        "text/srt",
    )
    assert not response.is_base64_encoded
    cues = _parse_srt(response.content)
    assert [c[0] for c in cues] == list(range(1, len(cues) + 1))
    previous_end = 0.0
    for _, start, end, lines in cues:
        assert previous_end <= start <= end and end - start <= 4.0
        assert all(len(line) <= 42 for line in lines)
        previous_end = end
    assert cues[0][1] == 0.0
    text = " ".join(" ".join(c[3]) for c in cues)
    assert UNICODE_LINE in text and "(laughter)" in text and "[speaker_" not in text


def test_srt_speakers_line_width_and_silence_options() -> None:
    narrow = to_srt(_transcript(), SrtExportOptions(include_speakers=True, max_characters_per_line=16))
    cues = _parse_srt(narrow)
    assert cues[0][3][0] == "[speaker_0]"  # "[speaker_0] Hello" would be 17 characters
    assert any(c[3][0].startswith("[speaker_1]") for c in cues)
    assert all(len(line) <= 16 for c in cues for line in c[3])
    # With no silence split, "(laughter)" and "We are back." share a cue despite the pause.
    merged = to_srt(
        _transcript(), SrtExportOptions(segment_on_silence_longer_than_s=None, max_segment_duration_s=None)
    )
    assert any("(laughter) We are back." in " ".join(c[3]) for c in _parse_srt(merged))
    assert not any("(laughter) We are back." in " ".join(c[3]) for c in _parse_srt(to_srt(_transcript())))


def test_vtt_escapes_and_marks_voices() -> None:
    plain = to_vtt(_transcript())
    assert plain.startswith("WEBVTT\n\n")
    assert re.search(r"^00:00:00\.000 --> 00:00:0\d\.\d{3}$", plain, re.M)
    assert "&lt;script&gt;" in plain and "<script>" not in plain and "<v " not in plain
    voiced = to_vtt(_transcript(), SrtExportOptions(include_speakers=True))
    assert "<v speaker_0>Hello there," in voiced and "<v speaker_1>" in voiced


# --- txt / segmented_json ----------------------------------------------------------------------


def test_txt_defaults_and_options() -> None:
    response = export(_transcript(), TxtExportOptions(segment_on_silence_longer_than_s=1.0))
    assert (response.file_extension, response.content_type, response.is_base64_encoded) == (
        "txt",
        "text/plain",
        False,
    )
    paragraphs = response.content.rstrip("\n").split("\n\n")
    assert paragraphs[0].startswith("[00:00:00.000 - 00:00:02.400] speaker_0: Hello there, café")
    assert all(len(line) <= 100 for line in response.content.splitlines())

    bare = export(_transcript(), TxtExportOptions(include_timestamps=False, include_speakers=False)).content
    assert bare.startswith(f"Hello there, {UNICODE_LINE}.") and "speaker_" not in bare and "[00:" not in bare
    narrow = export(_transcript(), TxtExportOptions(max_characters_per_line=30, max_segment_chars=40)).content
    assert all(len(line) <= 30 for line in narrow.splitlines())
    assert len(narrow.split("\n\n")) > len(paragraphs)


def test_segmented_json_shape_and_options() -> None:
    response = export(_transcript(), SegmentedJsonExportOptions(segment_on_silence_longer_than_s=1.0))
    assert (response.file_extension, response.content_type) == ("json", "application/json")
    data = json.loads(response.content)
    assert data["language_code"] == "eng"
    first = data["segments"][0]
    assert set(first) == {"text", "start_time", "end_time", "speaker_id", "words"}
    assert first["text"].startswith(f"Hello there, {UNICODE_LINE}")
    assert first["words"][0] == {
        "text": "Hello",
        "type": "word",
        "start_time": 0.0,
        "end_time": 0.25,
        "speaker_id": "speaker_0",
    }
    assert {w["type"] for s in data["segments"] for w in s["words"]} == {"word", "audio_event"}
    assert [s["speaker_id"] for s in data["segments"]] == ["speaker_0", "speaker_0", "speaker_1"]

    slim = json.loads(
        export(
            _transcript(), SegmentedJsonExportOptions(include_speakers=False, include_timestamps=False)
        ).content
    )
    assert all(set(s) == {"text", "words"} for s in slim["segments"])
    assert all(set(w) == {"text", "type"} for s in slim["segments"] for w in s["words"])
    chunked = json.loads(export(_transcript(), SegmentedJsonExportOptions(max_segment_chars=30)).content)
    assert len(chunked["segments"]) > len(data["segments"])


# --- docx / pdf / html -------------------------------------------------------------------------


def test_docx_reopens_with_heading_and_segments() -> None:
    from docx import Document

    document = Document(io.BytesIO(_decoded(DocxExportOptions())))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "Transcript" and document.paragraphs[0].style.name == "Heading 1"
    # No silence limit by default outside srt: one paragraph per speaker turn.
    assert (
        texts[1]
        == f"[00:00:00.000 - 00:00:05.850] speaker_0: Hello there, {UNICODE_LINE}. (laughter) We are back."
    )
    assert any("<script>alert(1)</script> & welcome." in t for t in texts)
    bare = Document(io.BytesIO(_decoded(DocxExportOptions(include_speakers=False, include_timestamps=False))))
    assert bare.paragraphs[1].text == f"Hello there, {UNICODE_LINE}. (laughter) We are back."


def test_pdf_text_extracts_and_unicode_degrades() -> None:
    from pypdf import PdfReader

    data = _decoded(PdfExportOptions())
    assert data.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    text = " ".join(text.split())
    for expected in ("Transcript", "speaker_0:", "speaker_1:", "café", "naïve", "(laughter)", "We are back."):
        assert expected in text
    assert "<script>alert(1)</script> & welcome." in text
    # The bundled font has no CJK glyphs: they become "?" rather than failing or drawing blanks.
    assert "??" in text
    bare = " ".join(
        PdfReader(io.BytesIO(_decoded(PdfExportOptions(include_speakers=False))))
        .pages[0]
        .extract_text()
        .split()
    )
    assert "speaker_0" not in bare and "00:00:00.000" in bare


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.data: list[str] = []
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.data.append(data)


def test_html_is_an_escaped_html5_document() -> None:
    response = export(_transcript(), HtmlExportOptions())
    assert (response.file_extension, response.content_type, response.is_base64_encoded) == (
        "html",
        "text/html",
        False,
    )
    parser = _Collector()
    parser.feed(response.content)
    parser.close()
    assert parser.doctype == "DOCTYPE html"
    assert "script" not in parser.tags and {"html", "head", "meta", "title", "body", "h1", "p"} <= set(
        parser.tags
    )
    text = "".join(parser.data)
    assert "<script>alert(1)</script> & welcome." in text and UNICODE_LINE in text
    assert "speaker_1:" in text and "[00:00:06.200 - " in text
    bare = export(_transcript(), HtmlExportOptions(include_speakers=False, include_timestamps=False)).content
    assert "speaker_" not in bare and "timestamp" not in bare.split("</style>")[1]


# --- option models -----------------------------------------------------------------------------


def test_options_parse_with_spec_defaults() -> None:
    parsed = additional_formats_adapter.validate_json(
        '[{"format": "srt"}, {"format": "txt", "include_speakers": false}, {"format": "segmented_json"},'
        ' {"format": "docx"}, {"format": "pdf"}, {"format": "html", "max_segment_chars": null}]'
    )
    srt, txt, seg_json, docx, pdf, html_options = parsed
    assert isinstance(srt, SrtExportOptions) and srt.model_dump() == {
        "format": "srt",
        "max_characters_per_line": 42,
        "include_speakers": False,
        "include_timestamps": True,
        "segment_on_silence_longer_than_s": 0.8,
        "max_segment_duration_s": 4,
        "max_segment_chars": 84,
    }
    assert (
        isinstance(txt, TxtExportOptions) and txt.max_characters_per_line == 100 and not txt.include_speakers
    )
    for options in (seg_json, docx, pdf, html_options):
        assert options.include_speakers and options.include_timestamps
        assert options.segment_on_silence_longer_than_s is None and options.max_segment_chars is None
    assert [type(o) for o in parsed[2:]] == [
        SegmentedJsonExportOptions,
        DocxExportOptions,
        PdfExportOptions,
        HtmlExportOptions,
    ]


@pytest.mark.parametrize(
    "raw",
    [
        "[{}]",
        '[{"format": "vtt"}]',
        '[{"format": "srt", "max_characters_per_line": 0}]',
        '[{"format": "txt", "max_segment_duration_s": -1}]',
        json.dumps([{"format": "txt"}] * 11),
    ],
)
def test_options_reject_invalid(raw: str) -> None:
    with pytest.raises(ValidationError):
        additional_formats_adapter.validate_json(raw)


def test_every_format_exports() -> None:
    for options in additional_formats_adapter.validate_python(
        [{"format": f} for f in ("srt", "txt", "segmented_json", "docx", "pdf", "html")]
    ):
        response = export(_transcript(), options)
        assert response.requested_format == options.format
        assert response.is_base64_encoded == (options.format in {"docx", "pdf"})
        assert response.content
