"""The one user of a self-hosted server: a stable id derived from its home folder, as ElevenLabs reports a
`user_id` (`GET /v1/user`) and a creator (`created_by`) on what the user makes."""

from __future__ import annotations

import hashlib
from pathlib import Path


def user_id(home_dir: Path) -> str:
    return hashlib.sha256(str(home_dir).encode()).hexdigest()[:28]
