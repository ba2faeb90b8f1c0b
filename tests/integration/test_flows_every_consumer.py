"""Every consumer registered in the composition root (``commands.flow_consumers()``), each with a
real event of its topic made the way people make it (in chat, or as the module records it),
offered ten times the ways the runner offers an event again: a pass that dies before its commit,
passes of this runner and of another one, a replay from the first event (the watermark lost),
the producer recording the same event again, a pass an hour later. Each leaves one downstream
record and one card per person it tells, never two, never none (issue 16: "the same event
delivered 10 times to every consumer: one downstream record each").

The parametrisation is the registry itself: a consumer added without a case here fails its
case, so the test keeps up. SQLite only: the once-only row is the same ORM statement on either
database, and PostgreSQL's concurrent path is test_flows_consumers.py's two-runner test."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from adapters.memory.translate import say
from bot.config import Settings
from bot.pipeline.flows import FlowConsumer, Flows
from bot.pipeline.tables import OutboxRow
from commands import flow_consumers
from domain.approvals.models import ApprovalRequest
from domain.crm.models import Contact, GuestAccount
from domain.erp.catalog import add_product, product_by_sku
from domain.erp.purchase_models import PurchaseRequest
from domain.erp.sales_models import SalesDocument
from domain.erp.stock import post_move
from domain.erp.warehouses import add_warehouse, main_location, warehouse_by_code
from domain.finance.charts import install_chart
from domain.finance.models import Entry
from domain.finance.posting import EntryRequest, LineRequest, post_entry
from domain.flows.models import ConsumedEvent, ConsumerPosition, ConsumerStatus, LeaveBlock
from domain.shared.db import Database
from domain.shared.domain_events import DomainEventRow, record_event
from tests.integration.approvals_rig import Office, running_office
from tests.integration.erp_rig import delivery, receipt

T = TypeVar("T")
ROOM = "sales-room"
GUEST = "9001"  # the customer's contact, a chat guest
ORG = """
org: {name: Test Works, timezone: Asia/Shanghai, locale: zh_CN, currency: CNY}
departments:
  - {name: Management, head: alice}
members:
  - {handle: alice, name: Alice Admin, department: Management, roles: [admin, manager], locale: en}
  - {handle: sue, name: Sue Sales, department: Management, manager: alice, roles: [sales],
     locale: en}
  - {handle: fiona, name: Fiona Finance, department: Management, manager: alice,
     roles: [finance], locale: en}
  - {handle: pia, name: 裴 Pia, department: Management, manager: alice, roles: [purchasing],
     locale: zh_CN}
  - {handle: wendy, name: Wendy Stock, department: Management, manager: alice,
     roles: [warehouse, manager], locale: en}
