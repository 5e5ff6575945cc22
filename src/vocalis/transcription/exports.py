"""Transcript exports: ElevenLabs' `additional_formats` (srt, txt, segmented_json, docx, pdf, html) and
the SRT/WebVTT renderings an OpenAI-style `/v1/audio/transcriptions` endpoint returns.

Every format renders the same segmentation (`segment`): runs of consecutive words and audio events, split
on a speaker change, on a silence longer than a threshold, and before a segment would exceed a duration
or character limit. A null limit disables that criterion; a single word that alone exceeds a limit still
gets a segment of its own.

Shapes where ElevenLabs documents nothing (ours, kept stable):
- txt: one paragraph per segment, `[HH:MM:SS.mmm - HH:MM:SS.mmm] speaker_0: text`, wrapped at
  `max_characters_per_line`, paragraphs separated by a blank line.
- srt: `[speaker_0] ` prefixes the cue text when `include_speakers`; cue times are always written, since a
  cue without times is not SRT, so `include_timestamps` has no effect there.
- segmented_json: `{"language_code", "segments": [{"text", "start_time", "end_time", "speaker_id",
  "words": [{"text", "type", "start_time", "end_time", "speaker_id"}]}]}` (times in seconds; times and
  speaker ids left out when excluded by the options; `words` holds words and audio events, not spacing).
- docx/pdf/html: a "Transcript" heading, then one paragraph per segment, led by the optional time range
  and speaker id. The PDF uses Bitstream Vera (bundled with reportlab; Latin-1 and common punctuation):
  characters it cannot draw fall back to their compatibility or unaccented form, else to "?".
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
import textwrap
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from vocalis.schemas.export_options import (
    AdditionalFormatResponse,
    DocxExportOptions,
    ExportOptions,
    HtmlExportOptions,
    PdfExportOptions,
    SegmentedJsonExportOptions,
    SrtExportOptions,
    TxtExportOptions,
)
from vocalis.transcription.model import TranscriptResult, TranscriptWord

TITLE = "Transcript"

# Characters that XML (docx, html) cannot hold, plus lone surrogates that no UTF-8 encoder accepts.
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_WHITESPACE = re.compile(r"\s+")


@dataclass
class Segment:
    """Consecutive transcript entries rendered as one cue or paragraph."""

    text: str
    start: float
    end: float
    speaker_id: str | None = None
    # Words and audio events in order; spacing entries only contribute to `text`.
    words: list[TranscriptWord] = field(default_factory=list)

    @property
    def avg_logprob(self) -> float:
        """Mean `logprob` of the segment's words (audio events excluded); 0.0 when it has none."""
        logprobs = [word.logprob for word in self.words if word.type == "word"]
        return sum(logprobs) / len(logprobs) if logprobs else 0.0


def _clean(text: str) -> str:
    return _UNSAFE_CHARS.sub("", text)


def _normalise(text: str) -> str:
    # Newlines and tabs inside a segment would break line-oriented formats such as SRT.
    return _WHITESPACE.sub(" ", _clean(text)).strip()


_SRT_DEFAULTS = SrtExportOptions()


