"""Buttons on the CRM's cards, end to end: a deal moved, won and lost (lost asks why and keeps
only the answer), a ticket assigned, resolved and closed, a call logged and a deal opened from a
customer's card. Each updates its card in place; a double tap applies once (SQLite and
PostgreSQL); a tap by someone else, or on a record that left the tapper's scope, changes
nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from adapters.memory.client import Posted
from adapters.memory.translate import tap
from bot.config import Settings
from bot.replies import Card
from domain.crm.models import Activity, Customer, Deal, DealStageChange, Ticket, TicketEvent
from domain.directory.models import MemberRole
from domain.shared.domain_events import events_named
from tests.integration.approvals_rig import Office, button, member_id
from tests.integration.crm_rig import running_shop


@pytest.fixture
async def shop(sqlite_settings: Settings) -> AsyncIterator[Office]:
    """The CRM office on SQLite, for what does not depend on the database."""
    async with running_shop(sqlite_settings) as opened:
        yield opened


@pytest.fixture
async def any_shop(settings: Settings) -> AsyncIterator[Office]:
    """The CRM office on SQLite and on PostgreSQL, for taps that race."""
    async with running_shop(settings) as opened:
        yield opened


async def customer(office: Office, owner: str, name: str = "Acme") -> int:
    """A customer owned by ``owner``."""
    owner_id = await member_id(office, owner)
    now = office.clock.now()

    def work(session: Session) -> int:
        row = Customer(name=name, owner_id=owner_id, tags=[], created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        return row.id

    return await office.run(work)


def card_of(posted: Posted) -> Card:
    """The card a message shows now."""
    assert isinstance(posted.message, Card), posted.text
    return posted.message


async def deal_card(office: Office, handle: str, customer_id: int) -> tuple[int, Posted]:
    """Open a deal by command: its number and the message with its card."""
    posted = await office.say(
        handle, f"/deal add {customer_id} Renewal amount=100 close=2026-12-31"
    )
    title = card_of(posted).title
    assert "Deal opened" in title, title
    return int(title.split("Deal #", 1)[1].split(":", 1)[0]), posted


async def press(office: Office, handle: str, posted: Posted, label: str) -> Posted:
    """Tap a button of a message as it shows now; the message afterwards (an edit keeps it)."""
    token = button(card_of(posted), label).token
    await office.tap(handle, token)
    return office.memory.posted[posted.message_id]


async def deal_row(office: Office, deal_id: int) -> Deal:
    def work(session: Session) -> Deal:
        found = session.get(Deal, deal_id)
        assert found is not None
        session.expunge(found)
        return found

    return await office.run(work)


async def moves(office: Office, deal_id: int) -> list[str]:
    query = select(DealStageChange.to_stage).where(DealStageChange.deal_id == deal_id)
    return list(await office.run(lambda s: s.scalars(query.order_by(DealStageChange.id)).all()))


def labels(posted: Posted) -> list[str]:
    return [b.label for b in card_of(posted).buttons]


async def test_a_deal_is_moved_and_won_on_its_card(shop: Office) -> None:
    n, posted = await deal_card(shop, "erin", await customer(shop, "erin"))
    assert labels(posted) == ["→ Qualified", "→ Proposal", "→ Negotiation", "Won", "Lost"]

    moved = await press(shop, "erin", posted, "→ Proposal")
    assert len(moved.versions) == 2  # the same card, edited
    assert "Deal moved" in card_of(moved).title and "Proposal (50%)" in moved.text
    assert labels(moved) == ["→ Negotiation", "Won", "Lost"]

    won = await press(shop, "erin", moved, "Won")
    assert "Deal won" in card_of(won).title and card_of(won).buttons == ()
    assert await moves(shop, n) == ["lead", "proposal", "won"]
    assert len(await shop.run(lambda s: events_named(s, "crm.deal_won"))) == 1


async def test_an_old_card_never_moves_a_deal_back(shop: Office) -> None:
    n, posted = await deal_card(shop, "erin", await customer(shop, "erin"))
    await shop.say("erin", f"/deal move {n} negotiation")  # typed: the card still says lead
    answer = await shop.tap("erin", button(card_of(posted), "→ Proposal").token)
    assert answer.text == f"Deal #{n} has moved since; its card now shows where."
    assert await moves(shop, n) == ["lead", "negotiation"]
    card = shop.memory.posted[posted.message_id]
    assert "Negotiation (70%)" in card.text and labels(card) == ["Won", "Lost"]


async def test_lost_asks_why_and_stores_only_the_answer(shop: Office) -> None:
    n, posted = await deal_card(shop, "erin", await customer(shop, "erin"))
    await press(shop, "erin", posted, "Lost")
    assert shop.memory.last("erin").text == f"Why was deal #{n} lost? Send the reason, or cancel."
    assert (await deal_row(shop, n)).status == "open"  # nothing is stored before the answer

    answer = await shop.say("erin", "price too high")
    assert answer.text == f"Deal #{n} lost: price too high"
    card = shop.memory.posted[posted.message_id]
    assert "Deal lost" in card_of(card).title and "Why it was lost: price too high" in card.text
    assert card_of(card).buttons == ()
    row = await deal_row(shop, n)
    assert (row.status, row.lost_reason) == ("lost", "price too high")


async def test_a_cancelled_lost_question_leaves_the_deal_open(shop: Office) -> None:
    n, posted = await deal_card(shop, "erin", await customer(shop, "erin"))
    asked = await press(shop, "erin", posted, "Lost")
    await shop.say("erin", "cancel")
    row = await deal_row(shop, n)
    assert (row.status, row.lost_reason) == ("open", "")
    assert "Won" in labels(asked)  # the card still works
    await press(shop, "erin", asked, "Won")
    assert (await deal_row(shop, n)).status == "won"


async def test_a_double_tap_applies_once(any_shop: Office) -> None:
    n, posted = await deal_card(any_shop, "erin", await customer(any_shop, "erin"))
    token = button(card_of(posted), "Won").token
    for _ in range(2):  # a retried tap: two deliveries of the same button
        await any_shop.runtime.ingest(tap("erin", token))
    await any_shop.runtime.settle()
    assert await moves(any_shop, n) == ["lead", "won"]
    assert len(await any_shop.run(lambda s: events_named(s, "crm.deal_won"))) == 1
    assert "Deal won" in any_shop.memory.posted[posted.message_id].text
    assert any_shop.memory.last("erin").text == "That was already done."


async def test_two_members_tapping_won_at_once_win_it_once(any_shop: Office) -> None:
    n, _posted = await deal_card(any_shop, "erin", await customer(any_shop, "erin"))
    erins = card_of(await any_shop.say("erin", f"/deal show {n}"))
    carols = card_of(await any_shop.say("carol", f"/deal show {n}"))  # erin's manager
    await asyncio.gather(
        any_shop.tap("erin", button(erins, "Won").token),
        any_shop.tap("carol", button(carols, "Won").token),
    )
    assert await moves(any_shop, n) == ["lead", "won"]
    assert (await deal_row(any_shop, n)).version == 2


async def test_a_tap_by_someone_else_or_out_of_scope_changes_nothing(shop: Office) -> None:
    n, posted = await deal_card(shop, "erin", await customer(shop, "erin"))
    token = button(card_of(posted), "Won").token
    assert (await shop.tap("gina", token)).text == "This button is not for you."

    gina = await member_id(shop, "gina")  # the deal and its customer go to Sales West
    await shop.run(lambda s: s.execute(update(Deal).values(owner_id=gina)))
    await shop.run(lambda s: s.execute(update(Customer).values(owner_id=gina)))
    refused = await shop.tap("erin", token)
    assert refused.text == f"There is no deal #{n} that you can see."
    assert (await deal_row(shop, n)).status == "open"
    assert await moves(shop, n) == ["lead"]


async def test_a_tap_after_losing_the_crm_is_refused(shop: Office) -> None:
    n, posted = await deal_card(shop, "erin", await customer(shop, "erin"))
    erin = await member_id(shop, "erin")
    await shop.run(lambda s: s.execute(delete(MemberRole).where(MemberRole.member_id == erin)))
    assert (await shop.tap("erin", button(card_of(posted), "Won").token)).text == (
        "You may not do that."
    )
    assert (await deal_row(shop, n)).status == "open"


async def ticket_events(office: Office, ticket_id: int, kind: str) -> int:
    query = select(func.count()).where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind)
    return await office.count(query)


async def test_a_ticket_is_assigned_resolved_and_closed_on_its_card(shop: Office) -> None:
    acme = await customer(shop, "erin")
    posted = await shop.say("erin", f"/ticket new {acme} printer jams")
    n = int(card_of(posted).title.split("#", 1)[1].split()[0])
    assert labels(posted) == ["Assign to me", "Assign to someone", "Resolve"]

    mine = await press(shop, "erin", posted, "Assign to me")
    assert "Ticket #1 assigned" in card_of(mine).title and "Erin East (@erin)" in mine.text
    assert labels(mine) == ["Assign to someone", "Resolve"]

    await press(shop, "erin", mine, "Assign to someone")
    pick = shop.memory.last("erin")
    assert card_of(pick).title == f"Assign ticket #{n} to whom?"
    assert labels(pick)[0] == "Ivy Service (@ivy)"  # the service department first
    await press(shop, "erin", pick, "Jack Support")
    assert "Jack Support (@jack)" in shop.memory.last("erin").text
    assert "is assigned to you" in shop.memory.last("jack").text
    assert labels(shop.memory.last("jack")) == ["Assign to someone", "Resolve"]
    assert (await shop.run(lambda s: s.get_one(Ticket, n).assignee_id)) == await member_id(
        shop, "jack"
    )

    resolved = await press(shop, "erin", mine, "Resolve")
    assert "resolved" in card_of(resolved).title and labels(resolved) == ["Close"]
    before = resolved.versions[-2]
    assert isinstance(before, Card)
    await shop.tap("erin", button(before, "Resolve").token)  # a second tap
    assert await ticket_events(shop, n, "resolved") == 1
    closed = await press(shop, "erin", resolved, "Close")
    assert "closed" in card_of(closed).title and card_of(closed).buttons == ()
    assert (await shop.run(lambda s: s.get_one(Ticket, n).status)) == "closed"


async def test_a_call_is_logged_from_the_customers_card(shop: Office) -> None:
    acme = await customer(shop, "erin")
    posted = await shop.say("erin", f"/customer show {acme}")
    assert labels(posted) == ["Log a call", "New deal"]
    await press(shop, "erin", posted, "Log a call")
    assert "What was said on the call with Acme?" in shop.memory.last("erin").text
    assert (await shop.say("erin", "asked for a quote")).text == "Logged for customer #1 (Acme)."
    card = shop.memory.posted[posted.message_id]
    assert len(card.versions) == 2 and "call — Erin East: asked for a quote" in card.text
    query = select(func.count()).where(Activity.customer_id == acme, Activity.kind == "call")
    assert await shop.count(query) == 1


async def test_a_deal_is_opened_from_the_customers_card(shop: Office) -> None:
    acme = await customer(shop, "erin")
    posted = await shop.say("erin", f"/customer show {acme}")
    await press(shop, "erin", posted, "New deal")
    assert shop.memory.last("erin").text.startswith("What is the new deal with Acme called?")
    assert (await shop.say("erin", "Renewal 2027")).text.startswith("amount?")
    assert (await shop.say("erin", "50000")).text.startswith("close?")
    opened = card_of(await shop.say("erin", "2026-12-31"))
    assert "Deal opened" in opened.title and "Renewal 2027" in opened.title
    assert "Won" in [b.label for b in opened.buttons]


async def test_a_chinese_reader_gets_chinese_buttons(shop: Office) -> None:
    acme = await customer(shop, "bob")
    customer_card = await shop.say("bob", f"/客户 查看 {acme}")
    assert labels(customer_card) == ["记录通话", "新建商机"]
    posted = await shop.say("bob", f"/商机 新增 {acme} 续约 金额=100 预计成交=2026-12-31")
    assert labels(posted)[-2:] == ["赢单", "输单"]
    assert all(not label.isascii() for label in labels(posted))
    await press(shop, "bob", posted, "输单")
    assert shop.memory.last("bob").text.startswith("商机 #1 为什么输单")
