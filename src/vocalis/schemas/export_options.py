"""Speech-to-text `additional_formats`: the export option union and the per-format response.

Field names and defaults are verbatim from ElevenLabs' OpenAPI spec (`ExportOptions` and its six members,
`AdditionalFormats`, `AdditionalFormatResponseModel`). A segmentation limit set to null means "no limit on
that criterion". Lower bounds are ours: zero or negative widths and durations have no useful meaning and
would stall line wrapping.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter

# The spec gives the first three fields no default for every format but srt; null = "do not split on it".
_SilenceS = Annotated[float | None, Field(ge=0.0)]
_DurationS = Annotated[float | None, Field(gt=0.0)]
_Chars = Annotated[int | None, Field(gt=0)]


class _ExportOptionsBase(BaseModel):
    include_speakers: bool = True
    include_timestamps: bool = True
    segment_on_silence_longer_than_s: _SilenceS = None
    max_segment_duration_s: _DurationS = None
    max_segment_chars: _Chars = None


class SrtExportOptions(_ExportOptionsBase):
    """Subtitles: the only format whose segmentation limits have non-null defaults."""

    format: Literal["srt"] = "srt"
    max_characters_per_line: _Chars = 42
    include_speakers: bool = False
    segment_on_silence_longer_than_s: _SilenceS = 0.8
    max_segment_duration_s: _DurationS = 4
    max_segment_chars: _Chars = 84


class TxtExportOptions(_ExportOptionsBase):
    format: Literal["txt"] = "txt"
    max_characters_per_line: _Chars = 100


class SegmentedJsonExportOptions(_ExportOptionsBase):
    format: Literal["segmented_json"] = "segmented_json"


class DocxExportOptions(_ExportOptionsBase):
    format: Literal["docx"] = "docx"


class PdfExportOptions(_ExportOptionsBase):
    format: Literal["pdf"] = "pdf"


class HtmlExportOptions(_ExportOptionsBase):
    format: Literal["html"] = "html"


# `format` has a default on each member for convenience in Python, but parsing through the union still
# requires it, as the spec does: pydantic cannot pick a member without the discriminator.
ExportOptions = Annotated[
    SegmentedJsonExportOptions
    | DocxExportOptions
    | PdfExportOptions
    | TxtExportOptions
    | HtmlExportOptions
    | SrtExportOptions,
    Field(discriminator="format"),
]

AdditionalFormats = Annotated[list[ExportOptions], Field(max_length=10)]

# Parses the `additional_formats` multipart field, which clients send as a JSON string.
additional_formats_adapter: TypeAdapter[list[ExportOptions]] = TypeAdapter(AdditionalFormats)


class AdditionalFormatResponse(BaseModel):
    """`AdditionalFormatResponseModel`: one exported file, base64-encoded when binary (docx, pdf)."""

    requested_format: str
    file_extension: str
    content_type: str
    is_base64_encoded: bool
    content: str