def segment(
    result: TranscriptResult,
    *,
    segment_on_silence_longer_than_s: float | None = _SRT_DEFAULTS.segment_on_silence_longer_than_s,
    max_segment_duration_s: float | None = _SRT_DEFAULTS.max_segment_duration_s,
    max_segment_chars: int | None = _SRT_DEFAULTS.max_segment_chars,
    split_on_speaker_change: bool = True,
) -> list[Segment]:
    """Group `result.words` into segments; a transcript without word entries becomes one segment.

    The limits default to the srt ones (cue-sized segments), which suits OpenAI-style `verbose_json`.
    """
    if not any(entry.type != "spacing" for entry in result.words):
        text = _normalise(result.text)
        return [Segment(text=text, start=0.0, end=result.duration)] if text else []

    segments: list[Segment] = []
    current: Segment | None = None
    pending_spacing = ""  # spacing seen since the last token: kept only if the next token joins
    for entry in result.words:
        if entry.type == "spacing":
            pending_spacing += entry.text
            continue
        if current is not None and _starts_new_segment(
            current,
            entry,
            pending_spacing,
            segment_on_silence_longer_than_s,
            max_segment_duration_s,
            max_segment_chars,
            split_on_speaker_change,
        ):
            segments.append(current)
            current = None
        if current is None:
            current = Segment(
                text=entry.text,
                start=entry.start,
                end=entry.end,
                speaker_id=entry.speaker_id,
                words=[entry],
            )
        else:
            current.text += pending_spacing + entry.text
            current.end = max(current.end, entry.end)
            current.words.append(entry)
            current.speaker_id = current.speaker_id or entry.speaker_id
        pending_spacing = ""
    if current is not None:
        segments.append(current)

    for seg in segments:
        seg.text = _normalise(seg.text)
    return [seg for seg in segments if seg.text]


def _starts_new_segment(
    current: Segment,
    entry: TranscriptWord,
    pending_spacing: str,
    silence_s: float | None,
    max_duration_s: float | None,
    max_chars: int | None,
    split_on_speaker_change: bool,
) -> bool:
    if (
        split_on_speaker_change
        and entry.speaker_id is not None
        and current.speaker_id is not None
        and entry.speaker_id != current.speaker_id
    ):
        return True
    if silence_s is not None and entry.start - current.end > silence_s:
        return True
    if max_duration_s is not None and entry.end - current.start > max_duration_s:
        return True
    return max_chars is not None and len(current.text) + len(pending_spacing) + len(entry.text) > max_chars


def _segments_for(result: TranscriptResult, options: Any) -> list[Segment]:
    return segment(
        result,
        segment_on_silence_longer_than_s=options.segment_on_silence_longer_than_s,
        max_segment_duration_s=options.max_segment_duration_s,
        max_segment_chars=options.max_segment_chars,
    )


def _clock(seconds: float, decimal_separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal_separator}{millis:03d}"


def _time_range(seg: Segment) -> str:
    return f"{_clock(seg.start, '.')} - {_clock(seg.end, '.')}"


def _wrap(text: str, width: int | None) -> list[str]:
    if width is None:
        return [text]
    # Breaking long "words" keeps the limit for scripts written without spaces (Japanese, Chinese).
    return textwrap.wrap(text, width=width, break_long_words=True, break_on_hyphens=False) or [""]


def _cue_times(segments: list[Segment]) -> list[tuple[float, float]]:
    """Cue start/end pairs that never overlap the next cue, since subtitles may not overlap."""
    times = []
    for index, seg in enumerate(segments):
        end = seg.end
        if index + 1 < len(segments):
            end = min(end, segments[index + 1].start)
        times.append((seg.start, max(end, seg.start)))
    return times


def _speaker_prefix(seg: Segment, include_speakers: bool, template: str) -> str:
    return template.format(seg.speaker_id) if include_speakers and seg.speaker_id else ""


def to_srt(result: TranscriptResult, options: SrtExportOptions | None = None) -> str:
    """SubRip subtitles: numbered cues, `HH:MM:SS,mmm --> HH:MM:SS,mmm`, wrapped text lines."""
    options = options or _SRT_DEFAULTS
    segments = _segments_for(result, options)
    cues = []
    for number, (seg, (start, end)) in enumerate(zip(segments, _cue_times(segments)), start=1):
        lines = _wrap(
            _speaker_prefix(seg, options.include_speakers, "[{}] ") + seg.text,
            options.max_characters_per_line,
        )
        cues.append(f"{number}\n{_clock(start, ',')} --> {_clock(end, ',')}\n" + "\n".join(lines))
    return "\n\n".join(cues) + "\n" if cues else ""


