"""``python -m bot serve`` with Telegram pointed at the fake Bot API: the real process."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.fake_telegram import FakeBotApi, Stored
from tests.telegram_harness import ALICE, SECRET, wait_until
from tests.telegram_updates import callback_update, message_update

ROOT = Path(__file__).parents[2]
ORG = ROOT / "tests" / "fixtures" / "org.yaml"
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def bizbot_env(tmp_path: Path, fake: FakeBotApi, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIZBOT_")}
    env.update(
        BIZBOT_DATABASE_URL=f"sqlite:///{tmp_path}/bizbot.db",
        BIZBOT_DEMO="0",
        BIZBOT_HOST="127.0.0.1",
        BIZBOT_PORT=str(port),
        BIZBOT_POLL_INTERVAL="0.1",
        BIZBOT_TELEGRAM_BOT_TOKEN=fake.token,
        BIZBOT_TELEGRAM_SECRET_TOKEN=SECRET,
        BIZBOT_TELEGRAM_API_URL=fake.url,
        NO_PROXY="*",
    )
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env.pop(proxy, None)
    return env


async def bizbot(env: dict[str, str], *args: str) -> tuple[int, str]:
    """Run a ``bizbot`` command to completion; returns its exit code and output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, output.decode()


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    yield api
    await api.close()


@pytest.fixture
async def served(tmp_path: Path, fake: FakeBotApi) -> AsyncIterator[str]:
    """A ``bizbot serve`` process on the test org; yields its base URL."""
    port = free_port()
    env = bizbot_env(tmp_path, fake, port)
    code, output = await bizbot(env, "org", "import", str(ORG))
    assert code == 0, output
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        await until_ready(url, process)
        yield url
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, errors = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, errors.decode()[-3000:]


async def until_ready(url: str, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            if process.returncode is not None:
                raise AssertionError("bizbot serve exited early")
            try:
                async with http.get(f"{url}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("bizbot serve did not become ready")


async def deliver(url: str, update: dict[str, object]) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{url}/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        ) as response,
    ):
        return response.status


def messages_to(fake: FakeBotApi, chat_id: int) -> list[Stored]:
    return [m for m in fake.messages.values() if m.chat_id == chat_id]


async def test_serve_answers_whoami_help_and_a_button_that_edits_in_place(
    served: str, fake: FakeBotApi
) -> None:
    assert fake.calls_to("getMe")
    assert await deliver(served, message_update(1, ALICE, "/whoami")) == 200
    await wait_until(lambda: len(messages_to(fake, ALICE)) == 1, within=30)
    card = messages_to(fake, ALICE)[0]
    assert card.text.startswith("<b>Alice Admin</b>") and "@alice" in card.text

    assert await deliver(served, message_update(2, ALICE, "/help")) == 200
    await wait_until(lambda: len(messages_to(fake, ALICE)) == 2, within=30)
    help_card = messages_to(fake, ALICE)[1]
    assert help_card.text.startswith("<b>What I can do for you</b>")
    assert help_card.reply_markup is not None
    [[button]] = help_card.reply_markup["inline_keyboard"]
    assert button["text"] == "中文"

    tap = callback_update(
        3, ALICE, button["callback_data"], chat_id=ALICE, message_id=help_card.message_id
    )
    assert await deliver(served, tap) == 200
    await wait_until(lambda: help_card.edits == 1, within=30)
    assert [c.params["callback_query_id"] for c in fake.calls_to("answerCallbackQuery")] == ["cq3"]
    [edit] = fake.calls_to("editMessageText")
    assert (edit.params["chat_id"], edit.params["message_id"]) == (ALICE, help_card.message_id)
    assert help_card.text.startswith("<b>我能为你做什么</b>")
    assert len(messages_to(fake, ALICE)) == 2


async def test_set_webhook_registers_the_url_with_the_secret_token(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    env = bizbot_env(tmp_path, fake, free_port())
    url = "https://bizbot.example.com/telegram/webhook"
    code, output = await bizbot(env, "telegram", "set-webhook", url)
    assert code == 0, output
    assert fake.webhook["url"] == url
    assert fake.webhook["secret_token"] == SECRET
    assert fake.webhook["allowed_updates"] == ["message", "callback_query"]
    env["BIZBOT_TELEGRAM_SECRET_TOKEN"] = "not allowed!"
    code, output = await bizbot(env, "telegram", "set-webhook", url)
    assert code == 1 and "BIZBOT_TELEGRAM_SECRET_TOKEN" in output
