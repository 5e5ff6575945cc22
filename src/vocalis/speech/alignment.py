"""Character alignments (`alignment` / `normalized_alignment`): characters with start and end seconds."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Alignment:
    characters: list[str] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)

    def add(self, character: str, start: float, end: float) -> None:
        self.characters.append(character)
        self.starts.append(start)
        self.ends.append(end)

    def extend(self, other: Alignment) -> None:
        self.characters.extend(other.characters)
        self.starts.extend(other.starts)
        self.ends.extend(other.ends)

    def __len__(self) -> int:
        return len(self.characters)

    def shifted(self, seconds: float) -> Alignment:
        """A copy whose times are `seconds` later."""
        return Alignment(
            list(self.characters),
            [start + seconds for start in self.starts],
            [end + seconds for end in self.ends],
        )

    def to_json(self) -> dict:
        return {
            "characters": self.characters,
            "character_start_times_seconds": [round(value, 3) for value in self.starts],
            "character_end_times_seconds": [round(value, 3) for value in self.ends],
        }
