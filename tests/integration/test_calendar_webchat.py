"""A meeting through the web chat: created over one member's socket, answered with a tap on
another's, the organiser's card updated in place. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.config import Settings
from tests.webchat import (
    Site,
    frames_until,
    local_login,
    next_frame,
    of_type,
    say,
    serving,
    tap,
)


@pytest.fixture
async def site(settings: Settings) -> AsyncIterator[Site]:
    async with serving(local_login(settings)) as running:
        yield running


def card_titled(lines: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    [line] = [line for line in lines if line["message"].get("title", "").startswith(prefix)]
    return line


async def history_as(site: Site, handle: str) -> list[dict[str, Any]]:
    site.sign_out_locally()
    await site.login(handle)
    async with await site.socket() as ws:
        hello = await next_frame(ws)
    assert hello["type"] == "history"
    lines: list[dict[str, Any]] = hello["lines"]
    return lines


async def test_an_invitation_is_answered_in_the_web_chat(site: Site) -> None:
    await site.login("alice")
    async with await site.socket() as ws:
        await next_frame(ws)
        await ws.send_json(say("/meeting Budget review tomorrow 3pm with @bob @carol"))
        made = (await frames_until(ws, of_type("message")))[-1]
    assert made["message"]["title"] == "📅 Meeting #1: Budget review"
    await site.runtime.settle()

    site.sign_out_locally()
    await site.login("bob")
    async with await site.socket() as ws:
        history = await next_frame(ws)
        invitation = card_titled(history["lines"], "📅 会议邀请：Budget review")
        buttons = {label: token for label, token, _style, _cmd in invitation["message"]["buttons"]}
        await ws.send_json(tap(buttons["接受"]))
        update = (await frames_until(ws, of_type("update")))[-1]
    assert update["id"] == invitation["id"]
    assert ["你的回复", "已接受"] in update["message"]["fields"]
    await site.runtime.settle()

    organiser = card_titled(await history_as(site, "alice"), "📅 Meeting #1")
    assert organiser["id"] == made["id"]  # the same message, edited
    assert ["Accepted (1)", "李博 Bob"] in organiser["message"]["fields"]
    assert ["No answer (1)", "Carol Chen"] in organiser["message"]["fields"]
