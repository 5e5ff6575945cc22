"""Text-to-speech benchmark: engine real-time factor, streaming time to first byte against a real uvicorn
server, server overhead over the bare engine, and peak memory.

    python bench/tts.py [--repeats 3] [--engines piper,kokoro] [--threads 2]

Every figure is printed with the settings it was measured under; compare runs only at equal settings (same
machine, threads, texts and voices). The last line is the whole result as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from vocalis.engines.protocols import SynthesisOptions, Synthesizer, VoiceSpec
from vocalis.voices.premade import PREMADE_VOICES

# Plain English with no digits or symbols, so text normalization leaves it as it is and the server and
# the bare engine speak exactly the same text.
TEXT_200 = (
    "The old lighthouse keeper climbed the winding stairs every evening. From the top, he watched the "
    "fishing boats return to the harbor, their small lanterns flickering across the restless sea."
)
TEXT_600 = (
    TEXT_200 + " Nobody in the village could remember a night when the great lamp had failed to shine. "
    "Children would gather on the pier to count the ships, and their parents told stories of storms that "
    "had swept whole fleets away long before the tower was built. In the morning, the keeper slept for a "
    "few hours, then walked down to the market to buy bread, fresh fish and oil for the lamp, before the "
    "long climb began again."
)
# Engine -> (voice id, model id) for the server runs; the bare engine renders the same voice spec.
SERVER_CASES = {
    "piper": ("JBFqnCBsd6RMkjVDRZzb", "eleven_flash_v2_5"),  # George
    "kokoro": ("21m00Tcm4TlvDq8ikWAM", "eleven_multilingual_v2"),  # Rachel
}
API_KEY = "sk_bench_0123456789abcdef"
SEED = 1
# Default voice settings (stability 0.5 -> variation 0.5), as the server derives them for a premade voice.
VARIATION = 0.5


@dataclass
class Timing:
    seconds: list[float]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.seconds)

    @property
    def low(self) -> float:
        return min(self.seconds)

    @property
    def spread(self) -> float:
        return statistics.stdev(self.seconds) if len(self.seconds) > 1 else 0.0


def voice_for(engine: str) -> tuple[str, str, VoiceSpec]:
    voice_id, _ = SERVER_CASES[engine]
    voice = next(v for v in PREMADE_VOICES if v.voice_id == voice_id)
    return voice_id, voice.name, voice.spec


def make_engine(name: str, threads: int, cache: Path) -> Synthesizer:
    if name == "piper":
        from vocalis.engines.piper import PiperSynthesizer

        return PiperSynthesizer(threads=threads)
    from vocalis.engines.kokoro import KokoroSynthesizer

    return KokoroSynthesizer(cache_dir=cache, threads=threads)


def synthesize_once(engine: Synthesizer, text: str, spec: VoiceSpec) -> tuple[float, float]:
    """(compute seconds, audio seconds) of one full synthesis on the bare engine."""
    options = SynthesisOptions(speed=spec.speed, variation=VARIATION, seed=SEED)
    start = time.perf_counter()
    samples = sum(len(chunk.audio) for chunk in engine.synthesize(text, spec, options))
    return time.perf_counter() - start, samples / engine.sample_rate


def vm_hwm_mb(pid: int | str = "self") -> float | None:
    """Peak resident set size (VmHWM) of a process in MiB, from /proc (Linux); None elsewhere."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_busy(seconds: float = 1.0) -> float | None:
    """Share of all CPUs busy over `seconds` (whoever uses them), from /proc/stat; None where unreadable."""

    def sample() -> tuple[int, int]:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    try:
        total_a, idle_a = sample()
        time.sleep(seconds)
        total_b, idle_b = sample()
    except (OSError, ValueError, IndexError):
        return None
    return 1 - (idle_b - idle_a) / max(total_b - total_a, 1)


