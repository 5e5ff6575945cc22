"""The load-on-first-use handling every engine shares: nothing is read at construction, the first use reads
the model under a lock (so a concurrent `unload()` cannot interleave), and `unload()` drops it until the
next use (the registry unloads engines that sat idle).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import Any


class LazyModel(ABC):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model: Any = None

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        self._load()

    def _load(self) -> Any:
        """The model, read first if it is not loaded."""
        with self._lock:
            if self._model is None:
                self._model = self._read()
            return self._model

    def unload(self) -> None:
        with self._lock:
            self._model = None
            self._forget()

    @abstractmethod
    def _read(self) -> Any:
        """Read the weights and return the model (called under the lock)."""

    def _forget(self) -> None:  # noqa: B027 - optional hook; most engines keep no derived caches
        """Drop caches derived from the loaded model (called by `unload`, under the lock)."""
