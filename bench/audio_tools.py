"""Audio tools benchmark, one section per tool:

- isolation: real-time factor of the bare isolation engines (DeepFilterNet3, RNNoise) and their per-stream
  setup; SI-SDR and Whisper tiny.en WER of `/v1/audio-isolation` on the corpus' constructed mixtures, per
  engine; time to first byte, real-time factor and server memory of `/v1/audio-isolation/stream` on a long
  file (corpus mixtures looped), each engine in a fresh uvicorn server.
- sound_effects: render time of every procedural recipe, request time, prompt → recipe accuracy
  (bench/sound_effects.py, also runnable on its own).

    python bench/audio_tools.py [--sections isolation] [--repeats 3] [--long-minutes 30] [--quick]

A tool adds its section as a function `(args, workdir) -> dict` in SECTIONS. Every figure is printed with
the settings it was measured under; compare runs only at equal settings (same machine, idle CPUs). The
last line is the whole result as JSON. SI-SDR and WER are scored with the helpers of the tests
(`tests/e2e/isolation_quality.py`, `tests/e2e/quality.py`), so they match `pytest tests/sdk -s`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import soundfile

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # the scorers of the tests
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tts.py's server and /proc helpers

from sound_effects import sound_effects  # noqa: E402  (its own section, bench/sound_effects.py)
from tts import API_KEY, _mb, cpu_busy, uvicorn_server, vm_hwm_mb, vm_rss_mb  # noqa: E402

from tests.e2e.isolation_quality import SAMPLE_RATE, isolated, load, looped, mixtures, si_sdr  # noqa: E402
from tests.e2e.quality import transcribe, word_errors  # noqa: E402
from vocalis.audio import decode  # noqa: E402
from vocalis.engines.deepfilter import DeepFilterEnhancer  # noqa: E402
from vocalis.engines.protocols import Enhancer  # noqa: E402
from vocalis.engines.rnnoise import RNNoiseEnhancer  # noqa: E402

CORPUS = Path(os.environ.get("VOCALIS_CORPUS", REPO_ROOT.parent / "shared" / "corpus"))
ISOLATION_ENGINES: dict[str, Callable[[], Enhancer]] = {
    "deepfilternet3": DeepFilterEnhancer,
    "rnnoise": RNNoiseEnhancer,
}
MEMORY_POLL_SECONDS = 0.2


# Isolation ---------------------------------------------------------------------------------------------
def isolation_rtf(corpus: Path, repeats: int) -> dict:
    """Bare engines on the mixtures at their 48 kHz: compute seconds per audio second, and stream setup."""
    audio = [decode(m.path, 48000).samples for m in mixtures(corpus)]
    seconds = sum(len(a) for a in audio) / 48000
    print(f"\n== Isolation engines, bare (48 kHz mono, {seconds:.1f} s of mixtures, {repeats} runs)")
    figures = {}
    for name, make in ISOLATION_ENGINES.items():
        engine = make()
        engine.enhance([np.zeros(480, np.float32)]).close()  # load and check the files once
        setups, runs = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            list(engine.enhance([]))  # a stream's own state: created, flushed, freed
            setups.append(time.perf_counter() - start)
            start = time.perf_counter()
            for samples in audio:
                for _chunk in engine.enhance([samples]):
                    pass
            runs.append(time.perf_counter() - start)
        rtf = min(runs) / seconds
        setup = statistics.median(setups)
        figures[name] = {"rtf": round(rtf, 4), "stream_setup_s": round(setup, 3)}
        print(f"{name:15} RTF {rtf:.3f} (best of {repeats}, per-stream setup included)  setup {setup:.2f} s")
    return figures


def isolation_quality(base_url: str, corpus: Path) -> dict:
    """SI-SDR and Whisper tiny.en WER of the noisy mixture and of each engine's isolated speech (server)."""
    print(
        "\n== Isolation quality, POST /v1/audio-isolation (MP3 back, priming removed) vs exact clean speech"
    )
    columns = "".join(f"{key[:8]:>9}" for key in ("noisy", *ISOLATION_ENGINES))
    print(f"{'mixture':48} SI-SDR dB{columns} | WER{columns}")
    table = {}
    with httpx.Client(base_url=base_url, headers={"xi-api-key": API_KEY}, timeout=600) as client:
        for mixture in mixtures(corpus):
            noisy, clean = load(mixture.path), load(mixture.clean_path)
            errors, words = word_errors(mixture.transcript, transcribe(noisy))
            row = {"noisy": {"si_sdr": si_sdr(noisy, clean), "wer": errors / words}}
            for engine in ISOLATION_ENGINES:
                response = client.post(
                    "/v1/audio-isolation",
                    params={"engine": engine},
                    files={"audio": (mixture.path.name, mixture.path.read_bytes())},
                )
                response.raise_for_status()
                speech = isolated(response.content, len(clean))
                errors, _ = word_errors(mixture.transcript, transcribe(speech))
                row[engine] = {"si_sdr": si_sdr(speech, clean), "wer": errors / words}
            table[mixture.name] = {key: {k: round(v, 3) for k, v in row[key].items()} for key in row}
            sdr = "".join(f"{row[key]['si_sdr']:9.1f}" for key in row)
            wer = "".join(f"{row[key]['wer']:9.2f}" for key in row)
            print(f"{mixture.name[:48]:48}          {sdr} |    {wer}")
    return table


def long_file(corpus: Path, minutes: float, path: Path) -> float:
    """The corpus mixtures joined and looped to `minutes`, as 16 kHz FLAC; returns its seconds."""
    joined = np.concatenate([load(m.path) for m in mixtures(corpus)])
    soundfile.write(path, looped(joined, minutes * 60), SAMPLE_RATE, format="FLAC")
    return minutes * 60


