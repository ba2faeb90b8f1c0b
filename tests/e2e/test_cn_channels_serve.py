"""``python -m bot serve`` with DingTalk and WeCom pointed at fake platforms on 127.0.0.1.

For each platform: a signed (DingTalk) or encrypted (WeCom) ``/whoami`` from a bound member is
answered with the member's card; ``/help`` sends a card whose button, tapped, updates that card
in place, in the other language.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adapters.wecom.signing import WeComCrypto
from tests.fakes import dingtalk as ding
from tests.fakes import wecom
from tests.integration.test_dingtalk import ding_sign
from tests.rigs import CN_ORG_YAML
from tests.wecom_messages import AES_KEY, CORP_ID, TOKEN, card_event, sealed, text_message

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.slow


@dataclass
class Served:
    url: str
    ding: ding.FakeDingTalk
    wecom: wecom.FakeWeCom
    http: aiohttp.ClientSession


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait (at most 20 s) until ``condition`` holds."""
    deadline = time.monotonic() + 20.0
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def run(env: dict[str, str], *args: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=ROOT, env=env
    )
    assert await asyncio.wait_for(process.wait(), 60) == 0


@pytest.fixture
async def served(tmp_path: Path, aiohttp_server: Callable[..., Any]) -> AsyncIterator[Served]:
    fake_ding, fake_wecom = ding.FakeDingTalk(), wecom.FakeWeCom(CORP_ID)
    ding_server: TestServer = await aiohttp_server(fake_ding.app)
    wecom_server: TestServer = await aiohttp_server(fake_wecom.app)
    fake_ding.base_url = str(ding_server.make_url("")).rstrip("/")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BIZBOT_", "HTTP", "http"))}
    env |= {
        "BIZBOT_DATABASE_URL": f"sqlite:///{tmp_path}/bizbot.db",
        "BIZBOT_DEMO": "0",
        "BIZBOT_PORT": str(port),
        "BIZBOT_POLL_INTERVAL": "0.1",
        "BIZBOT_DINGTALK_APP_KEY": fake_ding.app_key,
        "BIZBOT_DINGTALK_APP_SECRET": fake_ding.app_secret,
        "BIZBOT_DINGTALK_API_URL": fake_ding.base_url,
        "BIZBOT_WECOM_CORP_ID": CORP_ID,
        "BIZBOT_WECOM_AGENT_ID": "1000002",
        "BIZBOT_WECOM_SECRET": fake_wecom.secret,
        "BIZBOT_WECOM_TOKEN": TOKEN,
        "BIZBOT_WECOM_ENCODING_AES_KEY": AES_KEY,
        "BIZBOT_WECOM_API_URL": str(wecom_server.make_url("/cgi-bin")),
    }
    org = tmp_path / "org.yaml"
    org.write_text(CN_ORG_YAML, encoding="utf-8")
    await run(env, "org", "import", str(org))
    log = (tmp_path / "serve.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", cwd=ROOT, env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            await _ready(http, url, process)
            yield Served(url, fake_ding, fake_wecom, http)
    finally:
        await _stop(process)
        log.close()


async def _ready(http: aiohttp.ClientSession, url: str, process: Any) -> None:
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        assert process.returncode is None, "bizbot serve exited"
        try:
            async with http.get(f"{url}/readyz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("bizbot serve did not become ready")


async def _stop(process: Any) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()


async def ding_post(served: Served, path: str, body: dict[str, Any]) -> None:
    timestamp = str(int(time.time() * 1000))
    headers = {"timestamp": timestamp, "sign": ding_sign(timestamp, served.ding.app_secret)}
    async with served.http.post(served.url + path, json=body, headers=headers) as response:
        assert response.status == 200


async def test_dingtalk_whoami_and_a_card_updated_in_place(served: Served) -> None:
    fake = served.ding
    webhook = f"{fake.base_url}{ding.WEBHOOK}?session=e2e"
    expires = int(time.time() * 1000) + 5_400_000

    def said(text: str, staff: str, msg_id: str) -> dict[str, Any]:
        return ding.robot_message(
            text, msg_id=msg_id, staff_id=staff, webhook=webhook, expires_ms=expires
        )

    await ding_post(served, "/dingtalk/callback", said("/whoami", "0002BOB", "e2e-1"))
    await until(lambda: bool(fake.sent(ding.WEBHOOK)), "the /whoami reply")
    [card] = fake.sent(ding.WEBHOOK)
    assert "李博 Bob" in card.body["markdown"]["title"]
    assert "@bob" in card.body["markdown"]["text"]

    await ding_post(served, "/dingtalk/callback", said("/help", "0003CAROL", "e2e-2"))
    await until(lambda: bool(fake.sent(ding.CARD_SEND)), "the help card")
    card_id = fake.sent(ding.CARD_SEND)[0].body["cardBizId"]
    assert fake.cards[card_id]["header"]["title"]["text"] == "What I can do for you"
    [button] = ding.card_buttons(fake.cards[card_id])
    await ding_post(
        served, "/dingtalk/card-callback", ding.card_callback(card_id, "0003CAROL", button["id"])
    )
    await until(lambda: bool(fake.sent(ding.CARD_UPDATE)), "the card update")
    assert fake.sent(ding.CARD_UPDATE)[0].body["cardBizId"] == card_id
    assert fake.cards[card_id]["header"]["title"]["text"] == "我能为你做什么"
    [english] = ding.card_buttons(fake.cards[card_id])
    assert english["label"]["text"] == "English"


async def wecom_post(served: Served, plain: str) -> None:
    query, body = sealed(WeComCrypto(TOKEN, AES_KEY, CORP_ID), plain, int(time.time()))
    url = served.url + "/wecom/callback"
    async with served.http.post(url, params=query, data=body.encode()) as response:
        assert (response.status, await response.text()) == (200, "")


async def test_wecom_whoami_and_a_card_updated_in_place(served: Served) -> None:
    fake = served.wecom
    now = int(time.time())
    await wecom_post(served, text_message("bob.li", "/whoami", "e2e-1", now))
    await until(lambda: bool(fake.sent(wecom.SEND)), "the /whoami reply")
    [card] = fake.sent(wecom.SEND)
    assert card.body["touser"] == "bob.li"
    assert "李博 Bob" in card.body["markdown"]["content"]

    await wecom_post(served, text_message("carol.chen", "/help", "e2e-2", now))
    await until(lambda: len(fake.sent(wecom.SEND)) == 2, "the help card")
    help_card = fake.sent(wecom.SEND)[1].body["template_card"]
    assert help_card["main_title"]["title"] == "What I can do for you"
    task, [button] = help_card["task_id"], help_card["button_list"]
    tap = card_event("carol.chen", button["key"], task, fake.response_code(task), now + 1)
    await wecom_post(served, tap)
    await until(lambda: bool(fake.sent(wecom.UPDATE)), "the card update")
    assert fake.cards[task]["main_title"]["title"] == "我能为你做什么"
    assert [b["text"] for b in fake.cards[task]["button_list"]] == ["English"]
