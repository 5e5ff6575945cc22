"""RNNoise voice isolation (BSD-3-Clause), the fast alternative to DeepFilterNet3: the library of `pyrnnoise`
(Apache-2.0), whose model is compiled in, bound directly with ctypes. The package's Python wrapper is not
used: importing it pulls in plotting and progress-bar libraries.

48 kHz mono in frames of 480 samples (10 ms), on 16-bit-scaled floats. Measured on one core: about 0.04 x
real time.
"""

from __future__ import annotations

import ctypes
import os

from vocalis.engines import weights
from vocalis.engines.denoiser import FrameDenoiser
from vocalis.errors import EngineFailure

# Output lags input by two frames (20 ms). The library does not report it: measured by cross-correlating its
# output with clean speech (peak at 960 samples on every corpus mixture); the engine tests check it.
DELAY_SAMPLES = 960


class RNNoiseEnhancer(FrameDenoiser):
    """RNNoise as an `Enhancer`. `library_path` replaces the packaged library (used as given)."""

    name = "rnnoise"
    input_scale = 32768.0

    def __init__(self, library_path: str | os.PathLike[str] | None = None) -> None:
        super().__init__()
        self._library_path = library_path

    def _open(self) -> tuple[ctypes.CDLL, int, int]:
        library = ctypes.CDLL(str(weights.native_library(weights.RNNOISE_LIBRARIES, self._library_path)))
        library.rnnoise_get_frame_size.argtypes = []
        library.rnnoise_get_frame_size.restype = ctypes.c_int
        library.rnnoise_create.argtypes = [ctypes.c_void_p]  # NULL: the built-in model
        library.rnnoise_create.restype = ctypes.c_void_p
        # (state, output, input) -> the frame's voice probability, which isolation has no use for.
        library.rnnoise_process_frame.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        library.rnnoise_process_frame.restype = ctypes.c_float
        library.rnnoise_destroy.argtypes = [ctypes.c_void_p]
        library.rnnoise_destroy.restype = None
        return library, library.rnnoise_get_frame_size(), DELAY_SAMPLES

    def _create_state(self, library: ctypes.CDLL) -> int:
        state = library.rnnoise_create(None)
        if not state:
            raise EngineFailure("RNNoise could not allocate its state.")
        return state

    def _process_frame(self, library: ctypes.CDLL, state: int, source: int, target: int) -> None:
        library.rnnoise_process_frame(state, target, source)

    def _free_state(self, library: ctypes.CDLL, state: int) -> None:
        library.rnnoise_destroy(state)
