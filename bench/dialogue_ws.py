"""Text-to-Dialogue WebSocket benchmark against a real uvicorn server: how soon audio comes back.

    python bench/dialogue_ws.py [--repeats 5] [--engines piper,kokoro] [--threads 2]

Per engine (its voice alone in the dialogue, model eleven_v3):
- flush → first audio: a whole sentence sent as one input with `flush: true`, time until the first audio;
- first text → first audio while streaming words at LLM pace (one input per word every 30 ms), generation
  starting on the dialogue sockets' 40-character schedule;

The last line is the whole result as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tts import SERVER_CASES, cpu_busy, machine_line, uvicorn_server  # noqa: E402
from ws import OUTPUT_FORMAT, SENTENCE, WORD_INTERVAL, connect, drain, first_audio_after  # noqa: E402


def socket_url(base_url: str) -> str:
    return (
        base_url.replace("http", "ws", 1) + f"/v1/text-to-dialogue/stream-input?output_format={OUTPUT_FORMAT}"
    )


def line(text: str, voice_id: str, **extra) -> dict:
    return {"text": text, "voice_id": voice_id, **extra}


async def close(ws) -> None:
    await ws.send(json.dumps({"close_socket": True}))
    await drain(ws)


async def flush_latency(base_url: str, voice_id: str) -> float:
    async with await connect(socket_url(base_url)) as ws:
        await ws.send(json.dumps({"voices": [voice_id]}))
        await ws.send(json.dumps({"inputs": [line(SENTENCE + " ", voice_id)], "flush": True}))
        latency = await first_audio_after(ws)
        await close(ws)
    return latency


async def streamed_latency(base_url: str, voice_id: str) -> float:
    async def words(ws) -> None:
        for word in SENTENCE.split():
            await ws.send(json.dumps({"inputs": [line(word + " ", voice_id)]}))
            await asyncio.sleep(WORD_INTERVAL)
        await ws.send(json.dumps({"flush": True}))

    async with await connect(socket_url(base_url)) as ws:
        await ws.send(json.dumps({"voices": [voice_id]}))
        sender = asyncio.create_task(words(ws))
        latency = await first_audio_after(ws)
        await sender
        await close(ws)
    return latency


async def measure(base_url: str, engine: str, repeats: int) -> dict:
    voice_id, _ = SERVER_CASES[engine]
    await flush_latency(base_url, voice_id)  # load the engine
    return {
        "voice_id": voice_id,
        "flush_to_first_audio_s": statistics.median(
            [await flush_latency(base_url, voice_id) for _ in range(repeats)]
        ),
        "first_text_to_first_audio_s": statistics.median(
            [await streamed_latency(base_url, voice_id) for _ in range(repeats)]
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--engines", default="piper,kokoro")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    engines = args.engines.split(",")

    busy = cpu_busy()
    print(machine_line(busy))
    print(
        f"settings: engine threads {args.threads}, repeats {args.repeats} (medians), {OUTPUT_FORMAT}, "
        f"model eleven_v3, words every {WORD_INTERVAL * 1000:.0f} ms when streamed"
    )
    results = {}
    with tempfile.TemporaryDirectory() as home:
        cache = Path(os.environ.get("VOCALIS_MODEL_CACHE", Path(home) / "models"))
        with uvicorn_server(Path(home), cache, args.threads) as (base_url, _process):
            for engine in engines:
                results[engine] = figures = asyncio.run(measure(base_url, engine, args.repeats))
                print(f"\n{engine} ({figures['voice_id']}):")
                for label, key in (
                    ("flush → first audio", "flush_to_first_audio_s"),
                    ("first text → first audio (streamed)", "first_text_to_first_audio_s"),
                ):
                    print(f"  {label:<37} {figures[key] * 1000:7.0f} ms")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