def stream_watching_memory(
    client: httpx.Client, pid: int, path: Path, engine: str
) -> tuple[float | None, float, int, float | None]:
    """(first byte s, total s, MP3 bytes, peak server RSS MiB) of one `/stream` request of `path`."""
    samples: list[float] = []
    done = threading.Event()

    def poll() -> None:
        while not done.wait(MEMORY_POLL_SECONDS):
            rss = vm_rss_mb(pid)
            if rss is not None:
                samples.append(rss)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    start = time.perf_counter()
    first, size = None, 0
    try:
        with (
            path.open("rb") as audio,
            client.stream(
                "POST",
                "/v1/audio-isolation/stream",
                params={"engine": engine},
                files={"audio": (path.name, audio)},
            ) as response,
        ):
            response.raise_for_status()
            for chunk in response.iter_raw():
                if chunk and first is None:
                    first = time.perf_counter() - start
                size += len(chunk)
    finally:
        done.set()
        poller.join()
    return first, time.perf_counter() - start, size, max(samples, default=None)


def isolation_long(corpus: Path, minutes: float, workdir: Path, threads: int) -> dict:
    """Stream a long file through each engine in its own fresh server; poll the server's memory meanwhile."""
    path = workdir / "long.flac"
    seconds = long_file(corpus, minutes, path)
    print(
        f"\n== /v1/audio-isolation/stream on a {minutes:g}-minute file "
        f"({path.stat().st_size / 2**20:.0f} MiB FLAC, 16 kHz mono, corpus mixtures looped); "
        "one fresh server per engine"
    )
    figures = {}
    for engine in ISOLATION_ENGINES:
        home = workdir / f"home-{engine}"
        home.mkdir()
        with uvicorn_server(home, workdir / "models", threads) as (base_url, process):
            with httpx.Client(base_url=base_url, headers={"xi-api-key": API_KEY}, timeout=None) as client:
                warm = client.post(
                    "/v1/audio-isolation",
                    params={"engine": engine},
                    files={"audio": ("warm.pcm", np.zeros(SAMPLE_RATE, "<i2").tobytes())},
                    data={"file_format": "pcm_s16le_16"},
                )
                warm.raise_for_status()
                before = vm_rss_mb(process.pid)
                first, total, size, peak = stream_watching_memory(client, process.pid, path, engine)
                hwm = vm_hwm_mb(process.pid)
        figures[engine] = {
            "seconds": round(total, 1),
            "rtf": round(total / seconds, 4),
            "first_byte_s": round(first or total, 2),
            "mp3_mb": round(size / 2**20, 1),
            "rss_before_mb": None if before is None else round(before),
            "rss_peak_mb": None if peak is None else round(peak),
            "vm_hwm_mb": None if hwm is None else round(hwm),
        }
        print(
            f"{engine:15} {total:6.1f} s with the upload (RTF {total / seconds:.3f}), first byte "
            f"{first or total:.2f} s, {size / 2**20:.1f} MiB MP3; server RSS {_mb(before)} before, "
            f"{_mb(peak)} peak while streaming (polled every {MEMORY_POLL_SECONDS} s; VmHWM {_mb(hwm)})"
        )
    return figures


def isolation(args: argparse.Namespace, workdir: Path) -> dict:
    results = {"rtf": isolation_rtf(args.corpus, args.repeats)}
    home = workdir / "home-quality"
    home.mkdir()
    with uvicorn_server(home, workdir / "models", args.threads) as (base_url, _process):
        results["quality"] = isolation_quality(base_url, args.corpus)
    if not args.quick:
        results["long_file"] = isolation_long(args.corpus, args.long_minutes, workdir, args.threads)
    return results


SECTIONS: dict[str, Callable[[argparse.Namespace, Path], dict]] = {
    "isolation": isolation,
    "sound_effects": sound_effects,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"of: {', '.join(SECTIONS)}")
    parser.add_argument("--repeats", type=int, default=3, help="runs per bare-engine figure")
    parser.add_argument("--threads", type=int, default=2, help="VOCALIS_ENGINE_THREADS of the servers")
    parser.add_argument("--long-minutes", type=float, default=30.0, help="length of the long-file run")
    parser.add_argument("--quick", action="store_true", help="skip the long-file runs")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="evaluation corpus folder")
    args = parser.parse_args(argv)
    sections = [name.strip() for name in args.sections.split(",") if name.strip()]
    unknown = [name for name in sections if name not in SECTIONS]
    if unknown or args.repeats < 1 or args.long_minutes <= 0:
        parser.error(f"unknown sections {unknown}, or repeats < 1, or long-minutes <= 0")
    if not args.corpus.is_dir():
        parser.error(f"corpus not found at {args.corpus} (set --corpus or VOCALIS_CORPUS)")
    busy = cpu_busy()
    settings = {
        "sections": sections,
        "repeats": args.repeats,
        "threads": args.threads,
        "long_minutes": None if args.quick else args.long_minutes,
        "cpus": os.cpu_count(),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
        "cpu_busy_before": None if busy is None else round(busy, 3),
    }
    print(
        f"Vocalis audio tools bench: sections {', '.join(sections)}; cpus={settings['cpus']}, "
        f"python {settings['python']}, {settings['machine']}"
    )
    if busy is not None:
        note = "  WARNING: other work is running; figures will be noisy" if busy > 0.15 else ""
        print(f"CPU busy before start (all processes, 1 s): {busy:.0%}{note}")
    results: dict = {"bench": "audio_tools", "settings": settings}
    with tempfile.TemporaryDirectory(prefix="vocalis-bench-audio-") as workdir:
        for name in sections:
            results[name] = SECTIONS[name](args, Path(workdir))
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
