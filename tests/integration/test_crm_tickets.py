"""Service tickets in chat: the status flow and its timeline, who sees which ticket, and
assignment rules. SLA escalations and ratings are in test_crm_tickets_sla.py."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.replies import Card
from domain.crm.models import Contact, Customer, Ticket, TicketEvent
from domain.crm.tickets import resolve_ticket
from domain.shared.errors import Conflict
from tests.integration.approvals_rig import Office, member_id
from tests.integration.crm_rig import running_shop

pytestmark = pytest.mark.asyncio


async def add_customer(office: Office, owner: str, name: str = "Acme") -> tuple[int, int]:
    """A customer owned by ``owner`` with one contact; their ids."""
    owner_id = await member_id(office, owner)
    now = office.clock.now()

    def work(session: Session) -> tuple[int, int]:
        customer = Customer(name=name, owner_id=owner_id, created_at=now, updated_at=now)
        session.add(customer)
        session.flush()
        contact = Contact(customer_id=customer.id, name="Wang Li", created_at=now, updated_at=now)
        session.add(contact)
        session.flush()
        return customer.id, contact.id

    return await office.run(work)


async def new_ticket(office: Office, handle: str, text: str) -> int:
    """Open a ticket by command; its id from the card's title."""
    posted = await office.say(handle, text)
    assert isinstance(posted.message, Card), posted.text
    assert "opened" in posted.message.title, posted.message.title
    return int(posted.message.title.split("#", 1)[1].split()[0])


async def ticket_row(office: Office, ticket_id: int) -> Ticket:
    """The ticket as stored."""

    def work(session: Session) -> Ticket:
        found = session.get(Ticket, ticket_id)
        assert found is not None
        session.expunge(found)
        return found

    return await office.run(work)


async def events(office: Office, ticket_id: int, kind: str | None = None) -> int:
    """How many timeline entries a ticket has (of one kind)."""
    query = select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
    if kind is not None:
        query = query.where(TicketEvent.kind == kind)
    return await office.count(query)


async def test_a_ticket_goes_through_its_statuses_with_a_timeline(settings: Settings) -> None:
    async with running_shop(settings) as office:
        customer, contact = await add_customer(office, "erin")
        tid = await new_ticket(
            office, "erin", f"/ticket new {customer} printer jams priority=high contact={contact}"
        )
        row = await ticket_row(office, tid)
        assert (row.status, row.priority, row.contact_id, row.version) == (
            "new",
            "high",
            contact,
            1,
        )
        assert "New ticket #" in office.card("ivy").title  # the service queue hears of it

        assert "assigned" in (await office.say("ivy", f"/ticket assign {tid} @jack")).text
        assert f"Ticket #{tid} is assigned to you" in office.card("jack").title
        moved = await office.say("jack", f"/ticket update {tid} status=in_progress checking it")
        assert "in progress" in moved.text
        await office.say("jack", f"/ticket update {tid} status=waiting asked for the model")

        refused = await office.say("jack", f"/ticket close {tid}")
        assert "not resolved yet" in refused.text
        assert (await ticket_row(office, tid)).status == "waiting"

        resolved = await office.say("jack", f"/ticket resolve {tid} replaced the roller")
        assert "resolved" in resolved.text
        again = await office.say("jack", f"/ticket resolve {tid}")
        assert "already resolved" in again.text
        late = await office.say("jack", f"/ticket update {tid} one more thing")
        assert "already resolved" in late.text
        assert "closed" in (await office.say("jack", f"/ticket close {tid}")).text
        assert "already closed" in (await office.say("jack", f"/ticket close {tid}")).text

        row = await ticket_row(office, tid)
        assert row.status == "closed"
        assert row.resolved_at is not None and row.closed_at is not None
        assert row.first_response_at is not None
        assert row.version == 6  # assign, 2 updates, resolve, close: each once
        kinds = ["opened", "assigned", "status", "note", "resolved", "closed"]
        assert [await events(office, tid, k) for k in kinds] == [1, 1, 2, 2, 1, 1]
        shown = await office.say("erin", f"/ticket show {tid}")
        assert "replaced the roller" not in shown.text  # resolve text is on the timeline entry
        assert "asked for the model" in shown.text and "@jack" in shown.text


async def test_illegal_moves_change_nothing(settings: Settings) -> None:
    async with running_shop(settings) as office:
        customer, _contact = await add_customer(office, "erin")
        tid = await new_ticket(office, "erin", f"/ticket new {customer} no invoice")
        early = await office.say("erin", f"/ticket update {tid} status=in_progress on it")
        assert "no assignee yet" in early.text
        bad = await office.say("erin", f"/ticket update {tid} status=closed done")
        assert "status must be one of in_progress, waiting" in bad.text
        public = await office.say("erin", f"/ticket update {tid} public=yes hello")
        assert "needs a text and a ticket with a contact" in public.text
        huge = await office.say("erin", "/ticket show 99999999999999999999")
        assert "Which ticket?" in huge.text
        for text in (
            "/ticket",
            "/ticket new",
            "/ticket new abc x",
            "/ticket show ٣",
            "/ticket x",
            f"/ticket new {customer} x contact=99999999999999999999",
        ):
            assert "went wrong" not in (await office.say("erin", text)).text
        stray = await office.say("erin", f"/ticket close {tid} priority=high")
        assert "There is no field priority here." in stray.text
        wrong = await office.say("erin", f"/ticket new {customer} x priority=asap")
        assert "priority must be one of low, normal, high, urgent" in wrong.text
        row = await ticket_row(office, tid)
        assert (row.status, row.version, row.first_response_at) == ("new", 1, None)
        assert await events(office, tid) == 1
        assert await office.count(select(func.count()).select_from(Ticket)) == 1


