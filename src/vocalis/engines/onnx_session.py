"""The lazily created onnxruntime session that the ONNX engines share the handling of.

Nothing is loaded at construction; the first call creates the session under a lock (so a concurrent
`unload()` cannot interleave), and `unload()` drops it until the next use.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import Any


class LazyOnnxSession(ABC):
    def __init__(self, threads: int) -> None:
        self._threads = threads
        self._lock = threading.Lock()
        self._session: Any = None

    @property
    def loaded(self) -> bool:
        return self._session is not None

    def load(self) -> None:
        self._load()

    def _load(self) -> Any:
        with self._lock:
            if self._session is None:
                import onnxruntime

                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = self._threads
                options.inter_op_num_threads = 1
                self._session = self._open(onnxruntime, options)
            return self._session

    def unload(self) -> None:
        with self._lock:
            self._session = None
            self._forget()

    @abstractmethod
    def _open(self, onnxruntime: Any, options: Any) -> Any:
        """Read the weights (and any side data) and return the `onnxruntime.InferenceSession`."""

    def _forget(self) -> None:  # noqa: B027 - optional hook; most engines keep no derived caches
        """Drop caches derived from the loaded model (called by `unload`, under the lock)."""
