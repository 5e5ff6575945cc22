"""The text buffer of a TTS socket: when buffered text becomes a generation, as ElevenLabs documents it.

Text accumulates until the buffer holds the next `chunk_length_schedule` amount (default 120, 160, 250,
then 290 characters again and again); then the complete words (up to the last sentence end, when there is
one far enough in) are generated and the rest waits. `try_trigger_generation` generates early once a
minimum is buffered; `flush` generates everything; `auto_mode` drops the schedule and generates each
complete sentence as soon as it arrives.
"""

from __future__ import annotations

import re

DEFAULT_SCHEDULE = (120, 160, 250, 290)
SCHEDULE_MIN, SCHEDULE_MAX = 50, 500
# `try_trigger_generation` needs at least this much text: shorter generations sound choppy.
TRY_TRIGGER_MIN_CHARS = 50
# A sentence end is used as the cut when it leaves at least this share of the threshold in the chunk.
SENTENCE_CUT_SHARE = 0.5

_SENTENCE_END = re.compile(r"[.!?…。！？]+[\"')\]]*\s")


def check_schedule(schedule: list[float]) -> tuple[int, ...]:
    """Validate a client's `chunk_length_schedule`; raise ValueError with the reason."""
    if not schedule:
        raise ValueError("chunk_length_schedule must not be empty.")
    values = []
    for value in schedule:
        if not SCHEDULE_MIN <= value <= SCHEDULE_MAX:
            raise ValueError(
                f"chunk_length_schedule values must be between {SCHEDULE_MIN} and {SCHEDULE_MAX}; "
                f"got {value}."
            )
        values.append(int(value))
    return tuple(values)


class TextBuffer:
    def __init__(self, schedule: tuple[int, ...] = DEFAULT_SCHEDULE, *, auto_mode: bool = False):
        self.schedule = schedule
        self.auto_mode = auto_mode
        self.text = ""
        self.generations = 0  # how many chunks have left the buffer (the schedule's position)

    def __len__(self) -> int:
        return len(self.text)

    def threshold(self) -> int:
        return self.schedule[min(self.generations, len(self.schedule) - 1)]

    def add(self, text: str) -> None:
        self.text += text

    def take_ready(self, *, try_trigger: bool = False) -> list[str]:
        """The chunks to generate now (possibly none); they leave the buffer."""
        chunks = []
        while True:
            chunk = self._next_ready(try_trigger)
            if not chunk:
                return chunks
            chunks.append(chunk)

    def take_all(self) -> str | None:
        """Everything buffered (a flush), or None when only whitespace is left."""
        text, self.text = self.text, ""
        if not text.strip():
            return None
        self.generations += 1
        return text

    def _next_ready(self, try_trigger: bool) -> str | None:
        if self.auto_mode:
            cut = _last_end(_SENTENCE_END, self.text, 0)
        else:
            threshold = TRY_TRIGGER_MIN_CHARS if try_trigger else self.threshold()
            complete = _complete_words_end(self.text)
            if complete < threshold:
                return None
            sentence = _last_end(_SENTENCE_END, self.text[:complete], int(threshold * SENTENCE_CUT_SHARE))
            cut = sentence or complete
        if not cut or not self.text[:cut].strip():
            return None
        chunk, self.text = self.text[:cut], self.text[cut:]
        self.generations += 1
        return chunk


def _complete_words_end(text: str) -> int:
    """Index just past the last whitespace: the words before it are complete."""
    stripped = text.rstrip()
    if len(stripped) == len(text):
        space = max(text.rfind(" "), text.rfind("\n"), text.rfind("\t"))
        return space + 1
    return len(text)


def _last_end(pattern: re.Pattern[str], text: str, minimum: int) -> int:
    """Index just past the last match of `pattern` that ends at or beyond `minimum`, else 0."""
    end = 0
    for match in pattern.finditer(text):
        if match.end() >= minimum:
            end = match.end()
    return end