async def test_a_concurrent_move_applies_once(settings: Settings) -> None:
    async with running_shop(settings) as office:
        customer, _contact = await add_customer(office, "erin")
        tid = await new_ticket(office, "erin", f"/ticket new {customer} slow app")
        erin = await member_id(office, "erin")
        now = office.clock.now()

        def race(session: Session) -> str:
            seen = session.get(Ticket, tid)
            assert seen is not None
            session.execute(  # another transaction moved it after we read it
                update(Ticket)
                .where(Ticket.id == tid)
                .values(version=Ticket.version + 1)
                .execution_options(synchronize_session=False)
            )
            with pytest.raises(Conflict):
                resolve_ticket(session, seen, erin, now)
            session.refresh(seen)
            return seen.status

        assert await office.run(race) == "new"
        assert await events(office, tid, "resolved") == 0


async def test_two_resolves_at_once_apply_once(settings: Settings) -> None:
    async with running_shop(settings) as office:
        customer, _contact = await add_customer(office, "erin")
        tid = await new_ticket(office, "erin", f"/ticket new {customer} flaky wifi")
        erin = await member_id(office, "erin")
        now = office.clock.now()

        def resolve(session: Session) -> bool:
            seen = session.get(Ticket, tid)
            assert seen is not None
            try:
                resolve_ticket(session, seen, erin, now)
            except Conflict:
                return False
            return True

        outcomes = await asyncio.gather(*(office.run(resolve) for _ in range(4)))
        assert sorted(outcomes) == [False, False, False, True]
        assert await events(office, tid, "resolved") == 1
        assert (await ticket_row(office, tid)).version == 2


async def test_members_see_tickets_of_their_scope_or_assigned_to_them(settings: Settings) -> None:
    async with running_shop(settings) as office:
        east, _contact = await add_customer(office, "erin")
        tid = await new_ticket(office, "erin", f"/ticket new {east} broken screen")
        missing = await office.say("gina", "/ticket show 999999")
        foreign = await office.say("gina", f"/ticket show {tid}")
        assert foreign.text == missing.text.replace("999999", str(tid))
        assert "no ticket" in foreign.text
        refused = await office.say("gina", f"/ticket new {east} sneaky")
        assert "no customer" in refused.text
        assert "broken screen" not in (await office.say("gina", "/ticket list all")).text

        assert "broken screen" in (await office.say("carol", f"/ticket show {tid}")).text
        assert "broken screen" in (await office.say("jack", "/ticket list open")).text
        assert "broken screen" in (await office.say("alice", "/ticket list all")).text

        await office.say("ivy", f"/ticket assign {tid} @gina")
        assert "broken screen" in (await office.say("gina", "/ticket list mine")).text
        assert "broken screen" in (await office.say("gina", f"/ticket show {tid}")).text
        assert "may not use" in (await office.say("hank", "/ticket list")).text


async def test_the_service_team_works_every_customers_tickets_in_chinese(
    settings: Settings,
) -> None:
    async with running_shop(settings) as office:
        west, _contact = await add_customer(office, "gina", "西部贸易")
        opened = await office.say("bob", f"/工单 新建 {west} 屏幕坏了 priority=紧急")
        assert "没有您可查看的客户" in opened.text  # bob is in Sales East
        posted = await office.say("jack", f"/工单 新建 {west} 屏幕坏了 优先级=紧急")
        assert isinstance(posted.message, Card), posted.text
        tid = int(posted.message.title.split("#", 1)[1].split()[0])
        assert (await ticket_row(office, tid)).priority == "urgent"
        assert "New ticket #" in office.card("gina").title  # the customer's owner
        await office.say("jack", f"/工单 指派 {tid} @jack")
        await office.say("jack", f"/工单 更新 {tid} 状态=处理中 正在检查")
        assert (await ticket_row(office, tid)).status == "in_progress"


async def test_only_active_crm_members_can_be_assigned(settings: Settings) -> None:
    async with running_shop(settings) as office:
        customer, _contact = await add_customer(office, "erin")
        tid = await new_ticket(office, "erin", f"/ticket new {customer} cannot log in")
        assert (
            "active members who use the CRM"
            in (await office.say("erin", f"/ticket assign {tid} @hank")).text
        )
        assert "don't know" in (await office.say("erin", f"/ticket assign {tid} @nobody")).text
        await office.say("erin", f"/ticket assign {tid} @erin")
        again = await office.say("erin", f"/ticket assign {tid} @erin")
        assert "already assigned" in again.text
        assert await events(office, tid, "assigned") == 1
        chinese = await office.say("bob", "/工单 列表 全部")
        assert "cannot log in" not in chinese.text  # bob does not own Acme