def machine_line(busy: float | None) -> str:
    """The socket benches' first line: the processor, its CPUs and how busy they were (empty if unknown)."""
    if busy is None:
        return ""
    return (
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, busy before start "
        f"{busy:.0%}"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def uvicorn_server(home: Path, cache: Path, threads: int) -> Iterator[tuple[str, subprocess.Popen]]:
    """A real Vocalis server (uvicorn, one worker) on 127.0.0.1 in a child process with its own home."""
    port = free_port()
    env = dict(
        os.environ,
        VOCALIS_HOME=str(home),
        VOCALIS_MODEL_CACHE=str(cache),
        VOCALIS_API_KEY=API_KEY,
        VOCALIS_ENGINE_THREADS=str(threads),
    )
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "vocalis.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    log = open(home / "server.log", "w+b")  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"server exited with {process.returncode}:\n{log.read().decode()}")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not answer /healthz within 60 s")
            time.sleep(0.1)
        yield base_url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def stream_once(
    client: httpx.Client, voice_id: str, model_id: str, text: str, fmt: str, latency: int | None
) -> tuple[float, float]:
    """(seconds to the first audio byte, seconds to the last byte) of one streaming request."""
    params: dict[str, str | int] = {"output_format": fmt}
    if latency is not None:
        params["optimize_streaming_latency"] = latency
    start = time.perf_counter()
    first = None
    with client.stream(
        "POST",
        f"/v1/text-to-speech/{voice_id}/stream",
        params=params,
        json={"text": text, "model_id": model_id, "seed": SEED},
    ) as response:
        response.raise_for_status()
        for chunk in response.iter_raw():
            if chunk and first is None:
                first = time.perf_counter() - start
    total = time.perf_counter() - start
    return (first if first is not None else total), total


def vm_rss_mb(pid: int) -> float | None:
    """Current resident memory of a process, from /proc (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def stream_memory(client: httpx.Client, pid: int, voice_id: str, model_id: str, text: str) -> dict:
    """Stream `text` and sample the server's resident memory while the audio flows."""
    before = vm_rss_mb(pid)
    peak = before or 0.0
    received = 0
    with client.stream(
        "POST",
        f"/v1/text-to-speech/{voice_id}/stream",
        params={"output_format": "mp3_44100_128"},
        json={"text": text, "model_id": model_id, "seed": SEED},
    ) as response:
        response.raise_for_status()
        for chunk in response.iter_raw():
            received += len(chunk)
            peak = max(peak, vm_rss_mb(pid) or 0.0)
    return {"chars": len(text), "rss_before_mb": before, "rss_peak_mb": peak, "mp3_bytes": received}


