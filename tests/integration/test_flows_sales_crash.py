"""The sales flow survives a crash after each step (issue 16 must-show): the process is killed
the instant a step commits, before anything else it would do (its replies, the next consumer,
the next step), and restarted; the flow completes and every effect happens once. The steps:
deal won, contract submitted, each approval, order confirmed, shipped, invoice booked, shipped
and invoiced said, paid, paid said. The effects: one contract request, one order, one
reservation (shipped once), one material plan for the planner, one invoice, every announcement
and every command's answer once.

The kill is simulated in process, on SQLite: a serving process's only durable state is the
database, so what a kill loses is exactly what was not committed. The process's database is
wrapped so that, once the step's transaction has committed, the process never reaches the
database again: the committing call never returns (no reply is sent, no consumer woken), every
later transaction of that process is rolled back before it commits, and its tasks are then
cancelled. A new runtime on the same database and the same platforms is the restart. That is
what ``kill -9`` leaves behind, without a Python start-up per step; the crash points of the
real process (``bot/faults.py``) are covered by test_crash_recovery.py and
test_approvals_crash.py."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from adapters.memory.client import MemoryClient
from adapters.memory.translate import say
from bot.app import Runtime, build_runtime
from bot.config import Settings
from bot.pipeline.tables import OutboxRow
from bot.replies import Card
from domain.approvals.catalog import ensure_bundled
from domain.approvals.models import ApprovalEvent, ApprovalRequest
from domain.crm.deals import WON_EVENT
from domain.directory.importer import import_org
from domain.erp.catalog import add_product
from domain.erp.models import Product, StockBalance
from domain.erp.sales import DELIVERED
from domain.erp.sales_models import SalesDocument, SalesLine
from domain.erp.stock import post_move
from domain.erp.warehouses import add_warehouse, main_location
from domain.finance.charts import install_chart
from domain.finance.items_models import CUSTOMER, OpenItem
from domain.finance.open_items import INVOICE_PAID, Party, PaymentRequest, record_payment
from domain.flows.models import SalesRun
from domain.shared.db import Database, open_database
from domain.shared.domain_events import DomainEventRow
from tests.integration.approvals_rig import START
from tests.integration.erp_rig import receipt
from tests.support import FakeClock

T = TypeVar("T")
Reached = Callable[[Session], bool]
BOUND = 60.0  # a guard against a hang, never a timing: each step takes well under a second
ORG = """
org: {name: Test Works, timezone: Asia/Shanghai, locale: zh_CN, currency: CNY}
departments:
  - {name: Management, head: alice}
members:
  - {handle: alice, name: Alice Admin, department: Management, roles: [admin, manager], locale: en}
  - {handle: sue, name: Sue Sales, department: Management, manager: alice,
     roles: [sales, warehouse], locale: en}
  - {handle: fiona, name: Fiona Finance, department: Management, manager: alice,
     roles: [finance], locale: en}
  - {handle: pat, name: 潘 Pat, department: Management, manager: alice, roles: [production],
     locale: zh_CN}
