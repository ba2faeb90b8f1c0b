"""The three servers ``bench.slack`` compares; each runs in its own process, pinned to one CPU.

- ``bare``: aiohttp reads the form body and answers 200 (no signature check).
- ``bolt``: a bare slack-bolt ``AsyncApp`` (signature check, ``process_before_response=True``,
  an ``authorize`` callback, no ``auth.test``) whose ``/biz`` listener only acks.
- ``durable``: Bizbot's own ``POST /slack/events`` (the same Bolt checks, then translate, then
  the inbox commit, then the ack), on a fresh SQLite (or the given) database. Only the inbox
  runs: this measures the acknowledgement path, not the command work that follows it.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.channel import SlackChannel, SlackConfig
from bot import migrate
from bot.app import build_runtime
from bot.config import Settings
from bot.logging import configure_logging

SECRET = "bench-signing-secret-0123456789abcdef"  # noqa: S105 - throwaway, loopback only
TOKEN = "xoxb-bench"  # noqa: S105 - never sent anywhere
DEAD_API = "http://127.0.0.1:9/api/"  # nothing is sent in these scenarios
Cleanup = Callable[[], Awaitable[None]]


def bare_app() -> web.Application:
    """aiohttp alone: read the body, answer 200."""

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    return app


def bolt_app() -> web.Application:
    """A bare slack-bolt app that verifies and acks a slash command, nothing more."""

    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=TOKEN)

    async def on_command(ack: AsyncAck) -> None:
        await ack()

    bolt = AsyncApp(
        signing_secret=SECRET,
        client=AsyncWebClient(base_url=DEAD_API),
        authorize=authorize,
        process_before_response=True,
    )
    bolt.command("/biz")(on_command)

    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    return app


async def durable_app(database_url: str) -> tuple[web.Application, Cleanup]:
    """Bizbot's Slack route with a running inbox on a migrated database."""
    await migrate.upgrade(database_url)
    settings = Settings(database_url=database_url, demo=False)  # type: ignore[arg-type]
    channel = SlackChannel(SlackConfig(bot_token=TOKEN, signing_secret=SECRET, api_url=DEAD_API))
    runtime = build_runtime(settings, [channel.client])
    runtime.inbox.start()
    app = web.Application()
    channel.mount(app, runtime.ingest)

    async def cleanup() -> None:
        await runtime.inbox.stop()
        await channel.close()
        await runtime.db.dispose()

    return app, cleanup


async def serve(scenario: str, port: int, database_url: str) -> None:
    """Run one scenario's server until stdin closes; print READY once listening."""
    cleanup: Cleanup | None = None
    if scenario == "bare":
        app = bare_app()
    elif scenario == "bolt":
        app = bolt_app()
    else:
        app, cleanup = await durable_app(database_url)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
    print("READY", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()
    if cleanup is not None:
        await cleanup()


def main(argv: list[str]) -> None:
    """``python -m bench.slack_servers SCENARIO PORT CPU DATABASE_URL``."""
    scenario, port, cpu, database_url = argv
    if int(cpu) >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(cpu)})
    configure_logging(json=False, level="WARNING")
    asyncio.run(serve(scenario, int(port), database_url))


if __name__ == "__main__":
    main(sys.argv[1:])
