"""What the native frame-by-frame denoisers (DeepFilterNet3, RNNoise) share: chunks of any length regrouped
into the model's fixed frames, and the model's delay taken off, so output sample i is input sample i enhanced.

Each `enhance` call owns one native state, created at its start and freed when it ends or is closed.
"""

from __future__ import annotations

import ctypes
import math
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator

import numpy as np

SAMPLE_RATE = 48000
_FLOAT_BYTES = 4


class FrameDenoiser(ABC):
    """Base of an `Enhancer` over a C library that turns one frame of `frame_length` float samples into one
    frame of output `delay` samples late. Subclasses bind the library in `_open` and name its calls."""

    name: str
    sample_rate = SAMPLE_RATE
    # Factor applied to samples on their way in (and undone on the way out): RNNoise works on 16-bit values.
    input_scale = 1.0

    def __init__(self) -> None:
        self._library: ctypes.CDLL | None = None
        self._lock = threading.Lock()
        self.frame_length = 0
        self.delay = 0

    # Subclass hooks -----------------------------------------------------------------------------------
    @abstractmethod
    def _open(self) -> tuple[ctypes.CDLL, int, int]:
        """Check and load the library: (library, frame length, delay in samples)."""

    @abstractmethod
    def _create_state(self, library: ctypes.CDLL) -> int:
        """A fresh native state (its address) for one stream."""

    @abstractmethod
    def _process_frame(self, library: ctypes.CDLL, state: int, source: int, target: int) -> None:
        """Enhance the frame at address `source` into the frame at address `target`."""

    @abstractmethod
    def _free_state(self, library: ctypes.CDLL, state: int) -> None:
        """Release a state made by `_create_state`."""

    # Enhancer -----------------------------------------------------------------------------------------
    def load(self) -> ctypes.CDLL:
        with self._lock:
            if self._library is None:
                self._library, self.frame_length, self.delay = self._open()
            return self._library

    def unload(self) -> None:
        # A shared library cannot be unloaded safely from Python; forgetting it means the next load checks
        # the files again. Native states belong to their `enhance` calls and are freed there.
        with self._lock:
            self._library = None

    def enhance(self, chunks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        library = self.load()
        state = self._create_state(library)
        try:
            yield from self._aligned(library, state, chunks)
        finally:
            self._free_state(library, state)

    def _aligned(
        self, library: ctypes.CDLL, state: int, chunks: Iterable[np.ndarray]
    ) -> Iterator[np.ndarray]:
        frame = self.frame_length
        held = np.zeros(0, dtype=np.float32)  # input of a frame not yet complete
        received = emitted = 0
        skip = self.delay  # output that precedes the first input sample
        for chunk in chunks:
            chunk = np.asarray(chunk, dtype=np.float32).reshape(-1)
            received += len(chunk)
            held = np.concatenate([held, chunk])
            whole = len(held) - len(held) % frame
            enhanced = self._frames(library, state, held[:whole])[skip:]
            held = held[whole:]
            skip = max(0, skip - whole)
            emitted += len(enhanced)
            if len(enhanced):
                yield enhanced
        # Silence after the end pushes the last `delay` samples and the partial frame through the model.
        padded = math.ceil((len(held) + self.delay) / frame) * frame
        tail = np.concatenate([held, np.zeros(padded - len(held), dtype=np.float32)])
        enhanced = self._frames(library, state, tail)[skip:][: received - emitted]
        if len(enhanced):
            yield enhanced

    def _frames(self, library: ctypes.CDLL, state: int, samples: np.ndarray) -> np.ndarray:
        """Whole frames through the model, one C call each on addresses inside two contiguous buffers."""
        source = np.ascontiguousarray(samples * self.input_scale, dtype=np.float32)
        target = np.empty_like(source)
        step = self.frame_length * _FLOAT_BYTES
        for offset in range(0, source.nbytes, step):
            self._process_frame(library, state, source.ctypes.data + offset, target.ctypes.data + offset)
        if self.input_scale != 1.0:
            target /= self.input_scale
        return target
