"""Sound effects benchmark: render time of every procedural recipe, the full request path, and which recipe
each prompt of the shared prompt table gets from the keyword and MiniLM matchers.

    python bench/sound_effects.py [--repeats 3] [--seconds 5] [--threads 2]

Also a section of `bench/audio_tools.py` (`--sections sound_effects`). Figures are medians over the
repeats, printed with their settings; compare runs only at equal settings on an idle machine. The last
line is the whole result as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # the prompt table of the tests

from fastapi.testclient import TestClient  # noqa: E402

from tests.e2e.sfx_prompts import LITERAL, PARAPHRASES  # noqa: E402
from vocalis.app import create_app  # noqa: E402
from vocalis.config import Settings  # noqa: E402
from vocalis.engines import sentence_embedding  # noqa: E402
from vocalis.engines.protocols import SoundOptions  # noqa: E402
from vocalis.sound_effects.matching import RecipeMatcher  # noqa: E402
from vocalis.sound_effects.procedural import ProceduralSoundGenerator  # noqa: E402
from vocalis.sound_effects.recipes import RECIPES  # noqa: E402

API_KEY = "sk_bench_sound_effects"


def _median_seconds(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def render_times(seconds: float, repeats: int) -> dict:
    """Each recipe rendered bare (recipe + distance), as many seconds as asked."""
    print(f"\n== Procedural recipes: render time of {seconds:g} s of audio (median of {repeats})")
    engine = ProceduralSoundGenerator()
    times = {}
    for name, recipe in sorted(RECIPES.items()):
        plan = engine.plan(recipe.name.replace("_", " "))
        times[name] = _median_seconds(
            lambda plan=plan: engine.render(plan, SoundOptions(seconds, seed=1)), repeats
        )
    for name, took in sorted(times.items(), key=lambda item: -item[1]):
        print(f"  {name:16s} {took * 1000:7.1f} ms   real-time factor {took / seconds:.3f}")
    values = list(times.values())
    print(
        f"  all {len(values)}: median {statistics.median(values) * 1000:.0f} ms, "
        f"slowest {max(values) * 1000:.0f} ms ({max(times, key=times.get)})"
    )
    return {
        "seconds": seconds,
        "ms": {name: round(took * 1000, 1) for name, took in times.items()},
        "median_ms": round(statistics.median(values) * 1000, 1),
    }


def request_times(seconds: float, repeats: int, threads: int) -> dict:
    """`POST /v1/sound-generation` in-process (plan, render, loop/loudness, MP3), cold and warm."""
    print(f"\n== POST /v1/sound-generation, mp3_44100_128, {seconds:g} s (ASGI, threads={threads})")
    with tempfile.TemporaryDirectory(prefix="vocalis-bench-sfx-") as home:
        settings = Settings(home=Path(home), api_key=API_KEY, engine_threads=threads)
        with TestClient(create_app(settings), headers={"xi-api-key": API_KEY}) as client:

            def post(text: str, loop: bool = False) -> None:
                body = {"text": text, "duration_seconds": seconds, "loop": loop, "seed": 1}
                client.post("/v1/sound-generation", json=body).raise_for_status()

            cold = _median_seconds(lambda: post("heavy rain on a tin roof"), 1)
            warm = _median_seconds(lambda: post("heavy rain on a tin roof"), repeats)
            looped = _median_seconds(lambda: post("heavy rain on a tin roof", loop=True), repeats)
    print(f"  first request (loads the prompt matcher): {cold:.2f} s")
    print(f"  warm: {warm * 1000:.0f} ms; looped: {looped * 1000:.0f} ms")
    return {"cold_s": round(cold, 2), "warm_ms": round(warm * 1000), "loop_ms": round(looped * 1000)}


def recipe_choice() -> dict:
    """Which recipe each prompt gets, from words alone and (when installed) from MiniLM embeddings."""
    matchers = [RecipeMatcher(list(RECIPES.values()))]
    if sentence_embedding.available():
        matchers.append(RecipeMatcher(list(RECIPES.values()), sentence_embedding.MiniLMEmbedder()))
    names = [m.matcher_name for m in matchers]
    print(f"\n== Prompt → recipe ({', '.join(names)}); '*' marks a wrong choice")
    print(f"  {'prompt':50s} {'expected':15s} " + " ".join(f"{n:16s}" for n in names))
    results: dict = {}
    for table_name, table in (("literal", LITERAL), ("paraphrases", PARAPHRASES)):
        correct = dict.fromkeys(names, 0)
        for prompt, expected in table.items():
            chosen = [m.match(prompt).recipe.name for m in matchers]
            for name, recipe in zip(names, chosen):
                correct[name] += recipe == expected
            cells = " ".join(f"{r + ('' if r == expected else '*'):16s}" for r in chosen)
            print(f"  {prompt[:50]:50s} {expected:15s} {cells}")
        for name in names:
            print(f"  {table_name} accuracy, {name}: {correct[name]}/{len(table)}")
        results[table_name] = {name: f"{correct[name]}/{len(table)}" for name in names}
    return results


def sound_effects(args: argparse.Namespace, _workdir: Path) -> dict:
    seconds = getattr(args, "seconds", 5.0)
    return {
        "render": render_times(seconds, args.repeats),
        "request": request_times(seconds, args.repeats, args.threads),
        "recipe_choice": recipe_choice(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each rendered sound")
    parser.add_argument("--threads", type=int, default=2, help="VOCALIS_ENGINE_THREADS of the app")
    args = parser.parse_args(argv)
    settings = {
        "repeats": args.repeats,
        "seconds": args.seconds,
        "threads": args.threads,
        "cpus": os.cpu_count(),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
    }
    print(f"Vocalis sound effects bench: {settings}")
    results = {
        "bench": "sound_effects",
        "settings": settings,
        **sound_effects(args, Path(tempfile.gettempdir())),
    }
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
