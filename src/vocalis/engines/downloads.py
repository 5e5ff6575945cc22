"""Model weights no package registry ships, fetched from a model hub by `vocalis models pull NAME` (or
copied from a local folder) into the model cache, and checked against SHA-256 digests recorded here.

Downloads stream to `<file>.part` beside the target and resume from there after an interruption; a file is
moved into place only once its digest matches. At the recorded revision the digests below are the check;
at any other revision, or for a model whose digests are not recorded here, the hub's own listing (LFS
SHA-256, or the git blob id of a small file) is fetched first and checked instead, which guards against
corruption but not against a changed upstream. Gated repositories (Stable Audio Open) need a hub token
(`VOCALIS_HUB_TOKEN` or `HF_TOKEN`) of an account that accepted the model's licence.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

from vocalis.engines.weights import WeightsError, file_sha256

DEFAULT_HUB_URL = "https://huggingface.co"
_BLOCK = 1 << 20


class PullError(WeightsError):
    """A download failed or did not verify; the message says what to do."""


@dataclass(frozen=True)
class HubFile:
    """One file of a hub repository, with the digest recorded for it at the model's revision."""

    path: str  # inside the repository
    sha256: str | None  # None: not recorded here; the hub's listing is the check
    size: int | None = None  # where recorded; else the server's Content-Length is the only size check

    @property
    def name(self) -> str:
        return Path(self.path).name


@dataclass(frozen=True)
class PullableModel:
    name: str
    repo: str  # "owner/name" on the hub
    revision: str  # the commit the digests were recorded at
    files: tuple[HubFile, ...]
    licence: str
    summary: str
    # Python modules the engine needs besides the weights, and how to get them.
    requires: tuple[str, ...]
    install_hint: str
    path_setting: str  # the `Settings` field naming the user's own copy instead (VOCALIS_<FIELD>)
    # Files land flat in the cache folder, as the converter engines read them, unless the loader needs the
    # repository's folders (a diffusers pipeline).
    keep_folders: bool = False

    def local_name(self, file: HubFile) -> str:
        """Where `file` lands inside the model's cache folder."""
        return file.path if self.keep_folders else file.name

    @property
    def digests_recorded(self) -> bool:
        return all(file.sha256 is not None for file in self.files)

    def runtime_missing(self) -> list[str]:
        return [module for module in self.requires if importlib.util.find_spec(module) is None]


