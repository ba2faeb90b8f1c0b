"""The living demo `make run` loads: after `bizbot serve`'s start, the demo manager (Alice, whom
the local sign-in offers first) finds the company at work with the commands README.md names,
and a second start changes nothing. SQLite only: the database plays a small part."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters.memory.client import MemoryClient
from bot.app import build_runtime, prepare_database
from bot.config import Settings
from bot.demo.company import CUSTOMERS, DEALS, MEETINGS
from bot.replies import Card
from bot.webauth import DirectoryWebAuth
from domain.approvals.models import ApprovalRequest
from domain.calendar.models import CalendarEvent
from domain.crm.models import Activity, Contact, Customer, Deal, Ticket
from domain.directory.importer import import_org
from domain.erp.models import Product, StockMove, Warehouse
from domain.shared.db import Database
from domain.timers.models import Timer
from tests.support import ORG_YAML, Chat, FakeClock

pytestmark = pytest.mark.asyncio

FRIDAY = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai; the next working day: Monday
README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
TABLES = (
    Customer, Contact, Deal, Activity, Ticket, ApprovalRequest, CalendarEvent, Timer,
    Warehouse, Product, StockMove,
)  # fmt: skip


@pytest.fixture
def demo_settings(sqlite_settings: Settings) -> Settings:
    """Settings of `make run`: the demo on."""
    return sqlite_settings.model_copy(update={"demo": True})


@pytest.fixture
async def demo(demo_settings: Settings) -> AsyncIterator[Chat]:
    """A pipeline on a database `bizbot serve` prepared with the demo, on a Friday morning."""
    memory = MemoryClient("memory")
    clock = FakeClock(FRIDAY)
    runtime = build_runtime(demo_settings, [memory], clock=clock)
    runtime.dispatcher.policies = replace(runtime.dispatcher.policies, built_in_channel="memory")
    await prepare_database(demo_settings, runtime.db, clock)
    await runtime.start()
    try:
        yield Chat(runtime, memory, MemoryClient("chat"))
    finally:
        await runtime.stop()
        await runtime.db.dispose()


async def counts(db: Database) -> dict[str, int]:
    """How many rows each demo table has."""

    def work(session: Session) -> dict[str, int]:
        return {
            t.__name__: int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in TABLES
        }

    return await db.run(work)


async def test_the_local_sign_in_offers_the_demo_manager_first(demo: Chat) -> None:
    auth = DirectoryWebAuth(demo.runtime.db, demo.runtime.clock, session_ttl=FRIDAY - FRIDAY)
    first = (await auth.local_members())[0]
    assert first.handle == "alice"


README_COMMANDS = ("/approvals", "/deals", "/tickets", "/agenda week", "/reminders")


async def test_the_first_help_points_at_the_company_at_work(demo: Chat) -> None:
    first_line = (await demo.say("alice", "/help")).message
    assert isinstance(first_line, Card)
    start = first_line.body.splitlines()[0]
    assert start == "See what is going on: " + " · ".join(README_COMMANDS), start
    chinese = (await demo.say("bob", "/帮助")).message
    assert isinstance(chinese, Card)
    assert chinese.body.splitlines()[0] == (
        "看看大家在忙什么：/审批 · /我的商机 · /工单列表 · /日程 本周 · /我的提醒"
    )


async def test_the_commands_readme_names_show_the_company_at_work(demo: Chat) -> None:
    for command in ("/help", *README_COMMANDS, "/approval 1", "/pipeline"):
        assert f"`{command}`" in README, command

    waiting = (await demo.say("alice", "/approvals")).text
    assert "Leave · 李博 Bob Li" in waiting and "Expense reimbursement · 李博 Bob Li" in waiting
    leave = (await demo.say("alice", "/approval 1")).message
    assert isinstance(leave, Card) and leave.title == "Leave #1 · 李博 Bob Li", leave
    assert [b.label for b in leave.buttons][:2] == ["Approve", "Reject"]

    deals = (await demo.say("alice", "/deals")).text
    for stage in ("Lead", "Qualified", "Proposal", "Negotiation"):
        assert f" · {stage} · " in deals, deals
    assert "MES 系统升级" in deals and "Annual supply contract 2027" in deals, deals
    pipeline = (await demo.say("alice", "/pipeline")).text
    assert "Open deals: 4" in pipeline, pipeline

    tickets = (await demo.say("alice", "/tickets")).text
    assert "扫码枪" in tickets and "@bob" in tickets, tickets

    agenda = (await demo.say("alice", "/agenda week")).text
    for title in ("Northwind renewal: pricing review", "Sales weekly 🔁", "季度经营分析会"):
        assert title in agenda, agenda

    reminders = (await demo.say("alice", "/reminders")).text
    assert "Your reminders (3)" in reminders, reminders
    assert "Decide on Bob's leave request #1" in reminders, reminders


async def test_the_warehouse_has_stock_in_two_places(demo: Chat) -> None:
    pumps = (await demo.say("alice", "/stock PUMP-100")).text
    for expected in ("SH", "BJ", "16"):
        assert expected in pumps, pumps
    bolts = (await demo.say("zhao", "/库存 BOLT-M8")).text
    assert "2400" in bolts and "六角螺栓 M8" in bolts, bolts


async def test_bob_sees_his_side_in_chinese(demo: Chat) -> None:
    mine = (await demo.say("bob", "/审批 mine")).text
    assert "请假" in mine and "费用报销" in mine, mine
    reminders = (await demo.say("bob", "/reminders")).text
    assert "给杭州明远李娜回电话" in reminders, reminders


async def test_the_demo_is_all_there_and_just_ahead_of_now(demo: Chat) -> None:
    found = await counts(demo.runtime.db)
    assert found["Customer"] == len(CUSTOMERS)
    assert found["Contact"] == sum(len(c.contacts) for c in CUSTOMERS)
    assert found["Deal"] == len(DEALS)
    assert found["Ticket"] == 1
    assert found["ApprovalRequest"] == 2
    assert found["CalendarEvent"] == len(MEETINGS)
    assert (found["Warehouse"], found["Product"], found["StockMove"]) == (2, 6, 7)

    def first_meeting(session: Session) -> datetime:
        return min(session.scalars(select(CalendarEvent.starts_at)))

    monday_10_in_shanghai = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    assert await demo.runtime.db.run(first_meeting) == monday_10_in_shanghai


async def test_starting_again_changes_nothing(demo: Chat, demo_settings: Settings) -> None:
    before = await counts(demo.runtime.db)
    await prepare_database(demo_settings, demo.runtime.db, demo.runtime.clock)
    assert await counts(demo.runtime.db) == before


async def test_a_database_with_members_is_left_alone(demo_settings: Settings) -> None:
    runtime = build_runtime(demo_settings, [MemoryClient("memory")], clock=FakeClock(FRIDAY))
    try:
        await runtime.db.run(lambda s: import_org(s, ORG_YAML, FRIDAY))
        await prepare_database(demo_settings, runtime.db, runtime.clock)
        found = await counts(runtime.db)
    finally:
        await runtime.db.dispose()
    assert set(found.values()) == {0}, found
