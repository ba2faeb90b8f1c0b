"""Ticket SLAs and ratings: a breached clock escalates to the team lead exactly once, a first
response stops the response clock, resolving stops both, and the customer's rating is stored once.
The office's clock starts on Monday 2026-11-30 at 10:00 in Shanghai (working hours 9–18)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.replies import Card
from domain.crm.models import GuestAccount, Ticket, TicketEvent
from domain.crm.ticket_sla import KIND
from domain.crm.tickets import rate_ticket
from domain.shared.errors import DomainError, NotFound
from domain.timers.models import Timer, TimerStatus
from tests.integration.approvals_rig import Office, button
from tests.integration.crm_rig import running_shop
from tests.integration.test_crm_tickets import add_customer, events, new_ticket, ticket_row

pytestmark = pytest.mark.asyncio
GUEST = "guest-1"


def overdue(office: Office, handle: str, clock: str) -> int:
    """How many escalation cards about a clock a member got."""
    return sum(clock in text for text in office.texts(handle))


async def pending_timers(office: Office, ticket_id: int) -> int:
    """The ticket's SLA timers still to fire."""
    query = (
        select(func.count())
        .select_from(Timer)
        .where(
            Timer.kind == KIND,
            Timer.subject.like(f"ticket:{ticket_id}:%"),
            Timer.status == TimerStatus.PENDING,
        )
    )
    return await office.count(query)


async def bind_guest(office: Office, contact_id: int) -> None:
    """Give the contact a chat account: the memory conversation ``guest-1``."""
    now = office.clock.now()

    def work(session: Session) -> None:
        session.add(
            GuestAccount(contact_id=contact_id, channel="memory", platform_user_id=GUEST,
                         conversation_id=GUEST, created_at=now)
        )  # fmt: skip

    await office.run(work)


async def test_a_breach_escalates_to_the_assignees_manager_exactly_once(
    settings: Settings,
) -> None:
    async with running_shop(settings) as office:
        customer, _contact = await add_customer(office, "erin")
        tid = await new_ticket(office, "erin", f"/ticket new {customer} site down priority=urgent")
        await office.say("ivy", f"/ticket assign {tid} @erin")  # erin's manager is carol
        assert await pending_timers(office, tid) == 2

        await office.advance(timedelta(minutes=59))
        assert overdue(office, "carol", "first response overdue") == 0
        await office.advance(timedelta(minutes=2))  # 1 working hour for an urgent ticket
        assert overdue(office, "carol", "first response overdue") == 1
        assert "site down" in office.card("carol").body
        assert overdue(office, "ivy", "overdue") == 0

        def deliver_again(session: Session) -> int:
            again = session.execute(
                update(Timer)
                .where(Timer.subject == f"ticket:{tid}:response")
                .values(status=TimerStatus.PENDING)
            )
            return int(again.rowcount)  # type: ignore[attr-defined]

        assert await office.run(deliver_again) == 1  # as if the timer were delivered twice
        await office.advance(timedelta(minutes=5))
        await office.advance(timedelta(minutes=30))  # and the tick ran again
        assert overdue(office, "carol", "first response overdue") == 1
        row = await ticket_row(office, tid)
        assert row.response_breached_at is not None and row.resolution_breached_at is None
        assert await events(office, tid, "response_breached") == 1

        await office.advance(timedelta(hours=3))  # 4 working hours since 10:00
        assert overdue(office, "carol", "resolution overdue") == 1
        await office.advance(timedelta(days=1))
        assert overdue(office, "carol", "resolution overdue") == 1
        assert await events(office, tid, "resolution_breached") == 1
        shown = await office.say("erin", f"/ticket show {tid}")
        assert "first response overdue" in shown.text and "resolution overdue" in shown.text


async def test_an_unassigned_ticket_escalates_to_the_service_head(settings: Settings) -> None:
    async with running_shop(settings) as office:
        customer, _contact = await add_customer(office, "gina")
        tid = await new_ticket(office, "gina", f"/ticket new {customer} no login priority=high")
        await office.advance(timedelta(hours=3))  # 2 working hours for a high ticket
        assert overdue(office, "ivy", f"Ticket #{tid}: first response overdue") == 1
        assert overdue(office, "frank", "overdue") == 0


async def test_nights_and_weekends_do_not_count(settings: Settings) -> None:
    async with running_shop(settings) as office:
        customer, _contact = await add_customer(office, "gina")
        tid = await new_ticket(office, "gina", f"/ticket new {customer} slow reports")
        await office.advance(timedelta(hours=4, minutes=-1))  # normal: 4 working hours → 14:00
        assert (await ticket_row(office, tid)).response_breached_at is None
        await office.advance(timedelta(minutes=2))
        assert (await ticket_row(office, tid)).response_breached_at is not None
        # 24 working hours from Monday 10:00: 8 on Monday, 9 on Tuesday, 7 on Wednesday → 16:00.
        await office.advance(timedelta(days=2, hours=1, minutes=58))
        assert (await ticket_row(office, tid)).resolution_breached_at is None
        await office.advance(timedelta(minutes=2))
        assert (await ticket_row(office, tid)).resolution_breached_at is not None


