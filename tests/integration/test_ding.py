"""Urgent notices end to end: "Got it" cards, re-pings on durable timers, the sender's tally."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.pipeline.tables import OutboxRow
from bot.replies import Card
from domain.directory.services import list_members
from domain.notices.models import Notice, NoticeRecipient
from domain.shared.db import open_database
from domain.timers.models import Timer
from tests.support import ORG_YAML
from tests.timed import Timed, timed_chat

START = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
EXTRA = "".join(f"  - {{handle: e{i}, name: Extra {i}, locale: en}}\n" for i in range(1, 7))


@pytest.fixture
async def timed(settings: Settings) -> AsyncIterator[Timed]:
    async with timed_chat(settings, START, ORG_YAML + EXTRA) as chat:
        yield chat


def card(chat: Timed, conversation: str, title: str = "") -> Card:
    cards = chat.cards(conversation, title)
    assert cards, f"no card with {title!r} for {conversation}"
    return cards[-1]


def dings(chat: Timed, conversation: str) -> list[Card]:
    return [c for c in chat.cards(conversation) if c.buttons and c.title.startswith("🔔")]


async def counts(chat: Timed) -> dict[str, int]:
    """Cards sent per recipient, keyed ``ding:N:handle``."""

    def work(session: Session) -> dict[str, int]:
        handles = {m.id: m.handle for m in list_members(session)}
        rows = session.execute(
            select(OutboxRow.subject, func.count())
            .where(OutboxRow.kind == "send", OutboxRow.subject.like("ding:%:%"))
            .group_by(OutboxRow.subject)
        )
        found = {}
        for subject, n in rows:
            _ding, notice, member = str(subject).split(":")
            found[f"ding:{notice}:{handles[int(member)]}"] = int(n)
        return found

    return await chat.runtime.db.run(work)


async def test_ding_sends_cards_and_the_tally_updates_in_place(timed: Timed) -> None:
    await timed.say("alice", "/ding @bob @carol the server is down")
    tally = timed.memory.last("alice")
    assert isinstance(tally.message, Card)
    assert tally.message.title == "🔔 DING #1: 0 of 2 acknowledged"
    assert "Not yet (2)" in tally.text
    bob_card, carol_card = card(timed, "bob"), card(timed, "carol")
    assert bob_card.title == "🔔 Alice Admin 的加急消息"
    assert [b.label for b in bob_card.buttons] == ["收到"]
    assert carol_card.title == "🔔 Urgent from Alice Admin"
    assert carol_card.body == "the server is down"

    await timed.tap("bob", bob_card.buttons[0].token)
    assert tally.message.title == "🔔 DING #1: 1 of 2 acknowledged"  # the same message, edited
    assert "李博 Bob (@bob)" in tally.message.fields[0].value
    assert card(timed, "bob").title.startswith("✅")
    assert not card(timed, "bob").buttons

    await timed.tap("carol", carol_card.buttons[0].token)
    assert tally.message.title == "🔔 DING #1: 2 of 2 acknowledged"
    assert tally.message.footer == "Everyone has acknowledged."
    assert not tally.message.buttons
    assert len(timed.memory.conversation("alice")) == 1  # one card, edited twice
    assert len(tally.versions) == 3


async def test_repings_go_to_whoever_has_not_acknowledged_up_to_the_maximum(timed: Timed) -> None:
    await timed.say("alice", "/ding @bob @carol sign the contract every 10m max 2")
    await timed.advance(timedelta(minutes=9))
    assert (len(dings(timed, "bob")), len(dings(timed, "carol"))) == (1, 1)
    await timed.advance(timedelta(minutes=1))
    assert (len(dings(timed, "bob")), len(dings(timed, "carol"))) == (2, 2)
    assert dings(timed, "carol")[-1].footer.startswith("Reminder 2 of 3")

    await timed.tap("carol", dings(timed, "carol")[-1].buttons[0].token)
    assert not dings(timed, "carol")  # every copy of her card became a receipt
    for _ in range(6):
        await timed.advance(timedelta(minutes=10))
    assert len(dings(timed, "bob")) == 3  # the first card and 2 re-pings, no more
    assert await counts(timed) == {"ding:1:bob": 3, "ding:1:carol": 2}
    tally = timed.memory.last("alice")
    assert "No more re-pings will be sent." in tally.text
    assert "李博 Bob (@bob) · delivered · sent 3×" in tally.text


async def test_max_zero_sends_once(timed: Timed) -> None:
    await timed.say("carol", "/ding @bob lunch? max 0")
    await timed.advance(timedelta(hours=2))
    assert len(dings(timed, "bob")) == 1
    timers = await timed.runtime.db.run(
        lambda s: s.scalar(select(func.count()).select_from(Timer).where(Timer.kind == "ding"))
    )
    assert timers == 0


async def test_chinese_ding_without_spaces(timed: Timed) -> None:
    await timed.say("bob", "/钉 @carol请尽快确认报价每15分钟最多1次")
    got = card(timed, "carol")
    assert got.body == "请尽快确认报价"
    tally = timed.memory.last("bob")
    assert "15分钟" in tally.text
    await timed.advance(timedelta(minutes=15))
    await timed.advance(timedelta(minutes=15))
    assert len(dings(timed, "carol")) == 2


async def test_someone_elses_button_is_refused_and_a_double_tap_counts_once(timed: Timed) -> None:
    await timed.say("alice", "/ding @bob @carol fire drill")
    token = card(timed, "bob").buttons[0].token
    refused = await timed.tap("carol", token)
    assert refused.text == "This button is not for you."
    assert (await timed.say("e1", "/ding ack 1")).text == "This DING is not for you."
    await timed.tap("bob", token)
    again = await timed.tap("bob", token)
    assert "已经" in again.text
    typed = await timed.say("bob", "/钉 收到 1")
    assert "已经确认过" in typed.text
    tally = timed.memory.last("alice")
    assert len(tally.versions) == 2  # sent, then edited once
    assert "1 of 2" in tally.message.title  # type: ignore[union-attr]


async def test_status_shows_delivery_to_the_sender_only(timed: Timed) -> None:
    await timed.say("alice", "/ding @carol @bob standup now")
    status = await timed.say("alice", "/ding status 1")
    assert "Carol Chen (@carol) · delivered · sent 1×" in status.text
    assert (await timed.say("bob", "/ding status 1")).text.startswith("只有发送人")
    listed = await timed.say("alice", "/ding status")
    assert "#1 · 0/2 · standup now" in listed.text
    await timed.tap("carol", card(timed, "carol").buttons[0].token)
    await timed.tap("alice", status.message.buttons[0].token)  # type: ignore[union-attr]
    assert "1 of 2" in timed.memory.posted[status.message_id].text  # redrawn in place


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("/ding the server is down", "Whom should I DING?"),
        ("/ding @nobody hello", "I don't know @nobody."),
        ("/ding @dave hello", "I don't know @dave."),
        ("/ding @alice hello", "You can't DING yourself."),
        ("/ding @bob", "What is the DING about?"),
        ("/ding @bob hi every 1m", "Re-pings are 5 minutes to 1 day apart."),
        ("/ding @bob hi max 11", "A DING is re-sent at most 10 times."),
        ("/ding status x", "Which DING?"),
        ("/ding status 7", "There is no DING 7."),
    ],
)
async def test_bad_input_is_explained_and_changes_nothing(
    timed: Timed, line: str, answer: str
) -> None:
    reply = await timed.say("alice", line)
    assert reply.text.startswith(answer), reply.text
    assert await timed.runtime.db.run(lambda s: s.scalar(select(func.count(Notice.id)))) == 0


async def test_many_recipients_need_permission(timed: Timed) -> None:
    six = " ".join(f"@e{i}" for i in range(1, 7))
    refused = await timed.say("bob", f"/ding {six} all hands")
    assert refused.text == "你一次最多可以钉 5 个人。"
    sent = await timed.say("carol", f"/ding {six} all hands")
    assert "0 of 6" in sent.text
    rows = await timed.runtime.db.run(
        lambda s: s.scalar(select(func.count()).select_from(NoticeRecipient))
    )
    assert rows == 6


async def test_repings_fire_once_with_two_processes_ticking(timed: Timed, db_url: str) -> None:
    for i in range(1, 7):
        await timed.say("carol", f"/ding @e{i} @bob incident {i} every 5m max 3")
    other = open_database(db_url)
    try:
        second = timed.tick_on(other)
        for _ in range(5):
            timed.clock.advance(timedelta(minutes=5))
            await asyncio.gather(timed.tick.run(), second.run(), timed.tick.run(), second.run())
    finally:
        await other.dispose()
    await timed.runtime.settle()
    per_card = await counts(timed)
    assert set(per_card.values()) == {4}  # 1 + 3 re-pings each, never more
    assert len(per_card) == 12


async def test_an_acknowledgement_racing_a_reping_gives_one_outcome(timed: Timed) -> None:
    await timed.say("alice", "/ding @bob @carol racing every 5m max 3")
    token = card(timed, "bob").buttons[0].token
    timed.clock.advance(timedelta(minutes=5))
    await asyncio.gather(timed.tick.run(), timed.tap("bob", token))
    await timed.advance(timedelta(minutes=5))
    await timed.advance(timedelta(minutes=5))
    sent = await counts(timed)
    pings = await timed.runtime.db.run(
        lambda s: sorted(r.pings for r in s.scalars(select(NoticeRecipient)))
    )
    assert sent["ding:1:carol"] == 4  # carol never acknowledged
    assert sent["ding:1:bob"] in (1, 2)  # bob: maybe one re-ping raced his tap, never more
    assert pings == [sent["ding:1:bob"], 4]  # each card counted once
    assert "1 of 2" in timed.memory.last("alice").message.title  # type: ignore[union-attr]
