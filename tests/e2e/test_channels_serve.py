"""One ``python -m bot serve`` with Slack, Telegram, DingTalk and WeCom all configured, each
pointed at a fake platform on 127.0.0.1 (the ``served`` fixture, tests/e2e/conftest.py).

On every platform a bound member's ``/whoami`` is answered with their card, and ``/help`` sends
a card whose button, tapped, updates that same card in place (in the other language).
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from adapters.wecom.signing import WeComCrypto
from tests.fake_telegram import Stored
from tests.fakes import dingtalk as ding
from tests.fakes import slack_requests as slack
from tests.fakes import wecom
from tests.fakes.dingtalk import ding_sign
from tests.fakes.slack import Posted
from tests.processes import bot_env, run_bot
from tests.sales_day import ORG_TZ, check_sales_day, close_date, sales_day
from tests.served import Platforms, Served, until
from tests.telegram_harness import ALICE
from tests.telegram_harness import SECRET as TELEGRAM_SECRET
from tests.telegram_updates import callback_update, message_update
from tests.wecom_messages import (
    AES_KEY,
    CORP_ID,
    TOKEN,
    card_event,
    contact_event,
    sealed,
    text_message,
)

pytestmark = pytest.mark.slow


async def test_one_server_serves_all_four_platforms(served: Served) -> None:
    await slack_whoami_and_card(served)
    await telegram_whoami_and_card(served)
    await dingtalk_whoami_and_card(served)
    await wecom_whoami_and_card(served)


async def slack_whoami_and_card(served: Served) -> None:
    fake = served.fakes.slack

    async def post(body: str) -> None:
        url = f"{served.url}/slack/events"
        async with served.http.post(url, data=body, headers=slack.signed(body)) as answer:
            assert answer.status == 200

    def a_card(header: str) -> Callable[[], Posted | None]:
        return lambda: next((m for m in fake.in_channel("C0GENERAL") if m.header == header), None)

    await post(slack.command("whoami", response_url=fake.response_url("T0TEST/1/whoami")))
    await until(lambda: a_card("Alice Admin")() is not None, "Slack /whoami")
    await post(slack.command("help"))
    await until(lambda: a_card("What I can do for you")() is not None, "the Slack help card")
    card = a_card("What I can do for you")()
    assert card is not None
    [token] = card.tokens()
    await post(slack.action(token, channel=card.channel, message_ts=card.ts))
    await until(lambda: bool(fake.of("chat.update")), "the Slack card update")
    [update] = fake.of("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (card.channel, card.ts)
    assert card.header == "我能为你做什么"


HELP_TITLES = ("<b>What I can do for you</b>", "<b>我能为你做什么</b>")


def title_of(html: str) -> str:
    return html.split("\n", 1)[0]


async def telegram_whoami_and_card(served: Served) -> None:
    fake = served.fakes.telegram

    async def deliver(update: dict[str, object]) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        url = f"{served.url}/telegram/webhook"
        async with served.http.post(url, json=update, headers=headers) as answer:
            assert answer.status == 200

    def to_alice() -> list[Stored]:
        return [m for m in fake.messages.values() if m.chat_id == ALICE]

    await deliver(message_update(1, ALICE, "/whoami"))
    await until(lambda: len(to_alice()) == 1, "Telegram /whoami")
    assert to_alice()[0].text.startswith("<b>Alice Admin</b>")
    await deliver(message_update(2, ALICE, "/help"))
    await until(lambda: len(to_alice()) == 2, "the Telegram help card")
    card = to_alice()[1]
    before = title_of(card.text)
    assert before == HELP_TITLES[1]  # Alice chose Chinese on Slack
    assert card.reply_markup is not None
    [[button]] = card.reply_markup["inline_keyboard"]
    tap = callback_update(
        3, ALICE, button["callback_data"], chat_id=ALICE, message_id=card.message_id
    )
    await deliver(tap)
    await until(lambda: card.edits == 1, "the Telegram card edit")
    assert [c.params["callback_query_id"] for c in fake.calls_to("answerCallbackQuery")] == ["cq3"]
    assert title_of(card.text) == HELP_TITLES[0]  # the same message, back in English


async def dingtalk_whoami_and_card(served: Served) -> None:
    fake = served.fakes.ding
    webhook = f"{fake.base_url}{ding.WEBHOOK}?session=e2e"
    expires = int(time.time() * 1000) + 5_400_000

    async def post(path: str, body: dict[str, Any]) -> None:
        timestamp = str(int(time.time() * 1000))
        headers = {"timestamp": timestamp, "sign": ding_sign(timestamp, fake.app_secret)}
        async with served.http.post(served.url + path, json=body, headers=headers) as answer:
            assert answer.status == 200

    def said(text: str, staff: str, msg_id: str) -> dict[str, Any]:
        return ding.robot_message(
            text, msg_id=msg_id, staff_id=staff, webhook=webhook, expires_ms=expires
        )

    await post("/dingtalk/callback", said("/whoami", "0002BOB", "e2e-1"))
    await until(lambda: bool(fake.sent(ding.WEBHOOK)), "DingTalk /whoami")
    assert "李博 Bob" in fake.sent(ding.WEBHOOK)[0].body["markdown"]["title"]
    await post("/dingtalk/callback", said("/help", "0003CAROL", "e2e-2"))
    await until(lambda: bool(fake.sent(ding.CARD_SEND)), "the DingTalk help card")
    card_id = fake.sent(ding.CARD_SEND)[0].body["cardBizId"]
    [button] = ding.card_buttons(fake.cards[card_id])
    await post("/dingtalk/card-callback", ding.card_callback(card_id, "0003CAROL", button["id"]))
    await until(lambda: bool(fake.sent(ding.CARD_UPDATE)), "the DingTalk card update")
    assert fake.sent(ding.CARD_UPDATE)[0].body["cardBizId"] == card_id
    assert fake.cards[card_id]["header"]["title"]["text"] == "我能为你做什么"


async def wecom_post(served: Served, plain: str) -> None:
    """A sealed WeCom callback carrying ``plain``, answered with WeCom's empty 200."""
    query, body = sealed(WeComCrypto(TOKEN, AES_KEY, CORP_ID), plain, int(time.time()))
    url = served.url + "/wecom/callback"
    async with served.http.post(url, params=query, data=body.encode()) as answer:
        assert (answer.status, await answer.text()) == (200, "")