"""


class Killed(Exception):
    """A transaction of a process that was killed before it could commit."""


def found(query: Select[Any]) -> Reached:
    def reached(session: Session) -> bool:
        return session.scalar(query.limit(1)) is not None

    return reached


@dataclass(frozen=True)
class Step:
    """A step of the flow: what someone says to make it happen (nothing: a consumer's step),
    and the state its commit leaves (the first transaction that leaves it is the step's)."""

    name: str
    said: tuple[str, str] | None  # (handle, text with {request})
    reached: Reached
    done: Callable[[Session], None] | None = None  # a transaction outside chat (a payment)


def pay(session: Session) -> None:
    """Acme pays the invoice (as a bank statement import records it)."""
    party = Party(CUSTOMER, 1, "Acme Ltd")
    record_payment(session, PaymentRequest("pay-1", party, START.date(), Decimal(80)), START)


WON = select(DomainEventRow.id).where(DomainEventRow.name == WON_EVENT)
APPROVED = select(DomainEventRow.id).where(DomainEventRow.name == "approval.approved")
STEPS = [
    Step("deal won", ("sue", "/deal won 1"), found(WON)),
    Step("contract submitted", None, found(select(SalesRun.deal_id).where(
        SalesRun.request_id.is_not(None)))),
    Step("first approval", ("alice", "/approve {request}"), found(select(ApprovalEvent.id).where(
        ApprovalEvent.kind == "approved"))),
    Step("contract approved", ("fiona", "/approve {request}"), found(APPROVED)),
    Step("order confirmed", None, found(select(SalesRun.deal_id).where(
        SalesRun.stage == "ordered"))),
    Step("shipped", ("sue", "/ship SO2026-00001 tracking=SF1234567"), found(select(
        DomainEventRow.id).where(DomainEventRow.name == DELIVERED))),
    Step("invoice booked", None, found(select(OpenItem.id))),
    Step("shipped and invoiced said", None, found(select(SalesRun.deal_id).where(
        SalesRun.stage == "invoiced"))),
    Step("paid", None, found(select(DomainEventRow.id).where(
        DomainEventRow.name == INVOICE_PAID)), done=pay),
    Step("paid said", None, found(select(SalesRun.deal_id).where(SalesRun.stage == "paid"))),
]  # fmt: skip


class KilledAtStep:
    """A process's database: after the transaction that reaches ``step`` commits, nothing."""

    def __init__(self, db: Database, step: Reached | None) -> None:
        self.dialect = db.dialect
        self.inner = db
        self.killed = asyncio.Event()
        self._step = step
        self._dead = False  # set in the committing transaction, read by the later ones

    async def run(self, work: Callable[[Session], T], *, urgent: bool = False) -> T:
        def watched(session: Session) -> T:
            if self._dead:
                raise Killed  # rolled back: the process died before this commit
            result = work(session)
            session.flush()
            if self._step is not None and self._step(session):
                self._dead, self._step = True, None
            return result

        try:
            result = await self.inner.run(watched, urgent=urgent)
        except Killed:
            await asyncio.Event().wait()  # never returns; cancelled when the process is reaped
        if self._dead and not self.killed.is_set():
            self.killed.set()  # this call committed the step: its caller never hears of it
            await asyncio.Event().wait()
        return result

    async def dispose(self) -> None:
        await self.inner.dispose()


class Works:
    """The platforms and the clock, which outlive the bot's processes, and the current one."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock = FakeClock(START)
        self.memory, self.chat = MemoryClient("memory"), MemoryClient("chat")
        self.runtime: Runtime | None = None
        self.db: KilledAtStep | None = None
        self._before: set[asyncio.Task[object]] = set()

    async def start(self, step: Reached | None) -> Runtime:
        """A new process on the database; with a ``step``, it is killed when it commits it,
        and it hands nothing to the platforms meanwhile (a send in flight at a kill is the
        relay's own at-least-once case, test_crash_recovery.py)."""
        self.db = KilledAtStep(open_database(self.settings.database_url.get_secret_value()), step)
        runtime = build_runtime(
            self.settings, [self.memory, self.chat], db=self.db, clock=self.clock,
            deliver_only=frozenset() if step else None,
        )  # fmt: skip
        policies = replace(runtime.dispatcher.policies, built_in_channel="memory")
        runtime.dispatcher.policies = policies
        self._before = asyncio.all_tasks()
        await runtime.start()
        self.runtime = runtime
        return runtime

    async def stop(self) -> None:
        """Stop the process that was not killed, as a deployment would."""
        assert self.runtime is not None and self.db is not None
        await self.runtime.stop()
        await self.db.dispose()

    async def reap(self) -> None:
        """What the kill leaves: the process's tasks end where they are, nothing more."""
        assert self.db is not None
        tasks = asyncio.all_tasks() - self._before - {asyncio.current_task()}
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.db.dispose()

    async def say(self, handle: str, text: str) -> None:
        """Hand in a message (the platform has it once this returns)."""
        assert self.runtime is not None
        await self.runtime.ingest(say(handle, text))

    async def until_killed(self) -> None:
        """Let the process work until the step commits and kills it."""
        assert self.runtime is not None and self.db is not None
        settled = asyncio.ensure_future(self.runtime.settle())
        killed = asyncio.ensure_future(self.db.killed.wait())
        done, _pending = await asyncio.wait({settled, killed}, timeout=BOUND,
                                            return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
        settled.cancel()
        killed.cancel()
        assert killed in done, "the process settled without reaching the step"

    def cards(self, handle: str) -> list[Card]:
        """The cards a member was sent, as first sent (a request's card is edited later)."""
        first = [(p.versions or [p.message])[0] for p in self.memory.conversation(handle)]
        return [message for message in first if isinstance(message, Card)]

    def texts(self, handle: str) -> list[str]:
        return [p.text for p in self.memory.conversation(handle)]


def office(session: Session) -> None:
    import_org(session, ORG, START)
    ensure_bundled(session, START)
    install_chart(session, "prc_small")
    now = START
    place = main_location(session, add_warehouse(session, "SH", "上海仓"))
    bolt = add_product(session, "BOLT-M6", {"name_en": "Bolt", "cost": Decimal(1)}, "CNY", now)
    add_product(session, "STOOL-1", {"name_en": "Stool", "kind": "finished"}, "CNY", now)
    post_move(session, receipt(bolt, place, "100", "bolts"), None, now)


async def test_a_kill_after_each_step_and_a_restart_complete_the_flow_once(
    sqlite_settings: Settings,
) -> None:
    settings = sqlite_settings.model_copy(update={"flow_poll_seconds": 300})
    works = Works(settings)
    runtime = await works.start(None)
    await runtime.db.run(office)
    for handle, text in (
        ("sue", "/customer add Acme Ltd"),
        ("sue", "/quote Acme BOLT-M6 40 price=2; STOOL-1 10 price=500"),
        ("sue", "/deal add Acme Stools amount=5000 close=2026-12-31"),
    ):
        await works.say(handle, text)
        await runtime.settle()
    await works.stop()
    runtime = await works.start(STEPS[0].reached)

    request, calls = 0, []
    for number, step in enumerate(STEPS):
        if step.said is not None:
            handle, text = step.said
            await works.say(handle, text.format(request=request))
        if step.done is not None:  # its call never returns: the process dies in its commit
            calls.append(asyncio.ensure_future(runtime.db.run(step.done)))
        await works.until_killed()
        await works.reap()
        following = STEPS[number + 1].reached if number + 1 < len(STEPS) else None
        runtime = await works.start(following)  # the restart
        request = request or int(
            await runtime.db.run(lambda s: s.scalar(select(func.max(ApprovalRequest.id))) or 0)
        )
    await runtime.settle()  # the last restart finishes the flow: nothing kills it
    done = await runtime.db.run(effects)
    await works.stop()

    assert done.contracts == 1 and done.runs == [("paid", request)]
    assert done.orders == [("SO2026-00001", "partial")]  # the stools are backordered
    # reserved once and shipped once: nothing left reserved, 40 out of the 100 on the shelf
    assert done.lines == {"BOLT-M6": (0, 40), "STOOL-1": (0, 0)}
    assert done.shelf == {"BOLT-M6": (60, 0), "STOOL-1": (0, 0)}
    assert all(call.cancelled() for call in calls)  # the payment's process died in its commit
    assert done.unsent == 0
    for handle, sends in done.sends.items():  # every message reached the platform once
        assert len(works.memory.conversation(handle)) == sends, handle

    titles = [c.title for c in works.cards("sue")]
    started = f"Deal #1 Stools is won: contract approval #{request} was submitted in your name."
    ordered = f"Contract #{request} is approved: order SO2026-00001 for Acme Ltd is confirmed."
    assert titles.count(started) == 1 and titles.count(ordered) == 1
    texts = works.texts("sue")
    for said in (
        "Order SO2026-00001 was shipped: BOLT-M6 × 40.",
        "Invoice SJ2026-00001 for order SO2026-00001: 80.00 CNY",
        "Invoice SJ2026-00001 for order SO2026-00001 is paid.",
    ):
        assert sum(text.startswith(said) for text in texts) == 1, (said, texts)
    assert done.invoices == 1
    assert sum("Deal won" in text for text in works.texts("sue")) == 1
    plans = [c for c in works.cards("pat") if "SO2026-00001" in c.body]
    assert len(plans) == 1 and plans[0].buttons
    for approver in ("alice", "fiona"):
        answers = [t for t in works.texts(approver) if t.startswith(f"You approved #{request}")]
        assert len(answers) == 1, works.texts(approver)


class Effects:
    contracts: int
    runs: list[tuple[str, int | None]]
    orders: list[tuple[str, str]]
    lines: dict[str, tuple[int, int]]  # SKU → (reserved, delivered) on the order's lines
    shelf: dict[str, tuple[int, int]]  # SKU → (on hand, reserved) in the warehouse
    sends: dict[str, int]  # conversation → messages queued for it
    unsent: int
    invoices: int


def effects(session: Session) -> Effects:
    done = Effects()
    done.contracts = int(
        session.scalar(
            select(func.count()).where(ApprovalRequest.template_key == "contract")
        ) or 0
    )  # fmt: skip
    done.invoices = int(session.scalar(select(func.count()).select_from(OpenItem)) or 0)
    done.runs = [(r.stage, r.request_id) for r in session.scalars(select(SalesRun))]
    orders = session.scalars(select(SalesDocument).where(SalesDocument.kind == "order")).all()
    done.orders = [(o.number, o.status) for o in orders]
    lines = session.execute(
        select(Product.sku, SalesLine.reserved, SalesLine.delivered)
        .join(SalesLine, SalesLine.product_id == Product.id)
        .join(SalesDocument, SalesDocument.id == SalesLine.document_id)
        .where(SalesDocument.kind == "order")
    ).all()
    done.lines = {sku: (int(reserved), int(delivered)) for sku, reserved, delivered in lines}
    shelf = session.execute(
        select(Product.sku, StockBalance.on_hand, StockBalance.reserved).join(
            StockBalance, StockBalance.product_id == Product.id
        )
    ).all()
    done.shelf = {sku: (int(on_hand), int(reserved)) for sku, on_hand, reserved in shelf}
    rows = session.execute(
        select(OutboxRow.conversation, func.count())
        .where(OutboxRow.kind == "send", OutboxRow.channel == "memory")
        .group_by(OutboxRow.conversation)
    ).all()
    done.sends = {conversation: int(n) for conversation, n in rows}
    done.unsent = int(
        session.scalar(select(func.count()).where(OutboxRow.status != "sent")) or 0
    )  # fmt: skip
    return done