OPENVOICE_V2 = PullableModel(
    name="openvoice-v2",
    repo="myshell-ai/OpenVoiceV2",
    revision="f36e7edfe1684461a8343844af60babc2efbb727",
    files=(
        HubFile(
            "converter/config.json", "9dfff60350b8c63f2c664efd92a61b2516efb22671466960f0e5dfebd881fa47", 838
        ),
        HubFile(
            "converter/checkpoint.pth",
            "9652c27e92b6b2a91632590ac9962ef7ae2b712e5c5b7f4c34ec55ee2b37ab9e",
            131_320_490,
        ),
    ),
    licence="MIT",
    summary="OpenVoice v2 tone-colour converter: any speech into a reference speaker's voice (131 MB)",
    requires=("torch",),
    install_hint="pip install 'vocalis[neural]'",
    path_setting="openvoice_path",
)
CHATTERBOX = PullableModel(
    name="chatterbox",
    repo="ResembleAI/chatterbox",
    revision="5bb1f6ee58e50c3b8d408bc82a6d3740c2db6e18",
    files=(
        HubFile("ve.safetensors", "f0921cab452fa278bc25cd23ffd59d36f816d7dc5181dd1bef9751a7fb61f63c"),
        HubFile("t3_cfg.safetensors", "914cb1696f47527fe8852ca8f1fe1fa63cb34f76f9c715e84e067b744dd0da81"),
        HubFile("s3gen.safetensors", "2b78103c654207393955e4900aac14a12de8ef25f4b09424f1ef91941f161d4e"),
        HubFile("tokenizer.json", "d71e3a44eabb1784df9a68e9f95b251ecbf1a7af6a9f50835856b2ca9d8c14a5"),
        HubFile("conds.pt", "6552d70568833628ba019c6b03459e77fe71ca197d5c560cef9411bee9d87f4e"),
    ),
    licence="MIT",
    summary="Chatterbox zero-shot TTS (Resemble AI): speaks in the voice of a reference clip (about 3 GB)",
    requires=("torch", "chatterbox"),
    install_hint="pip install 'vocalis[chatterbox]' && pip install --no-deps -r requirements/chatterbox.txt",
    path_setting="chatterbox_path",
)
_DIFFUSERS_CONFIGS = ("scheduler/scheduler_config.json", "transformer/config.json", "vae/config.json")
_DIFFUSERS_CONFIGS += ("text_encoder/config.json", "projection_model/config.json")
STABLE_AUDIO_OPEN = PullableModel(
    name="stable-audio-open",
    repo="stabilityai/stable-audio-open-1.0",
    # Gated on the hub, so no digests were recorded here: the hub's listing at the commit `main` resolves
    # to is the check, and that commit is what the pull records.
    revision="main",
    files=tuple(
        HubFile(path, None)
        for path in (
            "model_index.json",
            *_DIFFUSERS_CONFIGS,
            "transformer/diffusion_pytorch_model.safetensors",
            "vae/diffusion_pytorch_model.safetensors",
            "text_encoder/model.safetensors",
            "projection_model/diffusion_pytorch_model.safetensors",
            "tokenizer/spiece.model",
            "tokenizer/tokenizer.json",
            "tokenizer/tokenizer_config.json",
            "tokenizer/special_tokens_map.json",
        )
    ),
    licence="Stability AI Community License (gated: accept it on the hub first)",
    summary="Stable Audio Open 1.0: neural sound effects up to 47 s, 44.1 kHz stereo (about 4.8 GB)",
    requires=("torch", "diffusers", "transformers", "torchsde"),
    install_hint="pip install 'vocalis[text-to-audio]'",
    path_setting="sound_effects_model_path",
    keep_folders=True,
)
PARLER_TTS_MINI = PullableModel(
    name="parler-tts-mini-v1",
    repo="parler-tts/parler-tts-mini-v1",
    # No digests recorded here (no copy was at hand): the hub's listing at the commit `main` resolves to is
    # the check, and that commit is what the pull records.
    revision="main",
    files=tuple(
        HubFile(path, None)
        for path in ("config.json", "generation_config.json", "model.safetensors", "tokenizer.json")
    ),
    licence="Apache-2.0",
    summary="Parler-TTS Mini v1: speech in a voice described in words, for voice design (about 3.5 GB)",
    requires=("torch", "transformers", "safetensors", "tokenizers"),
    install_hint="pip install 'vocalis[parler]'",
    path_setting="parler_path",
)
PULLABLE: dict[str, PullableModel] = {
    model.name: model for model in (OPENVOICE_V2, CHATTERBOX, STABLE_AUDIO_OPEN, PARLER_TTS_MINI)
}

# (file, bytes done, bytes in all or None when the server does not say)
Progress = Callable[[HubFile, int, int | None], None]


def pullable(name: str) -> PullableModel:
    try:
        return PULLABLE[name]
    except KeyError:
        raise PullError(f"no model named {name!r}; pullable: {', '.join(PULLABLE)}") from None


def model_dir(models_dir: Path, model: PullableModel) -> Path:
    return models_dir / model.name


def installed_dir(models_dir: Path, model: PullableModel) -> Path | None:
    """The model's cache folder once a pull or install finished there (digests are checked on loading)."""
    directory = model_dir(models_dir, model)
    complete = (directory / _RECORD).is_file() and all(
        (directory / model.local_name(f)).is_file() for f in model.files
    )
    return directory if complete else None


@dataclass(frozen=True)
class Located:
    directory: Path
    digests: dict[str, str]  # local name → SHA-256 to check before loading; empty for the user's own copy


def located(model: PullableModel, own_path: Path | None, models_dir: Path) -> Located | None:
    """Where an engine finds its weights: the user's own folder (used as given, like other engines' own
    files) or the pulled copy (checked against the recorded digests when it loads); None if neither."""
    if own_path is not None:
        return Located(own_path.expanduser(), {})
    directory = installed_dir(models_dir, model)
    if directory is None:
        return None
    try:
        pulled = json.loads((directory / _RECORD).read_text())["sha256"]
    except (OSError, ValueError, KeyError):
        pulled = {}
    digests = {}
    for file in model.files:
        name = model.local_name(file)
        if (digest := pulled.get(name, file.sha256)) is not None:
            digests[name] = digest
    return Located(directory, digests)