async def wecom_whoami_and_card(served: Served) -> None:
    fake = served.fakes.wecom
    now = int(time.time())

    await wecom_post(served, text_message("bob.li", "/whoami", "e2e-1", now))
    await until(lambda: bool(fake.sent(wecom.SEND)), "WeCom /whoami")
    assert "李博 Bob" in fake.sent(wecom.SEND)[0].body["markdown"]["content"]
    await wecom_post(served, text_message("carol.chen", "/help", "e2e-2", now))
    await until(lambda: len(fake.sent(wecom.SEND)) == 2, "the WeCom help card")
    help_card = fake.sent(wecom.SEND)[1].body["template_card"]
    before = help_card["main_title"]["title"]
    assert before == "我能为你做什么"  # Carol chose Chinese on DingTalk
    task, [button] = help_card["task_id"], help_card["button_list"]
    await wecom_post(
        served, card_event("carol.chen", button["key"], task, fake.response_code(task), now + 1)
    )
    await until(lambda: bool(fake.sent(wecom.UPDATE)), "the WeCom card update")
    assert fake.cards[task]["main_title"]["title"] == "What I can do for you"


async def test_a_wecom_customer_is_linked_for_the_rep_who_added_them(served: Served) -> None:
    """bob keeps a contact with a phone number, adds that customer on WeCom, and is told (on
    WeCom) that the customer was linked; the customer card shows the WeCom account."""
    fake, now = served.fakes.wecom, int(time.time())

    async def bob_says(text: str, n: int) -> str:
        await wecom_post(served, text_message("bob.li", text, f"wl-{n}", now))
        await until(lambda: len(fake.sent(wecom.SEND)) >= n, f"WeCom: {text}")
        return json.dumps(fake.sent(wecom.SEND)[n - 1].body, ensure_ascii=False)

    await bob_says("/prefer wecom", 1)  # bob's notifications come to WeCom
    await bob_says("/客户 添加 华为", 2)
    await bob_says("/联系人 添加 1 王伟 phone=13800000001", 3)
    fake.add_customer("wmWANG", "Wei", added_by="bob.li", phones=("+86 138 0000 0001",))
    await wecom_post(served, contact_event("add_external_contact", "bob.li", "wmWANG", now))
    await until(lambda: len(fake.sent(wecom.SEND)) >= 4, "the WeCom linked card")
    card = fake.sent(wecom.SEND)[3].body["template_card"]
    assert card["main_title"]["title"] == "企业微信客户 Wei 已关联"
    assert "企业微信 #1" in await bob_says("/客户 查看 1", 5)


