"""Subscriptions (issue 16 point 4), through the running pipeline on SQLite: a conversation
subscribed to a topic with a condition gets one card per event that meets it and nothing for one
that does not; in the subscriber's language; only for topics the subscriber may read (refused and
logged otherwise); a condition that cannot be read is refused with the topic's fields and stores
nothing; a rejection decided in chat reaches the room through the generic approval event; an
event delivered again sends nothing more; /unsubscribe ends it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from structlog.testing import capture_logs

from adapters.memory.translate import say
from bot.config import Settings
from bot.pipeline.flows import FlowContext
from bot.replies import Card
from commands.flows.subscriptions import FLOW_CONSUMERS
from domain.flows.consumers import consume
from domain.flows.models import Subscription
from domain.shared.domain_events import record_event
from tests.integration.approvals_rig import Office, running_office

ROOM = "ops-room"


@pytest.fixture
async def office(sqlite_settings: Settings) -> AsyncIterator[Office]:
    quiet = sqlite_settings.model_copy(update={"flow_poll_seconds": 300})
    async with running_office(quiet) as opened:
        yield opened


async def in_room(office: Office, handle: str, text: str, room: str = ROOM) -> Any:
    """Say something in a group conversation; the newest message there afterwards."""
    await office.send(say(handle, text, conversation=room))
    return office.memory.last(room).message


def room_cards(office: Office, title: str, room: str = ROOM) -> list[Card]:
    messages = [p.message for p in office.memory.conversation(room)]
    return [m for m in messages if isinstance(m, Card) and m.title == title]


async def event(office: Office, name: str, source_id: str, payload: dict[str, Any]) -> None:
    """Record a domain event as its module would, then let the consumers run."""
    await office.run(
        lambda s: record_event(s, name, "test", source_id, payload, office.clock.now())
    )
    await office.runtime.settle()


async def subscriptions(office: Office) -> int:
    return await office.count(select(func.count()).select_from(Subscription))


async def test_a_rejection_over_the_condition_is_told_once_and_one_under_it_not(
    office: Office,
) -> None:
    shown = await in_room(office, "hana", "/subscribe approval.rejected amount > 1000")
    assert shown.title.startswith("Subscribed (#")
    small = await office.submit("dan", '/expense amount=500 category=meals reason="team lunch"')
    await office.say("carol", f"/reject {small} not needed")
    assert room_cards(office, "Approval rejected") == []

    large = await office.submit("dan", '/expense amount=4321 category=meals reason="dinner"')
    await office.say("carol", f"/reject {large} too much")
    (card,) = room_cards(office, "Approval rejected")
    fields = {f.label: f.value for f in card.fields}
    assert fields["Applicant"] == "dan" and fields["Department"] == "Sales"
    assert fields["Amount"] == "4,321" and fields["Request"] == str(large)


async def test_chinese_words_a_single_equals_and_a_chinese_card(office: Office) -> None:
    shown = await in_room(office, "bob", "/订阅 库存预警 可用 < 50 and 商品 = 'BOLT-M6'")
    assert shown.title.startswith("已订阅")
    payload = {"product_id": 1, "sku": "BOLT-M6", "available": "40", "safety_stock": "100"}
    await event(office, "stock.below_safety", "1:1", payload)
    await event(office, "stock.below_safety", "1:2", {**payload, "available": "60"})
    await event(office, "stock.below_safety", "2:1", {**payload, "sku": "NUT-M6"})
    (card,) = room_cards(office, "低于安全库存")
    assert {f.label: f.value for f in card.fields} == {
        "商品": "BOLT-M6",
        "可用": "40",
        "安全库存": "100",
    }
    assert not any(c.isascii() and c.isalpha() for c in card.footer.replace("unsubscribe", ""))


async def test_redelivery_sends_nothing_more(office: Office) -> None:
    await in_room(office, "wang", "/subscribe deal.won")
    await event(office, "crm.deal_won", "7", {"deal": 7, "customer": 1, "amount": "250000"})
    assert len(room_cards(office, "Deal won")) == 1

    def again(session: Session) -> int:
        unused = cast(FlowContext, None)  # nothing is left to apply, so no handler runs
        passes = [
            consume(session, consumer, unused, office.clock.now())
            for consumer in FLOW_CONSUMERS
            for _ in range(10)
        ]
        return sum(p.touched for p in passes)

    assert await office.run(again) == 0
    await office.runtime.settle()
    assert len(room_cards(office, "Deal won")) == 1


async def test_a_chinese_reader_is_answered_in_chinese_words(office: Office) -> None:
    topics = await in_room(office, "bob", "/订阅")
    assert "库存预警：低于安全库存（商品、可用、安全库存、供应商）" in topics.body
    refused = await in_room(office, "bob", "/订阅 库存预警 价格 > 5")
    assert refused.text == (
        "没有叫 价格 的字段。“低于安全库存”的条件可以使用：商品、可用、安全库存、供应商。"
    )


async def test_only_what_the_subscriber_may_read(office: Office) -> None:
    with capture_logs() as logs:
        refused = await in_room(office, "bob", "/订阅 赢单 金额 > 100000")
    assert "不能订阅" in str(refused) and "You" not in str(refused)
    assert any(e.get("event") == "refused.permission" for e in logs)
    assert await subscriptions(office) == 0


@pytest.mark.parametrize(
    ("condition", "said"),
    [
        ("amount > > 5", "amount > > 5 is not a condition I can read."),
        ("price > 5", "No field is called price."),
    ],
)
async def test_an_unreadable_condition_is_refused_with_the_fields(
    office: Office, condition: str, said: str
) -> None:
    refused = await in_room(office, "wang", f"/subscribe deal.won {condition}")
    assert said in str(refused)
    assert "A condition on Deal won may use: deal, amount, currency, customer" in str(refused)
    assert await subscriptions(office) == 0


async def test_list_and_unsubscribe_only_in_the_room_it_was_made_in(office: Office) -> None:
    await in_room(office, "wang", "/subscribe deal.won amount >= 100000")
    await in_room(office, "wang", "/subscribe order.confirmed")
    listed = await in_room(office, "wang", "/subscriptions")
    assert (
        "#1 Deal won — amount >= 100000" in listed.body
        and "#2 Sales order confirmed" in listed.body
    )
    elsewhere = await in_room(office, "wang", "/unsubscribe 1", room="other-room")
    assert "no subscription #1" in str(elsewhere)
    ended = await in_room(office, "wang", "/unsubscribe 1")
    assert ended.title == "Subscription #1 ended: Deal won"
    await event(office, "crm.deal_won", "8", {"deal": 8, "customer": 1, "amount": "500000"})
    assert room_cards(office, "Deal won") == []