"""


@pytest.fixture
async def works(sqlite_settings: Settings) -> AsyncIterator[Office]:
    quiet = sqlite_settings.model_copy(update={"flow_poll_seconds": 300})
    async with running_office(quiet, extra=(), org=ORG) as office:
        office.runtime.flows.consumers = []  # the events wait for the test's runners

        def stocked(s: Session) -> None:
            now = office.clock.now()
            place = main_location(s, add_warehouse(s, "SH", "上海仓"))
            values: dict[str, Any] = {"name_en": "Bolt", "cost": Decimal(1)}
            values |= {"safety_stock": Decimal(100), "default_supplier": "Acme Metals"}
            bolt = add_product(s, "BOLT-M6", values, "CNY", now)
            post_move(s, receipt(bolt, place, "150", "bolts"), None, now)

        await office.run(stocked)
        await office.say("sue", "/customer add Acme Ltd")
        yield office


# --- the causes: each makes one real event of a consumer's topic -------------------------------


async def deal_won(office: Office) -> None:
    await office.say("sue", "/quote Acme BOLT-M6 40 price=2")
    await office.say("sue", "/deal add Acme Bolts amount=5000 close=2026-12-31")
    await office.say("sue", "/deal won 1")


async def contract_approved(office: Office) -> None:
    await deal_won(office)
    await runner(office, consumer("flows.sales.contract")).run_once()
    request = await office.count(select(func.max(ApprovalRequest.id)))
    await office.say("alice", f"/approve {request}")
    await office.say("fiona", f"/approve {request}")


async def order_shipped(office: Office) -> None:
    await contract_approved(office)
    await runner(office, consumer("flows.sales.order")).run_once()
    await office.say("wendy", "/ship SO2026-00001 tracking=SF1234567")


async def order_confirmed_to_a_guest(office: Office) -> None:
    def guest(s: Session) -> None:
        now = office.clock.now()
        contact = Contact(customer_id=1, name="Buyer", locale="en", created_at=now, updated_at=now)
        s.add(contact)
        s.flush()
        s.add(GuestAccount(contact_id=contact.id, channel="chat", platform_user_id=GUEST,
                           conversation_id=GUEST, created_at=now))  # fmt: skip

    await office.run(guest)
    await office.say("sue", "/order Acme BOLT-M6 5 price=2")
    await office.say("sue", "/order confirm SO2026-00001")


async def below_safety(office: Office) -> None:
    def delivered(s: Session) -> None:
        bolt = product_by_sku(s, "BOLT-M6")
        warehouse = warehouse_by_code(s, "SH")
        assert bolt is not None and warehouse is not None
        place = main_location(s, warehouse)
        post_move(s, delivery(bolt, place, "60", "out-1"), None, office.clock.now())

    await office.run(delivered)  # 90 left, safety stock 100


async def expense_approved(office: Office) -> None:
    await office.run(lambda s: install_chart(s, "prc_small"))
    request = await office.submit("sue", "/expense amount=300 category=meals reason=lunch")
    await office.say("alice", f"/approve {request}")


async def budget_crossed(office: Office) -> None:
    await office.run(lambda s: install_chart(s, "prc_small"))
    await office.say("fiona", "/budget set Management 5602 2026-11 10000 owner @alice")
    lines = [
        LineRequest("5602", debit=Decimal(8500), department="Management"),
        LineRequest("1001", credit=Decimal(8500)),
    ]
    request = EntryRequest("GJ", date(2026, 11, 30), lines, memo="rent")
    await office.run(lambda s: post_entry(s, request, office.clock.now()))


async def purchase_approved(office: Office) -> None:
    await office.say("sue", "/pr BOLT-M6 500 reason=stock")
    approval = await office.count(select(func.max(PurchaseRequest.approval_id)))
    await office.say("alice", f"/approve {approval}")


async def leave_approved(office: Office) -> None:
    request = await office.submit("sue", "/leave type=sick dates=2026-12-01..2026-12-02 reason=flu")
    await office.say("alice", f"/approve {request}")


async def subscribed_deal_won(office: Office) -> None:
    await office.send(say("alice", "/subscribe deal.won amount > 1000", conversation=ROOM))
    await deal_won(office)


# --- what each consumer leaves behind ------------------------------------------------------------


def count(model: type[Any], *where: Any) -> Callable[[Session], int]:
    def counted(s: Session) -> int:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    return counted


@dataclass(frozen=True)
class Case:
    cause: Callable[[Office], Awaitable[None]]
    cards: str  # the subject of the consumer's cards starts with this
    told: tuple[str, ...]  # the conversations that get one card each
    record: Callable[[Session], int] | None = None  # its downstream record, when it keeps one


CASES: dict[str, Case] = {
    "erp.safety_stock_card": Case(below_safety, "safety:", ("wendy", "pia")),
    "finance.postings": Case(expense_approved, "finance:", (), count(Entry)),
    "finance.budget_alerts": Case(budget_crossed, "budget:", ("alice",)),
    "flows.sales.contract": Case(
        deal_won,
        "approval:",
        ("sue", "alice"),
        count(ApprovalRequest, ApprovalRequest.template_key == "contract"),
    ),
    "flows.sales.order": Case(
        contract_approved,
        "sales-run:",
        ("sue",),
        count(SalesDocument, SalesDocument.kind == "order"),
    ),
    "flows.sales.after": Case(order_shipped, "sales-run:1:shipped", ("sue",)),
    "flows.customer_view": Case(order_confirmed_to_a_guest, "customer-view:", (GUEST,)),
    "flows.purchase.approved": Case(purchase_approved, "erp-pr-approved:", ("pia",)),
    "flows.subscriptions": Case(subscribed_deal_won, "subscription:", (ROOM,)),
    "flows.leave.calendar": Case(leave_approved, "leave:", (), count(LeaveBlock)),
}


def consumer(name: str) -> FlowConsumer:
    (found,) = [c for c in flow_consumers() if c.name == name]
    return found


def cards(prefix: str) -> Callable[[Session], Counter[str]]:
    """New messages (not edits) whose subject starts with ``prefix``, by conversation."""

    def counted(s: Session) -> Counter[str]:
        rows = s.scalars(
            select(OutboxRow.conversation).where(
                OutboxRow.kind == "send", OutboxRow.subject.startswith(prefix)
            )
        )
        return Counter(rows)

    return counted


# --- the ten offerings ---------------------------------------------------------------------------


class Crash(BaseException):
    """The process dies in the middle of a pass: nothing of it commits."""


class DiesBeforeCommit:
    """The office's database, for a runner whose process dies before each pass commits."""

    def __init__(self, db: Database) -> None:
        self.dialect = db.dialect
        self._db = db

    async def run(self, work: Callable[[Session], T]) -> T:
        def then_crash(session: Session) -> T:
            work(session)
            raise Crash

        return await self._db.run(then_crash)


