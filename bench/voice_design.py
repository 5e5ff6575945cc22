"""Voice design benchmark: how descriptions are read (word lists against MiniLM, on the shared description
table), and what `POST /v1/text-to-voice/design` makes of a few of them: request time, each preview's median
F0 against its target, speaking rate, and Whisper tiny.en word error rate; and what
`POST /v1/text-to-voice/{voice_id}/remix` does to premade voices: pitch and pace of the previews against the
voice's own speech of the same text.

    python bench/voice_design.py [--threads 2] [--seed 1]

Compare runs only at equal settings on an idle machine. The last line is the whole result as JSON.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # the description table and the speech judges of the tests

import numpy as np  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from tests.e2e.quality import transcribe, word_errors  # noqa: E402
from tests.e2e.voice_descriptions import LITERAL, PARAPHRASES  # noqa: E402
from tests.unit.test_premade_voices import median_f0  # noqa: E402
from vocalis.app import create_app  # noqa: E402
from vocalis.audio import decode, resample  # noqa: E402
from vocalis.config import Settings  # noqa: E402
from vocalis.engines import sentence_embedding  # noqa: E402
from vocalis.voice_design.candidates import semitones  # noqa: E402
from vocalis.voice_design.traits import DescriptionReader  # noqa: E402

API_KEY = "sk_bench_voice_design"
TEXT = "Every act of kindness, no matter how small, carries value and can make a difference in someone's day."
DESCRIPTIONS = (
    "A deep-voiced middle-aged man with a calm, low voice",
    "A young woman with a high, bright voice, cheerful and friendly",
    "An old British man with a raspy voice who talks slowly",
    "A fast-talking young man, energetic and excited",
    "A little girl with a squeaky voice",
    "A massive evil ogre with a booming voice",
)


def reading() -> dict:
    """Gender, age and pitch read right, per table and reader (traits left open are not counted)."""
    readers = {"keywords": None}
    if sentence_embedding.available():
        readers[sentence_embedding.NAME] = sentence_embedding.MiniLMEmbedder()
    reader = DescriptionReader()
    print("\n== Description → traits (gender, age, pitch named or implied)")
    results: dict = {}
    for table_name, table in (("literal", LITERAL), ("paraphrases", PARAPHRASES)):
        for name, embedder in readers.items():
            right = asked = 0
            for description, *wanted in table:
                traits = reader.read(description, embedder)
                pitch = "low" if traits.pitch < 0 else "high" if traits.pitch > 0 else None
                for want, got in zip(wanted, (traits.gender, traits.age, pitch), strict=True):
                    if want is not None:
                        asked += 1
                        right += want == got
            print(f"  {table_name:12s} {name:18s} {right}/{asked}")
            results.setdefault(table_name, {})[name] = f"{right}/{asked}"
    return results


def designs(threads: int, seed: int) -> dict:
    print(
        f"\n== POST /v1/text-to-voice/design, {len(TEXT)}-character text, seed {seed} "
        f"(ASGI, threads={threads})"
    )
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="vocalis-bench-ttv-") as home:
        settings = Settings(home=Path(home), api_key=API_KEY, engine_threads=threads)
        with TestClient(create_app(settings), headers={"xi-api-key": API_KEY}) as client:
            errors = words = 0
            for description in DESCRIPTIONS:
                start = time.perf_counter()
                response = client.post(
                    "/v1/text-to-voice/design",
                    json={"voice_description": description, "text": TEXT, "seed": seed},
                )
                took = time.perf_counter() - start
                response.raise_for_status()
                pitches, rates = [], []
                for preview in response.json()["previews"]:
                    audio = decode(base64.b64decode(preview["audio_base_64"]))
                    clip = resample(audio.samples, audio.sample_rate, 16000)
                    pitches.append(round(median_f0(clip, 16000)))
                    rates.append(round(len(TEXT) / preview["duration_secs"], 1))
                    wrong, total = word_errors(TEXT, transcribe(clip))
                    errors, words = errors + wrong, words + total
                traits = response.headers["x-vocalis-traits"]
                print(f"  {description[:60]:60s} {took:5.1f} s  F0 {pitches} Hz  {rates} chars/s")
                print(f"    read as: {traits}")
                results[description] = {"seconds": round(took, 1), "f0_hz": pitches, "chars_per_s": rates}
            wer = errors / words
            print(f"  Whisper tiny.en WER over all {3 * len(DESCRIPTIONS)} previews: {wer:.1%}")
    first = next(iter(results.values()))["seconds"]
    warm = statistics.median(result["seconds"] for result in list(results.values())[1:])
    print(f"  first request {first:.1f} s (loads MiniLM and the engines), then median {warm:.1f} s")
    return {"requests": results, "wer": round(wer, 4), "first_s": first, "warm_median_s": warm}


# (voice_id, name, remix prompt)
REMIXES = (
    ("JBFqnCBsd6RMkjVDRZzb", "George", "Make him deeper and slower"),
    ("JBFqnCBsd6RMkjVDRZzb", "George", "make him sound older, with a raspier voice"),
    ("JBFqnCBsd6RMkjVDRZzb", "George", "a bit higher and much faster"),
    ("21m00Tcm4TlvDq8ikWAM", "Rachel", "make her voice higher and faster"),
    ("21m00Tcm4TlvDq8ikWAM", "Rachel", "calmer, lower and slower"),
    ("JBFqnCBsd6RMkjVDRZzb", "George", "Turn it into a woman's voice"),
)


def clip_16k(audio: bytes) -> np.ndarray:
    decoded = decode(audio)
    return resample(decoded.samples, decoded.sample_rate, 16000)


def remixes(threads: int, seed: int) -> dict:
    """Each prompt's previews against the voice's own speech of TEXT: semitones of median F0, and pace."""
    print(f"\n== POST /v1/text-to-voice/{{voice_id}}/remix, seed {seed} (ASGI, threads={threads})")
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="vocalis-bench-remix-") as home:
        settings = Settings(home=Path(home), api_key=API_KEY, engine_threads=threads)
        with TestClient(create_app(settings), headers={"xi-api-key": API_KEY}) as client:
            own = {}
            for voice_id, _, _ in REMIXES:
                if voice_id not in own:
                    spoken = client.post(f"/v1/text-to-speech/{voice_id}", json={"text": TEXT, "seed": seed})
                    spoken.raise_for_status()
                    own[voice_id] = clip_16k(spoken.content)
            for voice_id, name, prompt in REMIXES:
                start = time.perf_counter()
                response = client.post(
                    f"/v1/text-to-voice/{voice_id}/remix",
                    json={"voice_description": prompt, "text": TEXT, "seed": seed},
                )
                took = time.perf_counter() - start
                response.raise_for_status()
                source_f0 = median_f0(own[voice_id], 16000)
                shifts, paces = [], []
                for preview in response.json()["previews"]:
                    clip = clip_16k(base64.b64decode(preview["audio_base_64"]))
                    shifts.append(round(semitones(source_f0, median_f0(clip, 16000)), 1))
                    paces.append(round(len(own[voice_id]) / len(clip), 2))
                print(f"  {name} + {prompt!r:48s} {took:5.1f} s  F0 {shifts} semitones  pace x{paces}")
                results[f"{name}: {prompt}"] = {"seconds": round(took, 1), "semitones": shifts, "pace": paces}
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=2, help="VOCALIS_ENGINE_THREADS of the app")
    parser.add_argument("--seed", type=int, default=1, help="seed of every design request")
    args = parser.parse_args(argv)
    settings = {
        "threads": args.threads,
        "seed": args.seed,
        "cpus": os.cpu_count(),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
    }
    print(f"Vocalis voice design bench: {settings}")
    result = {
        "settings": settings,
        "reading": reading(),
        "design": designs(args.threads, args.seed),
        "remix": remixes(args.threads, args.seed),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