async def test_a_sales_day_on_slack_and_telegram(served: Served) -> None:
    """The scripted CRM sales day (tests/sales_day.py), typed by alice on Slack, then on Telegram
    (one database: the Telegram run works on a second customer, #2)."""
    close, today = close_date(), datetime.now(ORG_TZ).date()
    slack_answers = await slack_sales_day(served, sales_day(close))
    check_sales_day(slack_answers, close, today)
    first_run = sales_day(close)
    second_run = [
        line.replace(" 1", " 2") for line in first_run
    ]  # customer #2, contact #2, deal #2
    telegram_answers = await telegram_sales_day(served, second_run)
    assert "Customer #2: Acme Trading" in telegram_answers[-1], telegram_answers[-1]
    assert "Renewal · CN¥10,000.00 · won" in " ".join(telegram_answers[-1].split())
    assert "CN¥20,000.00" in telegram_answers[-2]  # this month's forecast: both won renewals


async def slack_sales_day(served: Served, lines: list[str]) -> list[str]:
    fake, answers = served.fakes.slack, []
    for line in lines:
        before = len(fake.in_channel("C0GENERAL"))
        body = slack.command(line.removeprefix("/"))
        async with served.http.post(
            f"{served.url}/slack/events", data=body, headers=slack.signed(body)
        ) as answer:
            assert answer.status == 200
        await until(lambda: len(fake.in_channel("C0GENERAL")) > before, f"Slack: {line}")  # noqa: B023
        answers.append(html.unescape(fake.in_channel("C0GENERAL")[before].body["text"]))
    return answers


async def telegram_sales_day(served: Served, lines: list[str]) -> list[str]:
    fake, answers = served.fakes.telegram, []
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    for n, line in enumerate(lines, start=100):
        sent = [m for m in fake.messages.values() if m.chat_id == ALICE]
        async with served.http.post(
            f"{served.url}/telegram/webhook", json=message_update(n, ALICE, line), headers=headers
        ) as answer:
            assert answer.status == 200
        await until(
            lambda: len([m for m in fake.messages.values() if m.chat_id == ALICE]) > len(sent),  # noqa: B023
            f"Telegram: {line}",
        )
        new = [m for m in fake.messages.values() if m.chat_id == ALICE][len(sent)]
        answers.append(html.unescape(re.sub(r"<[^>]+>", "", new.text)))
    return answers


async def test_set_webhook_registers_the_url_with_the_secret_token(fakes: Platforms) -> None:
    fake = fakes.telegram
    env = bot_env(
        "sqlite:///unused.db",
        **{k: v for k, v in fakes.settings().items() if k.startswith("telegram")},
    )
    url = "https://bizbot.example.com/telegram/webhook"
    done = await asyncio.to_thread(run_bot, "telegram", "set-webhook", url, env=env)
    assert done.returncode == 0, done.stderr
    assert fake.webhook["url"] == url
    assert fake.webhook["secret_token"] == TELEGRAM_SECRET
    assert fake.webhook["allowed_updates"] == ["message", "callback_query"]
    env["BIZBOT_TELEGRAM_SECRET_TOKEN"] = "not allowed!"
    refused = await asyncio.to_thread(run_bot, "telegram", "set-webhook", url, env=env)
    assert refused.returncode == 1
    assert "BIZBOT_TELEGRAM_SECRET_TOKEN" in refused.stdout + refused.stderr