def to_vtt(result: TranscriptResult, options: SrtExportOptions | None = None) -> str:
    """WebVTT with the same cues as `to_srt`; speakers, when included, become `<v speaker_0>` voice spans."""
    options = options or _SRT_DEFAULTS
    segments = _segments_for(result, options)
    cues = []
    for seg, (start, end) in zip(segments, _cue_times(segments)):
        # WebVTT cue text is markup: `&` and `<` must be escaped.
        lines = [html.escape(line, quote=False) for line in _wrap(seg.text, options.max_characters_per_line)]
        lines[0] = _speaker_prefix(seg, options.include_speakers, "<v {}>") + lines[0]
        cues.append(f"{_clock(start, '.')} --> {_clock(end, '.')}\n" + "\n".join(lines))
    return "WEBVTT\n\n" + "".join(cue + "\n\n" for cue in cues)


def _to_txt(result: TranscriptResult, options: TxtExportOptions) -> str:
    paragraphs = []
    for seg in _segments_for(result, options):
        lead = f"[{_time_range(seg)}] " if options.include_timestamps else ""
        lead += _speaker_prefix(seg, options.include_speakers, "{}: ")
        paragraphs.append("\n".join(_wrap(lead + seg.text, options.max_characters_per_line)))
    return "\n\n".join(paragraphs) + "\n" if paragraphs else ""


def _to_segmented_json(result: TranscriptResult, options: SegmentedJsonExportOptions) -> str:
    def timed(item: dict[str, Any], start: float, end: float, speaker_id: str | None) -> dict[str, Any]:
        if options.include_timestamps:
            item["start_time"] = round(start, 3)
            item["end_time"] = round(end, 3)
        if options.include_speakers and speaker_id is not None:
            item["speaker_id"] = speaker_id
        return item

    segments = [
        {
            **timed({"text": seg.text}, seg.start, seg.end, seg.speaker_id),
            "words": [
                timed({"text": _clean(word.text), "type": word.type}, word.start, word.end, word.speaker_id)
                for word in seg.words
            ],
        }
        for seg in _segments_for(result, options)
    ]
    return json.dumps(
        {"language_code": result.language_code, "segments": segments}, ensure_ascii=False, indent=2
    )


def _paragraph_leads(seg: Segment, options: Any) -> tuple[str | None, str | None]:
    """The optional `[time range]` and `speaker_0:` that lead a paragraph in docx, pdf and html."""
    timestamp = f"[{_time_range(seg)}]" if options.include_timestamps else None
    speaker = f"{seg.speaker_id}:" if options.include_speakers and seg.speaker_id else None
    return timestamp, speaker


