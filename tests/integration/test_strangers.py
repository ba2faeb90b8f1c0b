"""Senders not bound to a member may only /bind, and only so often: past their limit a minute they
get one notice in their language, then nothing, until the minute has passed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from adapters.memory.translate import say
from bot.config import Settings
from bot.events import InboundEvent
from bot.pipeline.tables import OutboxRow
from tests.timed import Timed, timed_chat

LIMIT = 3
START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
HOW_TO_BIND = {"en": "Ask your administrator for a bind code", "zh": "绑定码"}
SLOW_DOWN = {"en": "Please wait a minute.", "zh": "请稍等一分钟"}


@pytest.fixture
async def office(settings: Settings) -> AsyncIterator[Timed]:
    async with timed_chat(settings, START) as chat:
        chat.runtime.dispatcher.policies = replace(
            chat.runtime.dispatcher.policies, stranger_events_per_minute=LIMIT
        )
        yield chat


def stranger(sender: str, text: str, *, locale: str = "", group: str = "") -> InboundEvent:
    event = say(sender, text, channel="chat", conversation=group)
    return replace(event, locale_hint=locale, is_direct=not group)


async def burst(office: Timed, events: list[InboundEvent]) -> None:
    for event in events:
        await office.runtime.ingest(event)
    await office.runtime.settle()


def texts(office: Timed, conversation: str) -> list[str]:
    return [p.text for p in office.chat.conversation(conversation)]


def kinds(shown: list[str], language: str) -> list[str]:
    return [
        "bind" if HOW_TO_BIND[language] in text else "slow" if SLOW_DOWN[language] in text else text
        for text in shown
    ]


async def test_a_stranger_past_the_limit_gets_one_notice_then_silence(office: Timed) -> None:
    await burst(office, [stranger("U-EN", f"hello {i}", locale="en") for i in range(10)])
    await burst(office, [stranger("U-ZH", f"/whoami {i}") for i in range(10)])  # the org's language
    assert kinds(texts(office, "U-EN"), "en") == ["bind"] * LIMIT + ["slow"]
    assert kinds(texts(office, "U-ZH"), "zh") == ["bind"] * LIMIT + ["slow"]
    rows = await office.runtime.db.run(
        lambda s: s.scalar(select(func.count()).select_from(OutboxRow))
    )
    assert rows == 2 * (LIMIT + 1)  # nothing queued for the ignored messages

    await office.advance(timedelta(seconds=61))
    await burst(office, [stranger("U-EN", "hello again", locale="en")])
    assert kinds(texts(office, "U-EN"), "en") == ["bind"] * LIMIT + ["slow", "bind"]


async def test_the_limit_is_per_sender_in_a_group(office: Timed) -> None:
    flood = [stranger("U-LOUD", f"/bind {i}", group="G1", locale="en") for i in range(8)]
    await burst(office, [*flood, stranger("U-QUIET", "/bind", group="G1", locale="en")])
    shown = texts(office, "G1")
    assert len(shown) == LIMIT + 2
    assert all("Usage: /bind" in text for text in shown[:LIMIT])  # the loud one: bad codes
    assert SLOW_DOWN["en"] in shown[LIMIT]  # then the notice, then nothing for the loud one
    assert shown[-1].startswith("Missing code.")  # while the quiet one is answered
