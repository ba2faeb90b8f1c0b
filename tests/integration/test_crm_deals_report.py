"""/crm report against numbers computed by hand, for a rep, a manager, a service member and an
administrator (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from bot.config import Settings
from domain.crm.models import Customer, Deal, Ticket
from domain.crm.report import CrmReport, crm_report
from domain.crm.scope import scope_of
from domain.crm.stages import parse_stages
from domain.directory.services import member_view
from tests.integration.approvals_rig import START, Office, member_id
from tests.integration.crm_rig import running_shop

STAGES = parse_stages("lead:10,qualified:30,proposal:50,negotiation:70,won:100,lost:0")
DAY = timedelta(days=1)


@dataclass(frozen=True)
class D:
    """A deal as the test writes it: days before START it was created and closed."""

    customer: str
    owner: str
    status: str
    amount: str
    created: int
    closed: int | None = None
    stage: str = ""


# Window: the 90 days before START. Cycles: won deals only, creation to close.
DEALS = (
    D("C1", "erin", "won", "30000", created=40, closed=10),  # 30 days
    D("C2", "erin", "won", "12000.50", created=25, closed=5),  # 20 days
    D("C2", "erin", "lost", "5000", created=30, closed=20),
    D("C1", "erin", "won", "1000", created=120, closed=100),  # outside the window
    D("C3", "gina", "won", "50000", created=60, closed=1),  # 59 days
    D("C4", "bob", "won", "7000", created=12, closed=2),  # 10 days
    D("C1", "erin", "open", "20000", created=3, stage="proposal"),  # weighted 10,000
    D("C3", "gina", "open", "8000", created=3, stage="negotiation"),  # weighted 5,600
)
CUSTOMERS = {"C1": "erin", "C2": "erin", "C3": "gina", "C4": "bob"}


@dataclass(frozen=True)
class T:
    """A ticket: customer, days before START it was created, resolved?, which SLA breached."""

    customer: str
    created: int
    resolved: bool
    response_breached: bool = False
    resolution_breached: bool = False
    assignee: str = "jack"


TICKETS = (
    T("C1", 5, resolved=True),  # within both
    T("C1", 6, resolved=True, response_breached=True),
    T("C2", 7, resolved=False),  # still running, not breached: not counted
    T("C2", 8, resolved=False, resolution_breached=True),
    T("C1", 100, resolved=True, response_breached=True),  # outside the window
    T("C3", 9, resolved=True, assignee="ivy"),  # within both
)


@pytest.fixture
async def office(settings: Settings) -> AsyncIterator[Office]:
    async with running_shop(settings) as opened:
        await seed(opened)
        yield opened


async def seed(office: Office) -> None:
    ids = {h: await member_id(office, h) for h in ("erin", "gina", "bob", "jack", "ivy")}

    def work(session: Session) -> None:
        customers = {}
        for key, owner in CUSTOMERS.items():
            row = Customer(name=f"{key} Ltd", owner_id=ids[owner], tags=[], created_at=START)
            row.updated_at = START
            session.add(row)
            session.flush()
            customers[key] = row.id
        for d in DEALS:
            session.add(_deal(d, customers[d.customer], ids[d.owner]))
        for n, t in enumerate(TICKETS):
            session.add(_ticket(n, t, customers[t.customer], ids[t.assignee]))

    await office.run(work)


def _deal(d: D, customer_id: int, owner_id: int) -> Deal:
    stage = STAGES.find(d.stage or d.status)
    assert stage is not None
    return Deal(
        customer_id=customer_id,
        name=f"{d.customer} {d.status}",
        amount=Decimal(d.amount),
        currency="CNY",
        stage=stage.name,
        probability=stage.probability,
        status=d.status,
        expected_close=(START + 30 * DAY).date(),
        owner_id=owner_id,
        version=1,
        last_activity_at=START,
        created_at=START - d.created * DAY,
        closed_at=None if d.closed is None else START - d.closed * DAY,
    )


def _ticket(n: int, t: T, customer_id: int, assignee_id: int) -> Ticket:
    created = START - t.created * DAY
    return Ticket(
        ref=f"T{n}",
        customer_id=customer_id,
        subject="help",
        status="resolved" if t.resolved else "in_progress",
        assignee_id=assignee_id,
        created_at=created,
        resolved_at=created + DAY if t.resolved else None,
        response_breached_at=created + DAY if t.response_breached else None,
        resolution_breached_at=created + 2 * DAY if t.resolution_breached else None,
    )


async def report_of(office: Office, handle: str) -> CrmReport:
    actor = await member_id(office, handle)
    now: datetime = office.clock.now()

    def work(session: Session) -> CrmReport:
        scope = scope_of(session, actor, member_view(session, actor).roles)
        return crm_report(session, scope, STAGES, now)

    return await office.run(work)


def top(report: CrmReport) -> list[tuple[str, Decimal]]:
    return [(c.name, c.amount) for c in report.top_customers]


async def test_a_rep_sees_their_own_numbers(office: Office) -> None:
    report = await report_of(office, "erin")
    assert (report.win_rate.part, report.win_rate.whole) == (2, 3)
    assert report.average_cycle_days == Decimal(25)  # (30 + 20) / 2
    assert top(report) == [("C1 Ltd", Decimal(30000)), ("C2 Ltd", Decimal("12000.50"))]
    assert report.pipeline.weighted == {"CNY": Decimal(10000)}
    assert (report.sla.part, report.sla.whole) == (1, 3)  # tickets on erin's customers
    card = (await office.say("erin", "/crm report")).text
    assert "Win rate: 2 of 3 (66.7%)" in card
    assert "Average cycle: 25.0 days" in card
    assert "Ticket SLA met: 1 of 3 (33.3%)" in card
    assert "revenue: 1. C1 Ltd (#1) CN¥30,000.00\n2. C2 Ltd (#2) CN¥12,000.50" in card
    assert "Proposal (50%): 1 · CN¥20,000.00 · weighted CN¥10,000.00" in card


async def test_a_manager_sees_the_team(office: Office) -> None:
    report = await report_of(office, "carol")  # erin and bob
    assert (report.win_rate.part, report.win_rate.whole) == (3, 4)
    assert report.average_cycle_days == Decimal(20)  # (30 + 20 + 10) / 3
    assert top(report) == [
        ("C1 Ltd", Decimal(30000)),
        ("C2 Ltd", Decimal("12000.50")),
        ("C4 Ltd", Decimal(7000)),
    ]
    assert "Win rate: 3 of 4 (75.0%)" in (await office.say("carol", "/CRM报告")).text


async def test_an_administrator_sees_everything(office: Office) -> None:
    report = await report_of(office, "alice")
    assert (report.win_rate.part, report.win_rate.whole) == (4, 5)
    assert report.average_cycle_days == Decimal(119) / 4  # (30 + 20 + 59 + 10) / 4
    assert top(report)[0] == ("C3 Ltd", Decimal(50000))
    assert report.pipeline.weighted == {"CNY": Decimal(15600)}
    assert (report.sla.part, report.sla.whole) == (2, 4)
    card = (await office.say("alice", "/crm report")).text
    assert "Average cycle: 29.8 days" in card


async def test_service_sees_the_tickets_assigned_in_their_team(office: Office) -> None:
    jack = await report_of(office, "jack")
    assert (jack.sla.part, jack.sla.whole) == (1, 3)  # assigned to jack, in the window
    ivy = await report_of(office, "ivy")  # manager of jack
    assert (ivy.sla.part, ivy.sla.whole) == (2, 4)
    assert ivy.win_rate.whole == 0
    assert "Win rate: —" in (await office.say("ivy", "/crm report")).text
    assert "Win rate" not in (await office.say("hank", "/crm report")).text  # no CRM at all