async def test_a_public_update_is_the_first_response_and_resolving_asks_for_a_rating(
    settings: Settings,
) -> None:
    async with running_shop(settings) as office:
        customer, contact = await add_customer(office, "erin")
        await bind_guest(office, contact)
        tid = await new_ticket(
            office, "erin", f"/ticket new {customer} toner empty priority=urgent contact={contact}"
        )
        await office.say("ivy", f"/ticket assign {tid} @jack")
        told = await office.say("jack", f"/ticket update {tid} public=yes a technician is coming")
        assert isinstance(told.message, Card) and "customer was told" in told.message.footer
        update_card = office.memory.last(GUEST).message
        assert isinstance(update_card, Card)
        assert "a technician is coming" in update_card.body
        assert "您的工单 T-" in update_card.title  # the contact has no language: the org's
        assert (await ticket_row(office, tid)).first_response_at is not None
        assert await pending_timers(office, tid) == 1  # only the resolution clock runs

        await office.advance(timedelta(hours=2))
        assert (await ticket_row(office, tid)).response_breached_at is None
        assert overdue(office, "ivy", "first response overdue") == 0

        resolved = await office.say("jack", f"/ticket resolve {tid} new cartridge")
        assert isinstance(resolved.message, Card)
        assert "asked to rate" in resolved.message.footer
        assert await pending_timers(office, tid) == 0
        await office.advance(timedelta(days=2))
        assert overdue(office, "ivy", "resolution overdue") == 0

        rating = office.memory.last(GUEST).message
        assert isinstance(rating, Card) and rating.title == "我们的服务怎么样？"
        assert [b.label for b in rating.buttons] == ["1", "2", "3", "4", "5"]
        refused = await office.tap("erin", button(rating, "5").token)
        assert "not for you" in refused.text  # the buttons are the customer's
        assert (await ticket_row(office, tid)).rating is None


async def test_a_rating_is_stored_once(settings: Settings) -> None:
    async with running_shop(settings) as office:
        customer, contact = await add_customer(office, "erin")
        tid = await new_ticket(
            office, "erin", f"/ticket new {customer} noisy fan contact={contact}"
        )
        now = office.clock.now()

        def too_early(session: Session) -> None:
            with pytest.raises(DomainError, match="not resolved"):
                rate_ticket(session, tid, contact, 5, now)

        await office.run(too_early)
        no_chat = await office.say("erin", f"/ticket resolve {tid}")
        assert isinstance(no_chat.message, Card) and "no chat account" in no_chat.message.footer

        def rate(session: Session) -> tuple[bool, bool]:
            with pytest.raises(NotFound):
                rate_ticket(session, tid, contact + 1, 5, now)  # someone else's contact
            with pytest.raises(DomainError, match="1 to 5"):
                rate_ticket(session, tid, contact, 6, now)
            return rate_ticket(session, tid, contact, 4, now), rate_ticket(
                session, tid, contact, 1, now
            )

        assert await office.run(rate) == (True, False)
        row = await ticket_row(office, tid)
        assert (row.rating, row.rated_at) == (4, now)
        assert await events(office, tid, "rated") == 1


async def test_the_customer_rates_by_tapping(settings: Settings) -> None:
    async with running_shop(settings) as office:
        customer, contact = await add_customer(office, "erin")
        await bind_guest(office, contact)
        tid = await new_ticket(
            office, "erin", f"/ticket new {customer} door lock contact={contact}"
        )
        await office.say("erin", f"/ticket assign {tid} @jack")
        await office.say("jack", f"/ticket resolve {tid}")
        rating = office.memory.last(GUEST).message
        assert isinstance(rating, Card)

        thanked = await office.tap(GUEST, button(rating, "4").token)
        assert "感谢您的评分：4/5" in thanked.text
        again = await office.tap(GUEST, button(rating, "2").token)
        assert "已经为这个工单评过分" in again.text
        assert (await ticket_row(office, tid)).rating == 4
        assert f"Ticket #{tid} was rated 4/5" in office.card("jack").title
        assert (
            await office.count(
                select(func.count()).select_from(TicketEvent).where(TicketEvent.kind == "rated")
            )
            == 1
        )
        assert (await ticket_row(office, tid)).status == "resolved"
        assert await office.count(select(func.count()).select_from(Ticket)) == 1