def convert_once(
    client: httpx.Client, voice_id: str, model_id: str, text: str, rate: int
) -> tuple[float, float]:
    """(wall seconds, audio seconds) of one `POST /v1/text-to-speech/{voice_id}` with PCM output."""
    start = time.perf_counter()
    response = client.post(
        f"/v1/text-to-speech/{voice_id}",
        params={"output_format": f"pcm_{rate}", "enable_logging": False},
        json={"text": text, "model_id": model_id, "seed": SEED},
    )
    wall = time.perf_counter() - start
    response.raise_for_status()
    return wall, len(response.content) / 2 / rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per figure (after one warm-up)")
    parser.add_argument("--engines", default="piper,kokoro", help="comma-separated: piper, kokoro")
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime threads per inference")
    parser.add_argument("--stream-format", default="mp3_44100_128", help="output_format of the stream runs")
    parser.add_argument(
        "--optimize-streaming-latency", type=int, default=None, help="0-4 for the stream runs (default unset)"
    )
    parser.add_argument(
        "--model-cache", type=Path, default=None, help="assembled weights (default: temp dir)"
    )
    parser.add_argument("--no-server", action="store_true", help="bare engines only")
    args = parser.parse_args(argv)
    engines = [name.strip() for name in args.engines.split(",") if name.strip()]
    unknown = set(engines) - set(SERVER_CASES)
    if unknown or args.repeats < 1:
        parser.error(f"unknown engines {sorted(unknown)} or repeats < 1")

    temp = tempfile.TemporaryDirectory(prefix="vocalis-bench-")
    cache = args.model_cache or Path(temp.name) / "models"
    settings = {
        "repeats": args.repeats,
        "threads": args.threads,
        "cpus": os.cpu_count(),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
        "text_chars": {"short": len(TEXT_200), "long": len(TEXT_600)},
        "seed": SEED,
        "variation": VARIATION,
        "stream_format": args.stream_format,
        "optimize_streaming_latency": args.optimize_streaming_latency,
        "cpu_busy_before": None,
    }
    busy = cpu_busy()
    settings["cpu_busy_before"] = None if busy is None else round(busy, 3)
    print(
        f"Vocalis TTS bench: repeats={args.repeats} (mean of N after 1 warm-up), threads={args.threads}, "
        f"cpus={settings['cpus']}, python {settings['python']}, {settings['machine']}"
    )
    print(f"texts: short={len(TEXT_200)} chars, long={len(TEXT_600)} chars, plain English (no normalization)")
    if busy is not None:
        note = "  WARNING: other work is running; figures will be noisy" if busy > 0.15 else ""
        print(f"CPU busy before start (all processes, 1 s): {busy:.0%}{note}")
    results: dict = {
        "bench": "tts",
        "settings": settings,
        "rtf": {},
        "stream": {},
        "overhead": {},
        "rss_mb": {},
    }

    # 1. Bare engines: real-time factor.
    print("\n== Real-time factor, bare engine (compute s / audio s; lower is faster)")
    print(
        f"{'engine':8} {'voice':16} {'text':>10} {'audio s':>8} {'compute s':>10} "
        f"{'RTF mean':>9} {'RTF min':>8}"
    )
    bare_engines: dict[str, Synthesizer] = {}
    for name in engines:
        _, voice_name, spec = voice_for(name)
        engine = make_engine(name, args.threads, cache)
        load_start = time.perf_counter()
        engine.load()  # type: ignore[attr-defined]
        load_seconds = time.perf_counter() - load_start
        synthesize_once(engine, TEXT_200, spec)  # warm-up
        results["rtf"][name] = {"voice": voice_name, "spec": repr(spec), "load_s": round(load_seconds, 3)}
        for label, text in (("short", TEXT_200), ("long", TEXT_600)):
            runs = [synthesize_once(engine, text, spec) for _ in range(args.repeats)]
            compute = Timing([c for c, _ in runs])
            audio = statistics.fmean(a for _, a in runs)
            rtfs = [c / a for c, a in runs]
            print(
                f"{name:8} {voice_name + ' x' + str(spec.speed):16} {f'{len(text)} ch':>10} {audio:8.2f} "
                f"{compute.mean:10.3f} {statistics.fmean(rtfs):9.3f} {min(rtfs):8.3f}"
            )
            results["rtf"][name][label] = {
                "chars": len(text),
                "audio_s": round(audio, 3),
                "compute_s": round(compute.mean, 4),
                "rtf_mean": round(statistics.fmean(rtfs), 4),
                "rtf_min": round(min(rtfs), 4),
            }
        print(f"{'':8} load {load_seconds:.2f} s (threads={args.threads}; excluded from RTF)")
        bare_engines[name] = engine  # kept for the overhead runs below
    results["rss_mb"]["bench_process_peak"] = vm_hwm_mb()

    if args.no_server:
        print("\n(server runs skipped: --no-server)")
        print(json.dumps(results))
        return 0

    # 2-3. Real server: streaming time to first byte, and server overhead over the bare engine.
    home = Path(temp.name) / "home"
    home.mkdir()
    with uvicorn_server(home, cache, args.threads) as (base_url, process):
        with httpx.Client(base_url=base_url, headers={"xi-api-key": API_KEY}, timeout=300) as client:
            print(
                f"\n== Streaming, real uvicorn server at {base_url} (1 worker, engine threads={args.threads})"
            )
            print(
                f"   POST /v1/text-to-speech/{{voice_id}}/stream, {len(TEXT_200)} chars, "
                f"output_format={args.stream_format}, optimize_streaming_latency="
                f"{'unset' if args.optimize_streaming_latency is None else args.optimize_streaming_latency}"
            )
            print(
                f"{'engine':8} {'voice / model':38} {'TTFB mean':>10} {'TTFB min':>9} {'total mean':>11} "
                f"{'TTFB/total':>11}"
            )
            latency = args.optimize_streaming_latency
            for name in engines:
                voice_id, model_id = SERVER_CASES[name]
                _, voice_name, _ = voice_for(name)
                stream_once(
                    client, voice_id, model_id, TEXT_200, args.stream_format, latency
                )  # warm-up: loads
                runs = [
                    stream_once(client, voice_id, model_id, TEXT_200, args.stream_format, latency)
                    for _ in range(args.repeats)
                ]
                ttfb, total = Timing([f for f, _ in runs]), Timing([t for _, t in runs])
                print(
                    f"{name:8} {voice_name + ' / ' + model_id:38} {ttfb.mean * 1000:8.0f} ms "
                    f"{ttfb.low * 1000:6.0f} ms {total.mean * 1000:8.0f} ms {ttfb.mean / total.mean:10.1%}"
                )
                results["stream"][name] = {
                    "voice_id": voice_id,
                    "model_id": model_id,
                    "ttfb_ms_mean": round(ttfb.mean * 1000, 1),
                    "ttfb_ms_min": round(ttfb.low * 1000, 1),
                    "total_ms_mean": round(total.mean * 1000, 1),
                    "ttfb_over_total": round(ttfb.mean / total.mean, 4),
                }

            print(
                f"\n== Server overhead: POST /v1/text-to-speech/{{voice_id}} (pcm at the engine rate, "
                f"{len(TEXT_200)} chars, enable_logging=false)\n   over the bare engine in this process "
                "(same text, voice spec and seed; runs interleaved; goal <= 1.10)"
            )
            print(
                f"{'engine':8} {'voice / model':38} {'server s':>9} {'bare s':>8} {'ratio':>7} "
                f"{'min ratio':>10} {'audio s':>8}"
            )
            for name in engines:
                voice_id, model_id = SERVER_CASES[name]
                _, voice_name, spec = voice_for(name)
                engine = bare_engines[name]
                rate = engine.sample_rate
                convert_once(client, voice_id, model_id, TEXT_200, rate)  # warm-up
                server_runs, bare_runs = [], []
                for _ in range(args.repeats):
                    bare_runs.append(synthesize_once(engine, TEXT_200, spec)[0])
                    server_runs.append(convert_once(client, voice_id, model_id, TEXT_200, rate))
                wall, bare = Timing([w for w, _ in server_runs]), Timing(bare_runs)
                audio = statistics.fmean(a for _, a in server_runs)
                ratio, low_ratio = wall.mean / bare.mean, wall.low / bare.low
                flag = "" if ratio <= 1.10 else "  (over goal)"
                print(
                    f"{name:8} {voice_name + ' / ' + model_id:38} {wall.mean:9.3f} {bare.mean:8.3f} "
                    f"{ratio:7.3f} {low_ratio:10.3f} {audio:8.2f}{flag}"
                )
                results["overhead"][name] = {
                    "server_s_mean": round(wall.mean, 4),
                    "bare_s_mean": round(bare.mean, 4),
                    "server_s_min": round(wall.low, 4),
                    "bare_s_min": round(bare.low, 4),
                    "ratio": round(ratio, 4),
                    "ratio_of_min": round(low_ratio, 4),
                    "audio_s": round(audio, 3),
                    "output_format": f"pcm_{rate}",
                }
            if "piper" in engines:
                print(
                    "\n== Memory during long streams (Piper voice, mp3_44100_128): server resident memory "
                    "before and at its peak while the audio flows, after one warm-up stream; flat means the "
                    "peak does not grow with the length"
                )
                voice_id, model_id = SERVER_CASES["piper"]
                results["stream_memory"] = []
                # The first long stream grows onnxruntime's arena and the allocator's pools once; later
                # streams of any length should stay level with it.
                stream_memory(client, process.pid, voice_id, model_id, TEXT_200 * 16)
                for repeat in (16, 64):
                    measured = stream_memory(client, process.pid, voice_id, model_id, TEXT_200 * repeat)
                    results["stream_memory"].append(measured)
                    print(
                        f"{measured['chars']:6d} chars  {measured['mp3_bytes'] / 1e6:6.1f} MB of mp3  "
                        f"RSS before {_mb(measured['rss_before_mb'])}  peak {_mb(measured['rss_peak_mb'])}"
                    )
            results["rss_mb"]["server_peak"] = vm_hwm_mb(process.pid)

    print("\n== Peak resident memory (VmHWM)")
    server_rss, bench_rss = results["rss_mb"].get("server_peak"), results["rss_mb"]["bench_process_peak"]
    print(f"server process (uvicorn, engines {'+'.join(engines)} loaded): {_mb(server_rss)}")
    print(f"bench process (bare engines {'+'.join(engines)} loaded):            {_mb(bench_rss)}")
    print(json.dumps(results))
    temp.cleanup()
    return 0


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} MiB"


if __name__ == "__main__":
    sys.exit(main())
