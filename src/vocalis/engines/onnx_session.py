"""The lazily created onnxruntime session that the ONNX engines share the handling of (see `LazyModel`)."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from vocalis.engines.lazy import LazyModel


class LazyOnnxSession(LazyModel):
    def __init__(self, threads: int) -> None:
        super().__init__()
        self._threads = threads

    def _read(self) -> Any:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        return self._open(onnxruntime, options)

    @abstractmethod
    def _open(self, onnxruntime: Any, options: Any) -> Any:
        """Read the weights (and any side data) and return the `onnxruntime.InferenceSession`."""
