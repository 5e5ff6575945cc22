"""Voice changer benchmark: what re-voicing keeps and changes on the corpus, how fast it streams, and what
OpenVoice v2's converter costs.

    python bench/voice_changer.py [--voices JBFqnCBsd6RMkjVDRZzb,21m00Tcm4TlvDq8ikWAM] [--threads 2]
                                  [--stream-seconds 60] [--sections quality,stream,openvoice]

- quality: `/v1/speech-to-speech/{voice_id}` (ASGI, engines warm, seed 1) on every English corpus clip with a
  transcript (tests/e2e/voice_changer_quality.py): request time and real-time factor, Whisper tiny.en WER of
  output and input against the transcript, output/input length, median word-boundary error (pocketsphinx
  forced alignment of the transcript in input and output; the re-voicer anchors words with the same
  aligner, so this says how closely words land on their anchors, Whisper's own timing of the input words
  being 90 ms off on the same judge), speaker similarity to a rendering of the target voice before and
  after, per encoder;
- stream: `/stream` against a real uvicorn server on the corpus clips joined (with 1 s pauses) to about
  `--stream-seconds`: time to first byte and total real-time factor;
- openvoice: OpenVoice v2's converter at the published architecture with random weights (the audio is
  noise; the compute is the real model's, whose weights are pulled): bare conversion real-time factor,
  and the request's.

Every figure is printed with its settings; compare runs only at equal settings on an idle machine. The last
line is the whole result as JSON. Also a section of `bench/voices.py` (`--voice-changer`).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import soundfile

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # the judges and the tiny-converter writer live with the tests
sys.path.insert(0, str(REPO_ROOT / "bench"))

from fastapi.testclient import TestClient  # noqa: E402
from tts import API_KEY, cpu_busy, uvicorn_server  # noqa: E402

from tests.e2e.voice_changer_quality import SAMPLE_RATE, corpus_speech, judge, load  # noqa: E402
from tests.unit.openvoice_support import V2_CONFIG, write_converter  # noqa: E402
from vocalis.app import create_app  # noqa: E402
from vocalis.config import Settings  # noqa: E402
from vocalis.engines.openvoice import OpenVoiceConverter  # noqa: E402
from vocalis.engines.protocols import ConversionOptions  # noqa: E402

CORPUS = Path(os.environ.get("VOCALIS_CORPUS", REPO_ROOT.parent / "shared" / "corpus"))
VOICES = {"JBFqnCBsd6RMkjVDRZzb": "George (Piper)", "21m00Tcm4TlvDq8ikWAM": "Rachel (Kokoro)"}
TARGET_TEXT = "The museum opens at nine in the morning, and the guided tours leave every half hour."
SECTIONS = ("quality", "stream", "openvoice")


def _pcm(response: httpx.Response) -> np.ndarray:
    response.raise_for_status()
    return np.frombuffer(response.content, "<i2").astype(np.float32) / 32768


def _wav(samples: np.ndarray) -> bytes:
    out = io.BytesIO()
    soundfile.write(out, samples, SAMPLE_RATE, format="WAV")
    return out.getvalue()


def quality(voices: list[str], threads: int, workdir: Path) -> dict:
    print(f"\n== Re-voicing quality: POST /v1/speech-to-speech, pcm_16000, seed 1 (ASGI, threads={threads})")
    settings = Settings(home=workdir / "quality", api_key=API_KEY, engine_threads=threads)
    clips = corpus_speech(CORPUS)
    result = {}
    with TestClient(create_app(settings), headers={"xi-api-key": API_KEY}) as client:
        for voice_id in voices:
            target = _pcm(
                client.post(
                    f"/v1/text-to-speech/{voice_id}",
                    json={"text": TARGET_TEXT},
                    params={"output_format": "pcm_16000"},
                )
            )

            def change(data: bytes, voice_id: str = voice_id) -> httpx.Response:
                return client.post(
                    f"/v1/speech-to-speech/{voice_id}",
                    params={"output_format": "pcm_16000"},
                    data={"seed": "1"},
                    files={"audio": ("input.wav", data)},
                )

            change(clips[0].path.read_bytes())  # engines loaded
            print(f"\n{VOICES.get(voice_id, voice_id)}")
            header = f"{'clip':36} {'s':>5} {'RTF':>5} {'WER':>9} {'in':>3} {'len':>6} {'bound ms':>8}"
            print(f"  {header}  similarity")
            rows = []
            for clip in clips:
                started = time.perf_counter()
                response = change(clip.path.read_bytes())
                seconds = time.perf_counter() - started
                source, output = load(clip.path), _pcm(response)
                figures = judge(clip, source, output, target)
                duration = len(source) / SAMPLE_RATE
                rows.append((seconds / duration, figures))
                similarity = ", ".join(
                    f"{name} {figures.similarity_before[name]:.2f}->{figures.similarity_after[name]:.2f}"
                    for name in figures.similarity_before
                )
                print(
                    f"  {clip.name[:36]:36} {duration:5.1f} {seconds / duration:5.2f} "
                    f"{figures.errors:>4}/{figures.words:<4} {figures.input_errors:3d} "
                    f"{figures.length_ratio:6.3f} {figures.median_boundary_error * 1000:8.0f}  {similarity}"
                )
            errors = sum(f.errors for _, f in rows)
            words = sum(f.words for _, f in rows)
            input_errors = sum(f.input_errors for _, f in rows)
            boundaries = [error for _, f in rows for error in f.boundary_errors]
            encoders = list(rows[0][1].similarity_before)
            before = {n: statistics.mean(f.similarity_before[n] for _, f in rows) for n in encoders}
            after = {n: statistics.mean(f.similarity_after[n] for _, f in rows) for n in encoders}
            summary = {
                "wer": round(errors / words, 4),
                "input_wer": round(input_errors / words, 4),
                "words": words,
                "median_boundary_error_s": round(float(np.median(boundaries)), 3),
                "p90_boundary_error_s": round(float(np.percentile(boundaries, 90)), 3),
                "max_length_error": round(max(abs(f.length_ratio - 1) for _, f in rows), 5),
                "similarity_before": {n: round(v, 3) for n, v in before.items()},
                "similarity_after": {n: round(v, 3) for n, v in after.items()},
                "median_rtf": round(statistics.median(r for r, _ in rows), 3),
            }
            print(
                f"  all: WER {errors}/{words} = {100 * errors / words:.1f} % "
                f"(input {100 * input_errors / words:.1f} %), word boundaries median "
                f"{summary['median_boundary_error_s'] * 1000:.0f} ms, p90 "
                f"{summary['p90_boundary_error_s'] * 1000:.0f} ms; similarity "
                + ", ".join(f"{n} {before[n]:.3f} -> {after[n]:.3f}" for n in encoders)
                + f"; median RTF {summary['median_rtf']:.2f}"
            )
            result[voice_id] = summary
    return result


def stream(voices: list[str], threads: int, seconds: float, workdir: Path) -> dict:
    clips = corpus_speech(CORPUS)
    pause = np.zeros(SAMPLE_RATE, np.float32)
    parts: list[np.ndarray] = []
    while sum(len(part) for part in parts) < seconds * SAMPLE_RATE:
        parts += [load(clips[len(parts) // 2 % len(clips)].path), pause]
    joined = np.concatenate(parts)
    duration = len(joined) / SAMPLE_RATE
    print(f"\n== POST /v1/speech-to-speech/{{voice_id}}/stream, {duration:.0f} s of corpus speech (MP3)")
    print(f"   (uvicorn child process, threads={threads}, engines warmed by one request first)")
    result = {}
    home = workdir / "stream"
    home.mkdir()
    with uvicorn_server(home, workdir / "models", threads) as (url, _process):
        with httpx.Client(base_url=url, headers={"xi-api-key": API_KEY}, timeout=600) as client:
            for voice_id in voices:
                warm = client.post(
                    f"/v1/speech-to-speech/{voice_id}", files={"audio": ("w.wav", _wav(parts[0]))}
                )
                warm.raise_for_status()
                started = time.perf_counter()
                first = None
                with client.stream(
                    "POST",
                    f"/v1/speech-to-speech/{voice_id}/stream",
                    files={"audio": ("long.wav", _wav(joined))},
                ) as response:
                    response.raise_for_status()
                    for _chunk in response.iter_bytes():
                        first = first or time.perf_counter() - started
                total = time.perf_counter() - started
                print(
                    f"  {VOICES.get(voice_id, voice_id):18} first bytes {first:.2f} s, total {total:.1f} s, "
                    f"RTF {total / duration:.2f}"
                )
                result[voice_id] = {"ttfb_s": round(first or 0.0, 3), "rtf": round(total / duration, 3)}
    return {"seconds": round(duration, 1), **result}


def openvoice(threads: int, workdir: Path) -> dict:
    print(f"\n== OpenVoice v2 converter, published architecture, random weights (threads={threads})")
    folder = write_converter(workdir / "openvoice-v2", V2_CONFIG)
    converter = OpenVoiceConverter(folder, threads=threads)
    speech = np.concatenate([load(clip.path) for clip in corpus_speech(CORPUS)[:4]])
    target = converter.reference(speech, SAMPLE_RATE)
    converter.convert(speech[: 2 * SAMPLE_RATE], SAMPLE_RATE, target, ConversionOptions(seed=0))  # warm
    started = time.perf_counter()
    converter.convert(speech, SAMPLE_RATE, target, ConversionOptions(seed=0))
    duration = len(speech) / SAMPLE_RATE
    bare = (time.perf_counter() - started) / duration
    print(f"  bare convert of {duration:.1f} s: RTF {bare:.3f}")
    settings = Settings(
        home=workdir / "openvoice", api_key=API_KEY, engine_threads=threads, openvoice_path=folder
    )
    with TestClient(create_app(settings), headers={"xi-api-key": API_KEY}) as client:

        def change() -> None:
            response = client.post(
                "/v1/speech-to-speech/JBFqnCBsd6RMkjVDRZzb",
                params={"output_format": "mp3_44100_128"},
                files={"audio": ("speech.wav", _wav(speech))},
            )
            assert response.headers["x-vocalis-engine"] == "openvoice-v2"

        change()  # engines loaded, the target voice's reference rendered and kept
        started = time.perf_counter()
        change()
        request = (time.perf_counter() - started) / duration
    print(f"  POST /v1/speech-to-speech (decode, VAD, blocks, MP3): RTF {request:.3f}")
    return {"seconds": round(duration, 1), "bare_rtf": round(bare, 3), "request_rtf": round(request, 3)}


def voice_changer(voices: list[str], threads: int, stream_seconds: float, sections: list[str]) -> dict:
    busy = cpu_busy()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, CPUs busy before start: "
        f"{'n/a' if busy is None else f'{100 * busy:.0f} %'}; threads {threads}"
    )
    result: dict = {"threads": threads}
    with tempfile.TemporaryDirectory(prefix="vocalis-bench-sts-") as name:
        workdir = Path(name)
        if "quality" in sections:
            result["quality"] = quality(voices, threads, workdir)
        if "stream" in sections:
            result["stream"] = stream(voices, threads, stream_seconds, workdir)
        if "openvoice" in sections:
            result["openvoice"] = openvoice(threads, workdir)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--voices", default=",".join(VOICES), help="target voice ids")
    parser.add_argument("--threads", type=int, default=2, help="engine threads")
    parser.add_argument("--stream-seconds", type=float, default=60.0, help="length of the streamed input")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"of: {', '.join(SECTIONS)}")
    args = parser.parse_args()
    sections = [name.strip() for name in args.sections.split(",") if name.strip()]
    if any(name not in SECTIONS for name in sections):
        parser.error(f"sections are {', '.join(SECTIONS)}")
    result = voice_changer(args.voices.split(","), args.threads, args.stream_seconds, sections)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
