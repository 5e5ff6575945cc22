"""TTS WebSocket benchmark against a real uvicorn server: how soon audio comes back, and how sockets share
the machine.

    python bench/ws.py [--repeats 5] [--engines piper,kokoro] [--sweep 1,4,8,16] [--threads 2]

Per engine:
- flush → first audio: a whole sentence sent with `flush: true`, time until the first audio message;
- first text → first audio while streaming words at LLM pace (one word every 30 ms), with the default
  chunk schedule and with `auto_mode=true`;
- a concurrency sweep: N sockets at once, each streaming the same 200-character text and closing; per socket
  the real-time factor (wall time from its first text to its final message, over the seconds of audio it
  received) and its first-audio latency.

The last line is the whole result as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tts import API_KEY, SERVER_CASES, TEXT_200, cpu_busy, machine_line, uvicorn_server  # noqa: E402

SENTENCE = "The quick brown fox jumps over the lazy dog, then runs back home before the evening rain."
OUTPUT_FORMAT = "pcm_16000"
BYTES_PER_SECOND = 16000 * 2
WORD_INTERVAL = 0.03


def socket_url(base_url: str, voice_id: str, model_id: str, **query: str) -> str:
    parameters = {"model_id": model_id, "output_format": OUTPUT_FORMAT, **query}
    return (
        base_url.replace("http", "ws", 1)
        + f"/v1/text-to-speech/{voice_id}/stream-input?"
        + "&".join(f"{key}={value}" for key, value in parameters.items())
    )


async def connect(url: str):
    return await websockets.connect(url, additional_headers={"xi-api-key": API_KEY}, max_size=None)


async def first_audio_after(ws) -> float:
    """Seconds until the next message with audio."""
    start = time.perf_counter()
    while True:
        message = json.loads(await ws.recv())
        if message.get("audio"):
            return time.perf_counter() - start


async def drain(ws) -> float:
    """Seconds of audio in the messages left, until the server closes."""
    audio = 0
    async for frame in ws:
        message = json.loads(frame)
        if message.get("audio"):
            audio += len(base64.b64decode(message["audio"]))
    return audio / BYTES_PER_SECOND


async def flush_latency(base_url: str, voice_id: str, model_id: str) -> float:
    ws = await connect(socket_url(base_url, voice_id, model_id))
    async with ws:
        await ws.send(json.dumps({"text": " "}))
        await ws.send(json.dumps({"text": SENTENCE + " ", "flush": True}))
        latency = await first_audio_after(ws)
        await ws.send(json.dumps({"text": ""}))
        await drain(ws)
    return latency


async def stream_words(ws, text: str, interval: float) -> None:
    for word in text.split():
        await ws.send(json.dumps({"text": word + " "}))
        await asyncio.sleep(interval)
    await ws.send(json.dumps({"text": ""}))


async def streamed_latency(base_url: str, voice_id: str, model_id: str, auto_mode: bool) -> float:
    ws = await connect(socket_url(base_url, voice_id, model_id, auto_mode=str(auto_mode).lower()))
    async with ws:
        await ws.send(json.dumps({"text": " "}))
        sender = asyncio.create_task(stream_words(ws, TEXT_200, WORD_INTERVAL))
        latency = await first_audio_after(ws)
        await drain(ws)
        await sender
    return latency


async def one_socket(base_url: str, voice_id: str, model_id: str) -> tuple[float, float]:
    """(real-time factor, first-audio latency) of one socket streaming TEXT_200 with the default schedule."""
    ws = await connect(socket_url(base_url, voice_id, model_id))
    async with ws:
        await ws.send(json.dumps({"text": " "}))
        start = time.perf_counter()
        sender = asyncio.create_task(stream_words(ws, TEXT_200, 0.0))
        latency = await first_audio_after(ws)
        audio_seconds = await drain(ws)
        await sender
        wall = time.perf_counter() - start
    return wall / max(audio_seconds, 1e-6), latency


async def sweep(base_url: str, voice_id: str, model_id: str, sockets: int) -> dict:
    results = await asyncio.gather(*(one_socket(base_url, voice_id, model_id) for _ in range(sockets)))
    factors = [factor for factor, _ in results]
    latencies = sorted(latency for _, latency in results)
    return {
        "sockets": sockets,
        "rtf_mean": statistics.mean(factors),
        "rtf_max": max(factors),
        "first_audio_mean_s": statistics.mean(latencies),
        "first_audio_max_s": latencies[-1],
    }


async def measure(base_url: str, engine: str, repeats: int, sweep_sizes: list[int]) -> dict:
    voice_id, model_id = SERVER_CASES[engine]
    await flush_latency(base_url, voice_id, model_id)  # load the engine
    flush = [await flush_latency(base_url, voice_id, model_id) for _ in range(repeats)]
    scheduled = [await streamed_latency(base_url, voice_id, model_id, False) for _ in range(repeats)]
    auto = [await streamed_latency(base_url, voice_id, model_id, True) for _ in range(repeats)]
    return {
        "voice_id": voice_id,
        "model_id": model_id,
        "flush_to_first_audio_s": statistics.median(flush),
        "first_text_to_first_audio_s": statistics.median(scheduled),
        "first_text_to_first_audio_auto_mode_s": statistics.median(auto),
        "sweep": [await sweep(base_url, voice_id, model_id, size) for size in sweep_sizes],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--engines", default="piper,kokoro")
    parser.add_argument("--sweep", default="1,4,8,16")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    engines = args.engines.split(",")
    sweep_sizes = [int(size) for size in args.sweep.split(",")]

    busy = cpu_busy()
    print(machine_line(busy))
    print(
        f"settings: engine threads {args.threads}, repeats {args.repeats}, {OUTPUT_FORMAT}, words every "
        f"{WORD_INTERVAL * 1000:.0f} ms for the streamed latencies"
    )
    results = {}
    with tempfile.TemporaryDirectory() as home:
        cache = Path(os.environ.get("VOCALIS_MODEL_CACHE", Path(home) / "models"))
        with uvicorn_server(Path(home), cache, args.threads) as (base_url, _process):
            for engine in engines:
                results[engine] = asyncio.run(measure(base_url, engine, args.repeats, sweep_sizes))
                figures = results[engine]
                print(f"\n{engine} ({figures['voice_id']}, {figures['model_id']}):")
                print(
                    f"  flush → first audio                      "
                    f"{figures['flush_to_first_audio_s'] * 1000:7.0f} ms"
                )
                print(
                    f"  first text → first audio (schedule)      "
                    f"{figures['first_text_to_first_audio_s'] * 1000:7.0f} ms"
                )
                print(
                    f"  first text → first audio (auto_mode)     "
                    f"{figures['first_text_to_first_audio_auto_mode_s'] * 1000:7.0f} ms"
                )
                print("  sockets   RTF mean   RTF max   first audio mean   first audio max")
                for row in figures["sweep"]:
                    print(
                        f"  {row['sockets']:7d}   {row['rtf_mean']:8.3f}   {row['rtf_max']:7.3f}   "
                        f"{row['first_audio_mean_s'] * 1000:13.0f} ms   "
                        f"{row['first_audio_max_s'] * 1000:12.0f} ms"
                    )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
