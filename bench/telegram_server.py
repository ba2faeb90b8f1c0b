"""The server side of bench.telegram: bare aiohttp, or Bizbot's Telegram webhook and pipeline.

``python -m bench.telegram_server SCENARIO --port P --api-url URL --database URL --secret S``
prints ``ready`` once it listens, and stops on SIGTERM. ``sends-8`` / ``sends-64`` instead time
``TelegramClient.send`` alone against the fake Bot API at 8 or 64 calls in flight, and print the
result as one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import time
from pathlib import Path

from aiohttp import web

from adapters.telegram.channel import TelegramChannel, TelegramConfig
from adapters.telegram.client import TelegramClient, TelegramLimits
from adapters.webchat.client import Hub
from bot import migrate
from bot.app import build_runtime, build_web
from bot.config import Settings
from bot.events import Address
from bot.logging import configure_logging
from bot.pacing import Limit
from bot.replies import Button, Card
from domain.directory.importer import import_org
from tests.fake_telegram import TOKEN

# The fake Bot API is not Telegram: lift Telegram's send limits (1/s per chat, 30/s per bot) so
# that the pipeline, not the platform's rules, is what gets measured. Pacing still runs.
UNPACED = TelegramLimits(*(Limit(1_000_000, 1.0) for _ in range(3)))


async def until_terminated() -> None:
    """Wait for SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def listen(app: web.Application, port: int) -> web.AppRunner:
    """Serve ``app`` on 127.0.0.1 and say ``ready``."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
    print("ready", flush=True)
    return runner


async def serve_bare(port: int) -> None:
    """The ceiling: parse the JSON body and answer 200."""

    async def receive(request: web.Request) -> web.Response:
        await request.json()
        return web.Response()

    app = web.Application()
    app.router.add_post("/telegram/webhook", receive)
    runner = await listen(app, port)
    await until_terminated()
    await runner.cleanup()


async def serve_bizbot(
    port: int, api_url: str, database: str, secret: str, org: str, *, ingest_only: bool = False
) -> None:
    """What ``bizbot serve`` runs for Telegram, on the bench org."""
    configure_logging(json=False, level="WARNING")
    settings = Settings(
        database_url=database,  # type: ignore[arg-type]
        demo=False,
        port=port,
        telegram_bot_token=TOKEN,  # type: ignore[arg-type]
        telegram_secret_token=secret,  # type: ignore[arg-type]
        telegram_api_url=api_url,
    )
    await migrate.upgrade(database)
    config = TelegramConfig.from_settings(settings)
    client = TelegramClient(config.token, config.api_url, limits=UNPACED)
    channel = TelegramChannel(config, client=client)
    runtime = build_runtime(settings, [channel.client])
    await runtime.db.run(lambda s: import_org(s, org, runtime.clock.now()))
    if ingest_only:
        runtime.inbox.start()
    else:
        await runtime.start()
    app = build_web(runtime, Hub())
    channel.mount(app, runtime.ingest)
    await channel.start(runtime.ingest)
    runner = await listen(app, port)
    await until_terminated()
    await runner.cleanup()
    await channel.stop()
    await runtime.stop()
    await channel.close()
    await runtime.db.dispose()


async def measure_sends(api_url: str, count: int, in_flight: int) -> None:
    """Time ``count`` card sends through the Telegram client, ``in_flight`` at a time."""
    client = TelegramClient(TOKEN, api_url, in_flight=in_flight, limits=UNPACED)
    card = Card(title="Pong", body="pong", buttons=(Button("English", token="t" * 22),))
    callers = asyncio.Semaphore(64)  # the relay's default outbox concurrency

    async def send(i: int) -> None:
        async with callers:
            await client.send(Address("telegram", str(3_000_000 + i)), card, {})

    await send(0)  # connect before the clock starts
    started = time.monotonic()
    await asyncio.gather(*(send(i) for i in range(count)))
    per_s = count / (time.monotonic() - started)
    await client.close()
    print(json.dumps({"per_s": per_s, "count": count, "in_flight": in_flight}), flush=True)


def main() -> None:
    """Parse the arguments, pin the CPU, serve."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "scenario", choices=["bare", "durable", "durable-busy", "end-to-end", "sends-8", "sends-64"]
    )
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--cpu", type=int, default=0)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and args.cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {args.cpu})
    if args.scenario == "bare":
        asyncio.run(serve_bare(args.port))
    elif args.scenario.startswith("sends-"):
        in_flight = int(args.scenario.removeprefix("sends-"))
        asyncio.run(measure_sends(args.api_url, args.count, in_flight))
    else:
        org = Path(os.environ["BIZBOT_BENCH_ORG"]).read_text(encoding="utf-8")
        serving = serve_bizbot(
            args.port,
            args.api_url,
            args.database,
            args.secret,
            org,
            ingest_only=args.scenario == "durable",
        )
        asyncio.run(serving)


if __name__ == "__main__":
    main()
