"""Deal rooms and the customer's view (issue 16 points 2 and 3) through the running pipeline on
SQLite, on a memory channel that opens rooms: a won deal gets one room with the owner, her
manager, the contract's approvers and the planner; each step after it (ordered, shipped with the
tracking number, invoiced, paid) is said there once, even when the consumers run again. The
customer's contact, a chat guest, hears only their own news, of the allowed kinds, in their
language, never a cost, a margin, an internal note or another customer. A cancelled order
stops the flow and says what was undone. A room that fails to open is tried again under its
name; one the platform refuses falls back to the owner's own chat, with what was said
meanwhile."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import cast

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.memory.client import MemoryRoomsClient
from bot.config import Settings
from bot.pipeline.flows import FlowContext
from bot.pipeline.tables import OutboxRow
from bot.ports import DeliveryError, PermanentDeliveryError
from bot.replies import Card, as_text, from_wire
from commands import flow_consumers
from domain.crm.models import Contact, Customer, GuestAccount
from domain.erp.catalog import add_product
from domain.erp.sales import cancel_document
from domain.erp.sales_models import SalesDocument
from domain.erp.stock import post_move
from domain.erp.warehouses import add_warehouse, main_location
from domain.finance.charts import install_chart
from domain.finance.items_models import CUSTOMER
from domain.finance.open_items import Party, PaymentRequest, record_payment
from domain.flows.consumers import consume
from domain.flows.customer_view import GUEST_KINDS, INVOICE, QUOTE_SENT, SHIPPED
from domain.flows.models import DealRoom, SalesRun
from tests.integration.approvals_rig import Office, button, member_id, running_office
from tests.integration.erp_rig import receipt
from tests.integration.test_flows_sales import ORG as SALES_ORG

ORG = SALES_ORG + (
    "  - {handle: will, name: Will Stock, department: Management, roles: [warehouse], locale: en}\n"
)
NOTE = "floor price 1.50, do not tell them"
GUEST, OTHER_GUEST = "9001", "9002"


@pytest.fixture
async def works(sqlite_settings: Settings) -> AsyncIterator[Office]:
    async with _works(sqlite_settings) as office:
        yield office


@pytest.fixture
async def works_on_both(settings: Settings) -> AsyncIterator[Office]:
    """The works on SQLite and PostgreSQL (the room opener's claims lock rows there)."""
    async with _works(settings) as office:
        yield office


@asynccontextmanager
async def _works(settings: Settings) -> AsyncIterator[Office]:
    quiet = settings.model_copy(update={"flow_poll_seconds": 300})
    async with running_office(quiet, extra=(), org=ORG, rooms=True) as office:
        await office.run(lambda s: _stock_and_books(s, office))
        await office.say("sue", "/customer add Acme Ltd")
        await office.say("sue", "/customer add Zenith Corp")
        await office.run(lambda s: _guest(s, office, "Acme Ltd", GUEST, "zh_CN"))
        await office.run(lambda s: _guest(s, office, "Zenith Corp", OTHER_GUEST, "en"))
        yield office


def _stock_and_books(s: Session, office: Office) -> None:
    now = office.clock.now()
    install_chart(s, "prc_small")
    place = main_location(s, add_warehouse(s, "SH", "上海仓"))
    bolt = add_product(s, "BOLT-M6", {"name_en": "Bolt", "cost": Decimal("1.37")}, "CNY", now)
    post_move(s, receipt(bolt, place, "100", "bolts", cost="1.37"), None, now)


def _guest(s: Session, office: Office, customer: str, user: str, locale: str) -> None:
    """A contact of the customer bound as a chat guest on the ``chat`` platform."""
    now = office.clock.now()
    found = s.scalars(select(Customer).where(Customer.name == customer)).one()
    contact = Contact(customer_id=found.id, name=f"Buyer {user}", locale=locale,
                      created_at=now, updated_at=now)  # fmt: skip
    s.add(contact)
    s.flush()
    s.add(GuestAccount(contact_id=contact.id, channel="chat", platform_user_id=user,
                       conversation_id=user, created_at=now))  # fmt: skip


async def ordered(office: Office, deal: str = "Bolts") -> SalesDocument:
    """Quote Acme 40 bolts at 2.00 (with an internal note) and send the quotation to the
    customer, win the deal, approve the contract: the confirmed order."""
    quoted = await office.say("sue", f"/quote Acme BOLT-M6 40 price=2 note={NOTE}")
    assert isinstance(quoted.message, Card)
    await office.tap("sue", button(quoted.message, "Send to customer").token)
    await office.say("sue", f"/deal add Acme {deal} amount=90 close=2026-12-31")
    await office.say("sue", "/deal won 1")
    run = await office.run(lambda s: s.get_one(SalesRun, 1))
    await office.say("alice", f"/approve {run.request_id}")
    await office.say("fiona", f"/approve {run.request_id}")
    order = await office.run(
        lambda s: s.scalars(select(SalesDocument).where(SalesDocument.kind == "order")).first()
    )
    assert order is not None and order.status == "confirmed"
    return order


async def rows_to(office: Office, conversation: str) -> list[tuple[str, str]]:
    """(subject, text) of every message queued for a conversation, in order."""

    def read(s: Session) -> list[tuple[str, str]]:
        query = select(OutboxRow).where(OutboxRow.conversation == conversation, OutboxRow.kind
                                        == "send").order_by(OutboxRow.id)  # fmt: skip
        return [(r.subject or "", as_text(from_wire(r.payload))) for r in s.scalars(query)]

    return await office.run(read)


async def test_the_room_hears_each_step_once_and_the_guest_only_their_own_news(
    works: Office,
) -> None:
    zenith = await works.say("sue", "/quote Zenith BOLT-M6 5 price=3")  # another customer
    assert isinstance(zenith.message, Card)
    await works.tap("sue", button(zenith.message, "Send to customer").token)
    order = await ordered(works)
    memory = cast(MemoryRoomsClient, works.memory)
    assert memory.rooms == {"deal-1": ("sue", "alice", "fiona", "pat")}  # owner, manager, ...
    sue = await member_id(works, "sue")
    now = works.clock.now()

    await works.say("will", f"/ship {order.number} tracking=SF1234567")

    def pay(s: Session) -> None:
        party = Party(CUSTOMER, order.customer_id, order.customer_name)
        paid = PaymentRequest("pay-1", party, date(2026, 12, 1), Decimal("80.00"), actor_id=sue)
        record_payment(s, paid, now)

    await works.run(pay)
    await works.runtime.settle()

    room = [text for _subject, text in await rows_to(works, "deal-1")]
    assert room == [
        "Deal #1 Bolts is won: contract approval #1 was submitted in Sue Sales's name.",
        "Contract #1 is approved: order SO2026-00001 for Acme Ltd is confirmed.\n"
        "Everything is reserved.",
        "Order SO2026-00001 was shipped: BOLT-M6 × 40.\nTracking number: SF1234567.",
        "Invoice SJ2026-00001 for order SO2026-00001: 80.00 CNY, due on 2026-12-30.",
        "Invoice SJ2026-00001 for order SO2026-00001 is paid.",
    ]
    assert [p.text for p in memory.conversation("deal-1")] == room  # delivered, in order
    assert not any("SO2026-00001" in p.text for p in works.posted("sue"))  # not twice
    run = await works.run(lambda s: s.get_one(SalesRun, 1))
    assert run.stage == "paid"

    def again(s: Session) -> int:
        unused = cast(FlowContext, None)  # nothing is left to apply, so no handler runs
        return sum(consume(s, c, unused, works.clock.now()).touched for c in flow_consumers())

    assert await works.run(again) == 0
    await works.runtime.settle()
    assert len(await rows_to(works, "deal-1")) == len(room)

    heard = await rows_to(works, GUEST)
    kinds = [kind_of(subject) for subject, _text in heard]
    assert kinds == ["quote_sent", "order_confirmed", "shipped", "invoice", "paid"]
    assert set(kinds) <= GUEST_KINDS
    forbidden = ("1.37", "54.8", "25.2", NOTE, "floor", "Zenith")  # cost, its sum, margin ...
    for _subject, text in heard:
        assert not any(word in text for word in forbidden), text
        assert "Test Works" in text or "您的订单" in text  # Chinese, as the contact reads
        assert not any(english in text for english in ("order", "Order", "invoice", "paid"))
    assert "运单号：SF1234567。" in heard[2][1]
    (invoice,) = [p for p in works.chat.conversation(GUEST) if "SJ2026-00001" in p.text
                  and p.message.attachments]  # fmt: skip
    assert invoice.message.attachments[0].name == "SJ2026-00001.pdf"
    (other,) = await rows_to(works, OTHER_GUEST)  # Zenith's guest: their own quotation only
    assert kind_of(other[0]) == QUOTE_SENT and "Acme" not in other[1] and "SO2026" not in other[1]


def kind_of(subject: str) -> str:
    """What kind of news a message to a guest is, by its subject: the flow's own
    (``customer-view:KIND:…``), the ERP's quotation and shipment, the payment reminder."""
    source = subject.split(":")
    return {"erp_quote": QUOTE_SENT, "erp_delivery": SHIPPED, "finance": INVOICE}.get(
        source[0], source[1] if source[0] == "customer-view" else "?"
    )


async def test_a_cancelled_order_stops_the_flow_and_says_what_was_undone(works: Office) -> None:
    order = await ordered(works)
    now = works.clock.now()
    await works.run(lambda s: cancel_document(s, order.id, now))
    await works.runtime.settle()
    said = "Order SO2026-00001 was cancelled: the flow for deal #1 stopped.\n" + (
        "Released from reservation: BOLT-M6 × 40."
    )
    assert (await rows_to(works, "deal-1"))[-1][1] == said
    assert works.texts("sue")[-1] == said  # the owner hears it in person too
    run = await works.run(lambda s: s.get_one(SalesRun, 1))
    assert run.stage == "cancelled"


async def test_a_room_that_fails_is_tried_again_under_its_name(works_on_both: Office) -> None:
    works = works_on_both
    memory = cast(MemoryRoomsClient, works.memory)
    memory.room_failures.append(DeliveryError("platform down"))
    await works.say("sue", "/quote Acme BOLT-M6 40 price=2")
    await works.say("sue", "/deal add Acme Bolts amount=90 close=2026-12-31")
    await works.say("sue", "/deal won 1")
    room = await works.run(lambda s: s.get_one(DealRoom, 1))
    assert (room.status, room.attempts, room.last_error) == (
        "opening", 1, "DeliveryError: platform down"
    )  # fmt: skip
    assert memory.conversation("deal-1") == []  # what was said waits for the room
    await works.advance(timedelta(seconds=11))
    works.runtime.rooms.wake()
    await works.runtime.settle()
    assert memory.openings == 2 and list(memory.rooms) == ["deal-1"]
    assert [p.text for p in memory.conversation("deal-1")] == [
        "Deal #1 Bolts is won: contract approval #1 was submitted in Sue Sales's name."
    ]


async def test_a_platform_that_refuses_rooms_falls_back_to_the_owners_chat(works: Office) -> None:
    memory = cast(MemoryRoomsClient, works.memory)
    memory.room_failures.append(PermanentDeliveryError("no rooms for bots here"))
    await ordered(works)
    room = await works.run(lambda s: s.get_one(DealRoom, 1))
    assert (room.status, room.channel, room.conversation) == ("direct", "memory", "sue")
    texts = works.texts("sue")
    assert "Deal #1 Bolts is won: contract approval #1 was submitted in Sue Sales's name." in texts
    assert texts[-1].startswith("Contract #1 is approved: order SO2026-00001")
    assert memory.rooms == {}