def _to_docx(result: TranscriptResult, options: DocxExportOptions) -> bytes:
    # Imported here so that the rest of Vocalis loads without the document libraries.
    from docx import Document
    from docx.shared import RGBColor

    document = Document()
    document.core_properties.title = TITLE
    document.add_heading(TITLE, level=1)
    for seg in _segments_for(result, options):
        paragraph = document.add_paragraph()
        timestamp, speaker = _paragraph_leads(seg, options)
        if timestamp:
            paragraph.add_run(timestamp + " ").font.color.rgb = RGBColor(0x66, 0x66, 0x66)
        if speaker:
            paragraph.add_run(speaker + " ").bold = True
        paragraph.add_run(seg.text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


_PDF_FONT = "VocalisVera"
_PDF_FONT_BOLD = "VocalisVeraBold"


@cache
def _pdf_font_coverage() -> frozenset[int]:
    """Register the PDF fonts once and return the code points both of them can draw."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    regular = TTFont(_PDF_FONT, "Vera.ttf")
    bold = TTFont(_PDF_FONT_BOLD, "VeraBd.ttf")
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(bold)
    return frozenset(regular.face.charToGlyph) & frozenset(bold.face.charToGlyph)


def _pdf_text(text: str) -> str:
    """Text the PDF font can draw, escaped for reportlab's paragraph markup."""
    coverage = _pdf_font_coverage()

    def drawable(chars: str) -> bool:
        return bool(chars) and all(ord(char) in coverage for char in chars)

    out = []
    for char in text:
        if drawable(char):
            out.append(char)
            continue
        compatible = unicodedata.normalize("NFKC", char)  # e.g. full-width letters, ligatures
        unaccented = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        out.append(compatible if drawable(compatible) else unaccented if drawable(unaccented) else "?")
    return xml_escape("".join(out))


def _to_pdf(result: TranscriptResult, options: PdfExportOptions) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    _pdf_font_coverage()  # registers the fonts the styles below name
    title_style = ParagraphStyle("title", fontName=_PDF_FONT_BOLD, fontSize=18, leading=22, spaceAfter=12)
    body_style = ParagraphStyle("body", fontName=_PDF_FONT, fontSize=10.5, leading=14, spaceAfter=6)
    story = [Paragraph(TITLE, title_style)]
    for seg in _segments_for(result, options):
        timestamp, speaker = _paragraph_leads(seg, options)
        markup = ""
        if timestamp:
            markup += f'<font color="#666666">{_pdf_text(timestamp)}</font> '
        if speaker:
            markup += f'<font name="{_PDF_FONT_BOLD}">{_pdf_text(speaker)}</font> '
        story.append(Paragraph(markup + _pdf_text(seg.text), body_style))
    buffer = io.BytesIO()
    # invariant: no creation date or random document id, so equal transcripts give equal bytes.
    SimpleDocTemplate(buffer, pagesize=A4, title=TITLE, creator="Vocalis", invariant=True).build(story)
    return buffer.getvalue()


_HTML_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;line-height:1.5}"
    ".timestamp{color:#666;font-variant-numeric:tabular-nums}.speaker{font-weight:bold}"
)


def _to_html(result: TranscriptResult, options: HtmlExportOptions) -> str:
    paragraphs = []
    for seg in _segments_for(result, options):
        timestamp, speaker = _paragraph_leads(seg, options)
        parts = []
        if timestamp:
            parts.append(f'<span class="timestamp">{html.escape(timestamp)}</span> ')
        if speaker:
            parts.append(f'<span class="speaker">{html.escape(speaker)}</span> ')
        parts.append(f'<span class="text">{html.escape(seg.text)}</span>')
        paragraphs.append(f'<p class="segment">{"".join(parts)}</p>\n')
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        f"<title>{TITLE}</title>\n<style>{_HTML_STYLE}</style>\n</head>\n"
        f"<body>\n<h1>{TITLE}</h1>\n{''.join(paragraphs)}</body>\n</html>\n"
    )


@dataclass(frozen=True)
class _Format:
    file_extension: str
    content_type: str
    render: Callable[[TranscriptResult, Any], str | bytes]


# Content types as ElevenLabs reports them in `additional_formats` (srt is `text/srt` there).
_FORMATS: dict[str, _Format] = {
    "srt": _Format("srt", "text/srt", to_srt),
    "txt": _Format("txt", "text/plain", _to_txt),
    "segmented_json": _Format("json", "application/json", _to_segmented_json),
    "docx": _Format(
        "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", _to_docx
    ),
    "pdf": _Format("pdf", "application/pdf", _to_pdf),
    "html": _Format("html", "text/html", _to_html),
}


def export(result: TranscriptResult, options: ExportOptions) -> AdditionalFormatResponse:
    """Render `result` in the requested format; binary formats come back base64-encoded."""
    spec = _FORMATS[options.format]
    rendered = spec.render(result, options)
    if isinstance(rendered, bytes):
        content, is_base64_encoded = base64.b64encode(rendered).decode("ascii"), True
    else:
        content, is_base64_encoded = rendered, False
    return AdditionalFormatResponse(
        requested_format=options.format,
        file_extension=spec.file_extension,
        content_type=spec.content_type,
        is_base64_encoded=is_base64_encoded,
        content=content,
    )
