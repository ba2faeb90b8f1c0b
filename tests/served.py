"""One ``python -m bot serve`` with Slack, Telegram, DingTalk and WeCom all configured, each
pointed at a fake platform on 127.0.0.1, and the web chat with local sign-in: what the e2e tests
of tests/e2e/conftest.py's ``served`` fixture talk to."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.fake_telegram import USERNAME, FakeBotApi
from tests.fakes import dingtalk as ding
from tests.fakes import slack_requests as slack
from tests.fakes import wecom
from tests.fakes.slack import FakeSlack
from tests.processes import ROOT, bot_env, free_port, tail
from tests.telegram_harness import SECRET as TELEGRAM_SECRET
from tests.wecom_messages import AES_KEY, CORP_ID, TOKEN

WAIT = 30.0  # a generous bound on one wait, not a timing assertion
Prepare = Callable[[dict[str, str], Path], None]  # fills the database before the server starts


@dataclass
class Platforms:
    """The four fake platforms, and where they listen."""

    slack: FakeSlack
    telegram: FakeBotApi
    ding: ding.FakeDingTalk
    wecom: wecom.FakeWeCom
    wecom_url: str

    def settings(self) -> dict[str, str]:
        """Every platform's BIZBOT_ settings, pointed at the fakes."""
        return {
            "slack_bot_token": slack.BOT_TOKEN,
            "slack_signing_secret": slack.SECRET,
            "slack_api_url": self.slack.api_url,
            "telegram_bot_token": self.telegram.token,
            "telegram_bot_username": USERNAME,
            "telegram_secret_token": TELEGRAM_SECRET,
            "telegram_api_url": self.telegram.url,
            "dingtalk_app_key": self.ding.app_key,
            "dingtalk_app_secret": self.ding.app_secret,
            "dingtalk_api_url": self.ding.base_url,
            "dingtalk_stream": "0",  # HTTP callbacks, opt-in, are what the tests post
            "dingtalk_corp_id": "dingcorp01",
            "wecom_corp_id": CORP_ID,
            "wecom_agent_id": "1000002",
            "wecom_secret": self.wecom.secret,
            "wecom_token": TOKEN,
            "wecom_encoding_aes_key": AES_KEY,
            "wecom_api_url": self.wecom_url,
        }


@dataclass
class Served:
    """A running ``bizbot serve``, its database, and a client session to talk to it."""

    url: str
    http: aiohttp.ClientSession
    fakes: Platforms
    db_url: str


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait (bounded) until ``condition`` holds."""
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def serve_env(db_url: str, fakes: Platforms) -> dict[str, str]:
    """The environment of a server on a free port, every platform configured, the web chat's
    local sign-in on, and no proxy between it and the fakes."""
    env = bot_env(db_url, port=str(free_port()), poll_interval="0.1", local_login="1")
    env |= {f"BIZBOT_{name.upper()}": value for name, value in fakes.settings().items()}
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env.pop(proxy, None)
    return env


@asynccontextmanager
async def bizbot_serve(env: dict[str, str], log: Path) -> AsyncIterator[str]:
    """``python -m bot serve`` until the block ends (SIGTERM, then a bounded wait); yields its
    URL."""
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", cwd=ROOT, env=env, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{env['BIZBOT_PORT']}"
    try:
        await _ready(url, process, log)
        yield url
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(process.wait(), 60)
        except TimeoutError:
            process.kill()
            code = await process.wait()
        assert code == 0, tail(log)


async def _ready(url: str, process: asyncio.subprocess.Process, log: Path) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            assert process.returncode is None, tail(log)
            try:
                async with http.get(f"{url}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("bizbot serve did not become ready")
