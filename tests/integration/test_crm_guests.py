"""Customers as guests, through the memory channels: invites bind a chat account to a contact, the
guest's messages reach the rep (or the team with the rep away) and the answers come back, guests
open tickets, see only their own commands, and are rate-limited. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, timedelta

import pytest
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from structlog.testing import capture_logs

from bot.config import Settings
from bot.replies import Card
from bot.router import CommandSpec
from commands.crm.guest_invites import invite_contact
from domain.approvals.absence import record_absence
from domain.crm.models import Activity, Contact, Customer, GuestAccount, Ticket
from domain.directory.roles import Permission
from tests.integration.approvals_rig import Office, button, member_id, submit_directly
from tests.integration.crm_rig import running_shop

GUEST = "9001"  # a customer's contact on the "chat" platform (resolved through accounts)
OTHER = "9002"


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[Office]:
    async with running_shop(settings) as office:
        yield office


async def add_contact(
    office: Office, owner: str, customer: str, contact: str, locale: str = "en"
) -> int:
    """A customer owned by ``owner`` with one contact; returns the contact's id."""
    owner_id = await member_id(office, owner)
    now = office.clock.now()

    def work(session: Session) -> int:
        row = Customer(name=customer, owner_id=owner_id, created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        person = Contact(
            customer_id=row.id, name=contact, locale=locale, created_at=now, updated_at=now
        )
        session.add(person)
        session.flush()
        return person.id

    return await office.run(work)


def secret_of(card: Card) -> str:
    """The invite secret in an invitation card's web chat link."""
    link = next(f.value for f in card.fields if "/guest/" in f.value)
    return link.rsplit("/guest/", 1)[1]


async def invite(office: Office, rep: str, contact_id: int) -> str:
    """The rep invites the contact; returns the secret of the links."""
    posted = await office.say(rep, f"/guest-invite {contact_id}")
    assert isinstance(posted.message, Card), posted.text
    return secret_of(posted.message)


async def bound_guest(office: Office, rep: str = "bob", sender: str = GUEST) -> int:
    """A contact of ``rep``'s customer Acme, bound to ``sender`` on the chat platform."""
    contact_id = await add_contact(office, rep, "Acme Ltd", "Ann Buyer")
    secret = await invite(office, rep, contact_id)
    await office.say(sender, f"/join guest-{secret}", channel="chat")
    return contact_id


def guest_texts(office: Office, sender: str = GUEST) -> list[str]:
    return [p.text for p in office.chat.conversation(sender)]


async def test_an_invite_binds_once_and_the_rep_is_told(shop: Office) -> None:
    contact_id = await add_contact(shop, "bob", "Acme Ltd", "Ann Buyer")
    posted = await shop.say("erin", f"/guest-invite {contact_id}")
    missing = await shop.say("erin", "/guest-invite 99999")
    assert posted.text == missing.text.replace("99999", str(contact_id))  # not hers: like missing
    secret = await invite(shop, "bob", contact_id)
    card = shop.card("bob")
    assert not any(f.label == "Telegram" for f in card.fields)  # Telegram is not configured here

    welcome = await shop.say(GUEST, f"/join guest-{secret}", channel="chat")
    assert "Ann Buyer" in welcome.text
    assert "Acme Ltd" in shop.texts("bob")[-1]
    with capture_logs() as logs:
        again = await shop.say(OTHER, f"/join guest-{secret}", channel="chat")
    assert "已使用或已过期" in again.text  # a stranger: in the org's language
    assert any(e["event"] == "refused.guest_invite" for e in logs)
    bound = await shop.count(select(func.count()).select_from(GuestAccount))
    assert bound == 1


async def test_an_expired_invite_binds_nothing(shop: Office) -> None:
    contact_id = await add_contact(shop, "bob", "Acme Ltd", "Ann Buyer")
    secret = await invite(shop, "bob", contact_id)
    await shop.advance(timedelta(days=7, minutes=1))
    answer = await shop.say(GUEST, f"/join guest-{secret}", channel="chat")
    assert "已使用或已过期" in answer.text
    assert await shop.count(select(func.count()).select_from(GuestAccount)) == 0


async def test_a_message_reaches_the_rep_and_the_answer_reaches_the_guest(shop: Office) -> None:
    contact_id = await bound_guest(shop)
    thanks = await shop.say(GUEST, "When do the parts ship?", channel="chat")
    assert "passed on" in thanks.text
    card = shop.card("bob")
    assert card.body == "When do the parts ship?"
    assert "Ann Buyer" in card.title
    await shop.tap("bob", button(card, "回复").token)
    await shop.say("bob", "Monday, by express.")
    assert guest_texts(shop)[-1] == "Test Trading: Monday, by express."
    number = await shop.run(
        lambda s: s.scalar(select(Activity.id).where(Activity.direction == "in"))
    )
    await shop.say("bob", f"/reply {number} Tracking number follows.")
    assert guest_texts(shop)[-1] == "Test Trading: Tracking number follows."

    def history(session: Session) -> list[tuple[str, str, int | None]]:
        rows = session.execute(
            select(Activity.direction, Activity.body, Activity.contact_id)
            .where(Activity.kind == "message")
            .order_by(Activity.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]

    assert await shop.run(history) == [
        ("in", "When do the parts ship?", contact_id),
        ("out", "Monday, by express.", contact_id),
        ("out", "Tracking number follows.", contact_id),
    ]
    refused = await shop.say("gina", f"/reply {number} hello")  # not her customer
    assert refused.text.startswith(f"There is no customer message #{number}")
    assert guest_texts(shop)[-1] == "Test Trading: Tracking number follows."


async def test_the_answer_goes_to_the_account_the_guest_last_wrote_from(shop: Office) -> None:
    contact_id = await bound_guest(shop)
    secret = await invite(shop, "bob", contact_id)
    await shop.say(OTHER, f"/join guest-{secret}", channel="chat")  # a second phone, bound last
    await shop.say(GUEST, "Is the quote ready?", channel="chat")  # written from the first
    await shop.say("bob", f"/reply {await last_incoming(shop)} Yes, attached.")
    assert guest_texts(shop, GUEST)[-1] == "Test Trading: Yes, attached."
    assert "Yes, attached." not in " ".join(guest_texts(shop, OTHER))
    await shop.say(OTHER, "Thanks, from my other phone.", channel="chat")
    await shop.say("bob", f"/reply {await last_incoming(shop)} You're welcome.")
    assert guest_texts(shop, OTHER)[-1] == "Test Trading: You're welcome."


async def last_incoming(office: Office) -> int:
    """The number of the newest message a guest wrote."""
    query = select(func.max(Activity.id)).where(Activity.direction == "in")
    return await office.count(query)


async def test_create_ticket_from_a_message_works_once(shop: Office) -> None:
    await bound_guest(shop)
    await shop.say(GUEST, "The printer jams on every page.", channel="chat")
    token = button(shop.card("bob"), "创建工单").token
    await shop.tap("bob", token)
    await shop.tap("bob", token)
    tickets = await shop.run(lambda s: list(s.scalars(select(Ticket))))
    assert [t.subject for t in tickets] == ["The printer jams on every page."]
    assert guest_texts(shop)[-1] == f"We opened ticket {tickets[0].ref} for your request."


async def test_a_guest_opens_and_lists_tickets_by_reference(shop: Office) -> None:
    await bound_guest(shop)
    opened = await shop.say(GUEST, "/ticket new Screen flickers", channel="chat")
    ticket = await shop.run(lambda s: s.scalars(select(Ticket)).one())
    assert ticket.ref in opened.text
    assert ticket.contact_id is not None
    listed = await shop.say(GUEST, "/tickets", channel="chat")
    assert ticket.ref in listed.text
    assert f"#{ticket.id}" not in listed.text
    assert ticket.ref in shop.texts("bob")[-1]  # the rep hears of it
    orders = await shop.say(GUEST, "/orders", channel="chat")
    assert orders.text == "There are no orders to show yet."


async def test_a_guest_sees_only_guest_commands(shop: Office) -> None:
    await bound_guest(shop)
    missing = await shop.say(GUEST, "/nosuchthing", channel="chat")
    with capture_logs() as logs:
        internal = await shop.say(GUEST, "/guest-invite 1", channel="chat")
    assert internal.text == missing.text.replace("nosuchthing", "guest-invite")
    assert any(e["event"] == "refused.guest_command" for e in logs)
    shown = (await shop.say(GUEST, "/help", channel="chat")).text
    assert "/tickets" in shown
    assert "/guest-invite" not in shown
    assert "/reply" not in shown
    assert "/join" not in shown


async def test_a_guest_over_the_rate_limit_gets_one_notice_then_silence(shop: Office) -> None:
    await bound_guest(shop)  # /join is the first of the 20 this minute
    for _ in range(19):
        await shop.say(GUEST, "/orders", channel="chat")
    before = len(guest_texts(shop))
    with capture_logs() as logs:
        notice = await shop.say(GUEST, "/tickets", channel="chat")
        await shop.say(GUEST, "Hello?", channel="chat")
    assert "wait a minute" in notice.text
    assert len(guest_texts(shop)) == before + 1
    assert sum(e["event"] == "refused.guest_rate" for e in logs) == 2
    assert await shop.count(select(func.count()).select_from(Activity)) == 0
    await shop.advance(timedelta(minutes=1, seconds=1))
    assert "no service tickets" in (await shop.say(GUEST, "/tickets", channel="chat")).text


async def test_with_the_rep_on_leave_the_message_goes_to_their_manager(shop: Office) -> None:
    await bound_guest(shop)
    bob = await member_id(shop, "bob")
    leave = await submit_directly(
        shop, "bob", "generic", [("title", "Leave"), ("approver", "carol")]
    )
    today = date(2026, 11, 30)
    await shop.run(
        lambda s: record_absence(s, bob, today, today, "annual", leave, shop.clock.now())
    )
    cards_before = len(shop.texts("bob"))
    await shop.say(GUEST, "Anyone there?", channel="chat")
    card = shop.card("carol")
    assert card.body == "Anyone there?"
    assert any(f.value == "李博 Bob is away" for f in card.fields)
    assert len(shop.texts("bob")) == cards_before
    await shop.tap("carol", button(card, "Reply").token)
    await shop.say("carol", "Bob is out today, I can help.")
    assert guest_texts(shop)[-1] == "Test Trading: Bob is out today, I can help."


async def test_off_hours_go_to_the_team_only_when_the_setting_says_so(shop: Office) -> None:
    await bound_guest(shop)
    await shop.advance(timedelta(hours=10))  # 20:00 in Shanghai
    await shop.say(GUEST, "Late question", channel="chat")
    assert shop.card("bob").body == "Late question"
    policies = shop.runtime.dispatcher.policies
    shop.runtime.dispatcher.policies = replace(policies, guest_relay_after_hours=True)
    await shop.say(GUEST, "Another late one", channel="chat")
    assert shop.card("carol").body == "Another late one"
    assert shop.card("bob").body == "Late question"


class _Words(BaseModel):
    words: str = Field(default="", json_schema_extra={"rest": True})


async def test_invite_contact_serves_customer_invite(shop: Office) -> None:
    """``invite_contact`` is what ``/customer invite N`` calls with the words after ``invite``."""
    shop.runtime.router.add(
        CommandSpec(
            name="customer-invite-probe",
            summary="test",
            handler=lambda ctx, args: invite_contact(ctx, args.words.split()),
            args=_Words,
            permission=Permission.CRM_USE,
        )
    )
    contact_id = await add_contact(shop, "bob", "Acme Ltd", "Ann Buyer")
    posted = await shop.say("bob", f"/customer-invite-probe {contact_id}")
    assert isinstance(posted.message, Card)
    assert secret_of(posted.message)
    wrong = await shop.say("bob", "/customer-invite-probe Ann")
    assert "/guest-invite 12" in wrong.text