def digests_of(model: PullableModel) -> dict[str, str]:
    """Local name → the SHA-256 recorded here for the model's revision (where one is)."""
    return {model.local_name(file): file.sha256 for file in model.files if file.sha256 is not None}


def pull(
    model: PullableModel,
    models_dir: Path,
    *,
    hub_url: str = DEFAULT_HUB_URL,
    revision: str | None = None,
    progress: Progress | None = None,
    client: httpx.Client | None = None,
    token: str | None = None,
) -> Path:
    """Download the model's files into `models_dir/<name>`, verified; returns that folder. `token` is a
    hub access token, which gated repositories require."""
    revision = revision or model.revision
    hub_url = hub_url.rstrip("/")
    target = model_dir(models_dir, model)
    target.mkdir(parents=True, exist_ok=True)
    own_client = client is None
    http = client or httpx.Client(follow_redirects=True, timeout=httpx.Timeout(30.0, read=120.0))
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        if not model.digests_recorded:
            revision = _commit_of(model, revision, hub_url, http, auth)
        expected = _expected(model, revision, hub_url, http, auth)
        verified: dict[str, str] = {}
        for file in model.files:
            local = model.local_name(file)
            final = target / local
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.is_file() and (sha256 := _verified_sha256(final, expected[file.path])):
                verified[local] = sha256
                continue
            url = f"{hub_url}/{model.repo}/resolve/{quote(revision, safe='')}/{quote(file.path)}"
            part = _download(http, url, final.with_name(final.name + ".part"), file, progress, auth)
            sha256 = _verified_sha256(part, expected[file.path])
            if sha256 is None:
                part.unlink()
                raise PullError(
                    f"{file.path} from {model.repo}@{revision} does not match its digest; the download "
                    "was removed; run the command again (or check the hub URL)"
                )
            os.replace(part, final)
            verified[local] = sha256
        _record(target, model.repo, revision, verified)
    except httpx.HTTPError as error:
        raise PullError(
            f"could not download {model.name} from {hub_url}: {error}; what arrived is kept, and running "
            "the command again resumes"
        ) from error
    finally:
        if own_client:
            http.close()
    return target


def install_from(model: PullableModel, source: Path, models_dir: Path) -> Path:
    """Copy the model's files from a local folder (a clone of the hub repository, or the files side by
    side) into the cache, each checked against its recorded digest first (where one is recorded; the
    copies' own digests are what loading checks from then on)."""
    target = model_dir(models_dir, model)
    target.mkdir(parents=True, exist_ok=True)
    copied: dict[str, str] = {}
    for file in model.files:
        found = next((p for p in (source / file.path, source / file.name) if p.is_file()), None)
        if found is None:
            raise PullError(f"{source} has neither {file.path} nor {file.name}")
        sha256 = file_sha256(found)
        if file.sha256 is not None and sha256 != file.sha256:
            raise PullError(
                f"{found} is not the tested {model.name} file (SHA-256 differs from {file.sha256})"
            )
        local = target / model.local_name(file)
        local.parent.mkdir(parents=True, exist_ok=True)
        part = local.with_name(f"{local.name}.part")
        shutil.copyfile(found, part)
        os.replace(part, local)
        copied[model.local_name(file)] = sha256
    _record(target, model.repo, model.revision, copied)
    return target


# Internals --------------------------------------------------------------------------------------

# Written beside the files once they verified: the digests an engine checks before loading them (the
# recorded ones, or the hub's for another --revision).
_RECORD = "pulled.json"


def _record(directory: Path, repo: str, revision: str, sha256: dict[str, str]) -> None:
    part = directory / f"{_RECORD}.part"
    part.write_text(json.dumps({"repo": repo, "revision": revision, "sha256": sha256}, indent=2))
    os.replace(part, directory / _RECORD)


@dataclass(frozen=True)
class _Expected:
    sha256: str | None
    git_blob: str | None  # the hub's id of a file kept in git rather than LFS: sha1("blob <size>\0" + data)
    size: int | None