def runner(office: Office, of: FlowConsumer, db: Any = None) -> Flows:
    """A consumers' loop as a serving process builds it, for one consumer."""
    runtime = office.runtime
    return Flows(
        db or runtime.db, [of], office.clock, runtime.metrics,
        lambda: runtime.dispatcher.policies, action_ttl=timedelta(hours=1), poll_interval=300,
    )  # fmt: skip


async def offer(office: Office, of: FlowConsumer, times: int) -> int:
    """Offer the consumer its events ``times`` times in the ways a runner can; the outcomes
    recorded (an event applied, or a failure)."""
    this, other = runner(office, of), runner(office, of)
    touched: list[int] = []

    def counted(runs: Flows) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            touched.append(await runs.run_once())

        return run

    async def crashed() -> None:
        with pytest.raises(Crash):
            await runner(office, of, DiesBeforeCommit(office.runtime.db)).run_once()

    async def replay() -> None:
        await office.run(lambda s: s.execute(delete(ConsumerPosition)))
        await counted(this)()

    async def recorded_again() -> None:
        def again(s: Session) -> None:
            for row in s.scalars(select(DomainEventRow).where(DomainEventRow.name.in_(of.events))):
                record_event(s, row.name, row.source, row.source_id, row.payload, row.occurred_at)

        await office.run(again)
        await counted(this)()

    async def later() -> None:
        office.clock.advance(timedelta(hours=1))
        await counted(this)()

    ways = [crashed, counted(this), counted(other), replay, recorded_again, later]
    for n in range(times):
        await ways[n % len(ways)]()
    await office.runtime.settle()
    return sum(touched)


@pytest.mark.parametrize("name", [c.name for c in flow_consumers()])
async def test_an_event_offered_ten_times_has_one_effect(works: Office, name: str) -> None:
    assert name in CASES, f"consumer {name} has no case here: add one"
    case, of = CASES[name], consumer(name)
    await case.cause(works)
    await works.runtime.settle()
    events = await works.count(
        select(func.count()).select_from(DomainEventRow).where(DomainEventRow.name.in_(of.events))
    )
    assert events >= 1, f"{name}: the cause recorded none of {sorted(of.events)}"
    assert await works.run(cards(case.cards)) == Counter()  # nothing before the consumer runs

    assert await offer(works, of, 10) == events  # one outcome each, in one of the ten offerings
    statuses = await works.run(lambda s: set(s.scalars(select(ConsumedEvent.status))))
    assert statuses == {ConsumerStatus.APPLIED}  # that outcome: applied, no failure
    assert await works.run(cards(case.cards)) == Counter(dict.fromkeys(case.told, 1))
    if case.record is not None:
        assert await works.run(case.record) == 1


def test_every_case_is_a_registered_consumer() -> None:
    assert set(CASES) == {c.name for c in flow_consumers()}
