"""``python -m bot serve`` with Slack turned on, pointed at a fake Slack: the whole product."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest

from tests.fakes import slack_requests as slack
from tests.fakes.slack import FakeSlack, Posted
from tests.integration.slack_rig import PROXY_VARIABLES, eventually

ROOT = Path(__file__).parents[2]
ORG = ROOT / "tests" / "fixtures" / "org.yaml"


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def run_bizbot(env: dict[str, str], *args: str, log: Path) -> asyncio.subprocess.Process:
    """Start ``python -m bot ARGS`` in the worktree, its output going to ``log``."""
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, cwd=ROOT, env=env, stdout=out, stderr=out
        )


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    """A fake Slack on 127.0.0.1."""
    server = await FakeSlack().start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def bizbot(fake: FakeSlack, tmp_path: Path) -> AsyncIterator[str]:
    """``bizbot serve`` on a temp SQLite database with the test org; yields its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    env |= {
        "BIZBOT_DATABASE_URL": f"sqlite:///{tmp_path}/bizbot.db",
        "BIZBOT_DEMO": "false",
        "BIZBOT_HOST": "127.0.0.1",
        "BIZBOT_PORT": str(port),
        "BIZBOT_POLL_INTERVAL": "0.2",
        "BIZBOT_SLACK_BOT_TOKEN": slack.BOT_TOKEN,
        "BIZBOT_SLACK_SIGNING_SECRET": slack.SECRET,
        "BIZBOT_SLACK_API_URL": fake.api_url,
    }
    log = tmp_path / "bizbot.log"
    importing = await run_bizbot(env, "org", "import", str(ORG), log=log)
    assert await asyncio.wait_for(importing.wait(), 120) == 0, output(log)
    server = await run_bizbot(env, "serve", log=log)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_until_healthy(base, server, log)
        yield base
    finally:
        await stop(server)


async def wait_until_healthy(base: str, server: asyncio.subprocess.Process, log: Path) -> None:
    """Poll /healthz until it answers (bounded), failing early if the process died."""
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            if server.returncode is not None:
                raise AssertionError(f"bizbot serve exited:\n{output(log)}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{base}/healthz") as answer:
                    if answer.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise AssertionError(f"bizbot serve did not become healthy:\n{output(log)}")


def output(log: Path) -> str:
    """What the processes printed, for a failure message."""
    return log.read_text(encoding="utf-8", errors="replace")


async def stop(server: asyncio.subprocess.Process) -> None:
    """SIGTERM, then wait (bounded); kill if it hangs."""
    if server.returncode is None:
        server.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(server.wait(), 30)
        except TimeoutError:
            server.kill()
            await server.wait()


async def post_signed(base: str, body: str) -> int:
    """POST a signed form body to /slack/events; returns the HTTP status."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base}/slack/events", data=body, headers=slack.signed(body)) as answer,
    ):
        return answer.status


async def a_message(fake: FakeSlack, channel: str, check: Callable[[Posted], bool]) -> Posted:
    """Wait until the fake shows a message in ``channel`` that passes ``check``."""
    await eventually(lambda: any(check(m) for m in fake.in_channel(channel)), 60)
    return next(m for m in fake.in_channel(channel) if check(m))


async def test_serve_answers_whoami_and_updates_a_card_in_place(
    bizbot: str, fake: FakeSlack
) -> None:
    url = fake.response_url("T0TEST/1/whoami")
    assert await post_signed(bizbot, slack.command("whoami", response_url=url)) == 200
    whoami = await a_message(fake, "C0GENERAL", lambda m: m.header == "Alice Admin")
    assert "slack:U0ALICE" in str(whoami.body["blocks"])

    assert await post_signed(bizbot, slack.command("help")) == 200
    card = await a_message(fake, "C0GENERAL", lambda m: m.header == "What I can do for you")
    [token] = card.tokens()
    tap = slack.action(token, channel=card.channel, message_ts=card.ts)
    assert await post_signed(bizbot, tap) == 200
    await eventually(lambda: bool(fake.of("chat.update")), 60)
    [update] = fake.of("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (card.channel, card.ts)
    assert card.header == "我能为你做什么"
    assert fake.responses == []  # the bot could post in the channel: no response_url needed