def _commit_of(
    model: PullableModel, revision: str, hub_url: str, http: httpx.Client, auth: dict[str, str]
) -> str:
    """The commit a branch or tag names now, so that every file comes from the same one."""
    response = http.get(
        f"{hub_url}/api/models/{model.repo}/revision/{quote(revision, safe='')}", headers=auth
    )
    _refuse(response, model, revision)
    return str(response.json()["sha"])


def _refuse(response: httpx.Response, model: PullableModel, revision: str) -> None:
    """Raise a PullError that says what to do for a hub answer that is not a success."""
    if response.status_code in (401, 403):
        raise PullError(
            f"{model.repo} is gated: accept its licence on the hub with your account, then set "
            "VOCALIS_HUB_TOKEN (or HF_TOKEN) to an access token of that account"
        )
    if response.status_code == 404:
        raise PullError(f"{model.repo} has no revision {revision!r}")
    response.raise_for_status()


def _expected(
    model: PullableModel, revision: str, hub_url: str, http: httpx.Client, auth: dict[str, str]
) -> dict[str, _Expected]:
    if revision == model.revision and model.digests_recorded:
        return {file.path: _Expected(file.sha256, None, file.size) for file in model.files}
    listed: dict[str, _Expected] = {}
    for folder in sorted({str(Path(file.path).parent) for file in model.files}):
        suffix = "" if folder == "." else "/" + quote(folder, safe="")
        url = f"{hub_url}/api/models/{model.repo}/tree/{quote(revision, safe='')}{suffix}"
        response = http.get(url, headers=auth)
        if response.status_code == 404:
            raise PullError(f"{model.repo} has no revision {revision!r} (or no folder {folder!r} in it)")
        _refuse(response, model, revision)
        for entry in response.json():
            lfs = entry.get("lfs")
            listed[entry["path"]] = (
                _Expected(lfs["oid"], None, lfs["size"])
                if lfs
                else _Expected(None, entry["oid"], entry["size"])
            )
    missing = [file.path for file in model.files if file.path not in listed]
    if missing:
        raise PullError(f"{model.repo}@{revision} lacks {', '.join(missing)}")
    return {file.path: listed[file.path] for file in model.files}


def _verified_sha256(path: Path, expected: _Expected) -> str | None:
    """The file's SHA-256 when it is the expected file, else None (one pass over the data either way)."""
    size = path.stat().st_size
    if expected.size is not None and size != expected.size:
        return None
    sha256 = hashlib.sha256()
    blob = hashlib.sha1(f"blob {size}\0".encode(), usedforsecurity=False)
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            sha256.update(block)
            blob.update(block)
    if expected.sha256 is not None:
        return sha256.hexdigest() if sha256.hexdigest() == expected.sha256 else None
    return sha256.hexdigest() if blob.hexdigest() == expected.git_blob else None


def _download(
    http: httpx.Client,
    url: str,
    part: Path,
    file: HubFile,
    progress: Progress | None,
    auth: dict[str, str],
) -> Path:
    """Stream `url` into `part`, continuing what an earlier attempt left there when the server allows."""
    done = part.stat().st_size if part.is_file() else 0
    if file.size is not None and done > file.size:
        part.unlink()
        done = 0
    headers = auth | ({"Range": f"bytes={done}-"} if done else {})
    with http.stream("GET", url, headers=headers) as response:
        if response.status_code == 416:  # nothing left to send: the part is already whole
            return part
        if response.status_code == 404:
            raise PullError(f"{url} was not found; check the model name and --revision")
        if response.status_code in (401, 403):
            raise PullError(f"{url} needs a hub token of an account that accepted the model's licence")
        response.raise_for_status()
        resumed = response.status_code == 206
        if not resumed:
            done = 0  # the server sent the whole file again
        length = response.headers.get("content-length")
        total = done + int(length) if length is not None else file.size
        with open(part, "ab" if resumed else "wb") as out:
            if progress:
                progress(file, done, total)
            # Blocks as they arrive (no re-chunking): all that came before a dropped connection is kept.
            for block in response.iter_bytes():
                out.write(block)
                done += len(block)
                if progress:
                    progress(file, done, total)
    return part
