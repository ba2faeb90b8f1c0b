"""Deals in chat: a sales day from the first deal to the forecast, stage history, bad moves,
duplicate and concurrent moves, scope, and the idle nudge (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from domain.crm.deals import IDLE_KIND
from domain.crm.forecast import Grain, forecast, pipeline
from domain.crm.models import Customer, Deal, DealStageChange
from domain.crm.scope import Scope
from domain.crm.stages import parse_stages
from domain.shared.domain_events import events_named
from domain.timers.models import Timer, TimerStatus
from tests.integration.approvals_rig import Office, member_id
from tests.integration.crm_rig import running_shop

STAGES = parse_stages("lead:10,qualified:30,proposal:50,negotiation:70,won:100,lost:0")
EVERYONE = Scope(0, frozenset(), everyone=True)


@pytest.fixture
async def office(settings: Settings) -> AsyncIterator[Office]:
    async with running_shop(settings) as opened:
        yield opened


async def customer(office: Office, owner: str, name: str) -> int:
    """A customer owned by ``owner`` (the customers commands are another area's)."""
    owner_id = await member_id(office, owner)
    now = office.clock.now()

    def work(session: Session) -> int:
        row = Customer(name=name, owner_id=owner_id, tags=[], created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        return row.id

    return await office.run(work)


async def open_deal(office: Office, handle: str, text: str) -> int:
    """Send a /deal add and return the new deal's number."""
    posted = await office.say(handle, text)
    assert "Deal opened" in posted.text, posted.text
    return int(posted.text.split("Deal #", 1)[1].split(":", 1)[0])


async def moves(office: Office, deal_id: int) -> list[tuple[str | None, str]]:
    def work(session: Session) -> list[tuple[str | None, str]]:
        rows = session.execute(
            select(DealStageChange.from_stage, DealStageChange.to_stage)
            .where(DealStageChange.deal_id == deal_id)
            .order_by(DealStageChange.id)
        )
        return [(a, b) for a, b in rows]

    return await office.run(work)


async def deal_row(office: Office, deal_id: int) -> Deal:
    def work(session: Session) -> Deal:
        found = session.get(Deal, deal_id)
        assert found is not None
        session.expunge(found)
        return found

    return await office.run(work)


async def nudges(office: Office, handle: str, deal_id: int) -> int:
    return sum(f"Deal #{deal_id} has been quiet" in c.title for c in office.memory.cards(handle))


async def test_a_sales_day_moves_the_pipeline_and_the_forecast(office: Office) -> None:
    acme = await customer(office, "erin", "Acme Trading")
    # the clock is Monday 30 November 2026, 10:00 in Shanghai
    big = await open_deal(
        office,
        "erin",
        f"/deal add #{acme} Renewal 2027 amount=10,000 close=2026-12-20 next=send the quote",
    )
    small = await open_deal(
        office,
        "erin",
        f"/deal add {acme} Pilot amount=5000.50 close=Jan 15",  # read like /remind
    )
    for stage in ("qualified", "proposal", "negotiation"):
        posted = await office.say("erin", f"/deal move {big} {stage}")
        assert "Deal moved" in posted.text, posted.text
    shown = (await office.say("erin", f"/deal show {big}")).text
    assert "Negotiation (70%)" in shown
    assert "CN¥7,000.00" in shown  # expected revenue: 10,000 × 70%
    assert "send the quote" in shown

    card = (await office.say("erin", "/pipeline")).text
    assert "Lead (10%): 1 · CN¥5,000.50 · weighted CN¥500.05" in card
    assert "Negotiation (70%): 1 · CN¥10,000.00 · weighted CN¥7,000.00" in card
    assert "CN¥7,500.05" in card  # 7,000 + 500.05
    found = await office.run(lambda s: pipeline(s, EVERYONE, STAGES))
    assert found.amount == {"CNY": Decimal("15000.50")}
    assert found.weighted == {"CNY": Decimal("7500.050")}

    def months(session: Session) -> list[tuple[date, dict[str, Decimal], dict[str, Decimal]]]:
        lines = forecast(session, EVERYONE, Grain.MONTH, office.clock.now(), "Asia/Shanghai")
        return [(line.start, line.won, line.weighted) for line in lines]

    assert await office.run(months) == [
        (date(2026, 11, 1), {}, {}),
        (date(2026, 12, 1), {}, {"CNY": Decimal("7000")}),
        (date(2027, 1, 1), {}, {"CNY": Decimal("500.05")}),
    ]
    assert "Dec 2026: won — · weighted CN¥7,000.00" in (await office.say("erin", "/forecast")).text

    won = (await office.say("erin", f"/deal won {big}")).text
    assert "Deal won" in won
    assert await office.run(months) == [
        (date(2026, 11, 1), {"CNY": Decimal("10000")}, {}),  # its full amount, when it was won
        (date(2027, 1, 1), {}, {"CNY": Decimal("500.05")}),
    ]
    quarter = (await office.say("erin", "/forecast quarter")).text
    assert "2026 Q4: won CN¥10,000.00 · weighted — · total CN¥10,000.00" in quarter
    assert "2027 Q1: won — · weighted CN¥500.05 · total CN¥500.05" in quarter
    assert await moves(office, big) == [
        (None, "lead"),
        ("lead", "qualified"),
        ("qualified", "proposal"),
        ("proposal", "negotiation"),
        ("negotiation", "won"),
    ]
    events = await office.run(lambda s: events_named(s, "crm.deal_won"))
    assert [e.payload for e in events] == [
        {"deal": big, "customer": acme, "amount": "10000.00", "currency": "CNY"}
    ]
    assert (
        f"#{small} Pilot · Acme Trading · CN¥5,000.50 · Lead · Jan 15, 2027"
        in (await office.say("erin", "/deals")).text
    )
    assert "Renewal 2027" not in (await office.say("erin", "/deals")).text


async def test_a_missing_amount_is_asked_for_and_the_answer_opens_the_deal(office: Office) -> None:
    acme = await customer(office, "erin", "Acme")
    asked = await office.say("erin", f"/deal add {acme} Pilot close=2026-12-31")
    assert asked.text.startswith("amount?")
    opened = await office.say("erin", "5万")
    assert "Deal opened" in opened.text and "CN¥50,000.00" in opened.text


async def test_bad_moves_are_refused_and_change_nothing(office: Office) -> None:
    acme = await customer(office, "erin", "Acme")
    n = await open_deal(office, "erin", f"/deal add {acme} Renewal amount=100 close=2026-12-31")
    same = await office.say("erin", f"/deal move {n} lead")
    assert f"Deal #{n} is already at lead." in same.text
    unknown = await office.say("erin", f"/deal move {n} maybe")
    assert "stage must be one of lead, qualified, proposal" in unknown.text
    assert 'not "maybe"' in unknown.text
    no_reason = await office.say("erin", f"/deal lost {n}")
    assert "Say why it was lost" in no_reason.text
    assert "has passed" in (await office.say("erin", f"/deal edit {n} close=2026-11-01")).text
    lots = await office.say("erin", f"/deal edit {n} amount=lots")
    assert 'I can\'t read "lots" as amount.' in lots.text
    assert "more than zero" in (await office.say("erin", f"/deal edit {n} amount=-5")).text
    assert "Usage: /deal add CUSTOMER" in (await office.say("erin", "/deal")).text
    assert "Usage: /deal add CUSTOMER" in (await office.say("erin", "/deal frob 1")).text
    assert "Say which deal and where" in (await office.say("erin", f"/deal move {n}")).text
    assert "No deal you can see matches abc." in (await office.say("erin", "/deal show abc")).text
    colour = await office.say("erin", f"/deal edit {n} colour=red")
    assert "There is no field colour here" in colour.text
    missing = await office.say("erin", f"/deal add {acme} Again close=2026-12-31")
    assert missing.text.startswith("amount?")  # asked, not refused; nothing stored yet
    assert (await office.say("erin", "cancel")).text == "Cancelled."
    row = await deal_row(office, n)
    assert (row.stage, row.status, row.version, row.amount) == ("lead", "open", 1, Decimal(100))
    assert await moves(office, n) == [(None, "lead")]

    lost = await office.say("erin", f"/deal lost {n} reason=went with a competitor")
    assert "went with a competitor" in lost.text
    again = await office.say("erin", f"/deal won {n}")
    assert f"Deal #{n} is already lost." in again.text
    moved = await office.say("erin", f"/deal move {n} proposal")
    assert f"Deal #{n} is already lost." in moved.text
    edited = await office.say("erin", f"/deal edit {n} next=call again")
    assert f"Deal #{n} is already lost." in edited.text
    assert await moves(office, n) == [(None, "lead"), ("lead", "lost")]
    assert await office.run(lambda s: events_named(s, "crm.deal_won")) == []


async def test_a_duplicate_win_records_once(office: Office) -> None:
    acme = await customer(office, "erin", "Acme")
    n = await open_deal(office, "erin", f"/deal add {acme} Renewal amount=100 close=2026-12-31")
    await office.say("erin", f"/deal won {n}")
    assert "already won" in (await office.say("erin", f"/deal won {n}")).text
    assert len(await office.run(lambda s: events_named(s, "crm.deal_won"))) == 1
    assert await moves(office, n) == [(None, "lead"), ("lead", "won")]


async def test_concurrent_moves_to_one_stage_record_one_change(office: Office) -> None:
    acme = await customer(office, "erin", "Acme")
    n = await open_deal(office, "erin", f"/deal add {acme} Renewal amount=100 close=2026-12-31")
    await asyncio.gather(
        office.say("erin", f"/deal move {n} qualified"),
        office.say("carol", f"/deal move {n} qualified"),  # erin's manager
    )
    answers = [office.memory.last("erin").text, office.memory.last("carol").text]
    assert sum("Deal moved" in a for a in answers) == 1, answers
    assert await moves(office, n) == [(None, "lead"), ("lead", "qualified")]
    assert (await deal_row(office, n)).version == 2


async def test_deals_outside_the_scope_answer_like_missing_ones(office: Office) -> None:
    east = await customer(office, "erin", "East Co")
    west = await customer(office, "gina", "West Co")
    n = await open_deal(office, "erin", f"/deal add {east} Renewal amount=100 close=2026-12-31")
    await open_deal(office, "gina", f"/deal add {west} Westward amount=300 close=2026-12-31")
    for command in ("show", "won", "move {n} proposal", "lost {n} reason=x", "edit {n} next=x"):
        text = command.format(n=n) if "{n}" in command else f"{command} {n}"
        foreign = (await office.say("gina", f"/deal {text}")).text
        missing = (await office.say("gina", f"/deal {text.replace(str(n), '999')}")).text
        assert foreign == f"There is no deal #{n} that you can see."
        assert missing == "There is no deal #999 that you can see."
    added = await office.say("gina", f"/deal add {east} Poach amount=1 close=2026-12-31")
    assert added.text == f"There is no customer #{east} that you can see."
    assert (await deal_row(office, n)).version == 1
    assert "Renewal" in (await office.say("carol", f"/deal show {n}")).text  # erin's manager
    assert "Renewal" in (await office.say("alice", f"/deal show {n}")).text  # crm.all

    assert "Only administrators" in (await office.say("erin", "/pipeline all")).text
    assert "Only managers" in (await office.say("erin", "/pipeline team")).text
    team = (await office.say("carol", "/pipeline team")).text
    assert "CN¥100.00" in team and "CN¥300.00" not in team
    everyone = (await office.say("alice", "/pipeline all")).text
    assert "CN¥400.00" in everyone
    frank_sees = (await office.say("frank", "/forecast team")).text  # gina's 300 at 10%
    assert "CN¥30.00" in frank_sees and "CN¥10.00" not in frank_sees
    assert "Renewal" not in (await office.say("hank", "/deals")).text  # no CRM at all


async def test_an_idle_deal_nudges_its_owner_once_per_idle_period(office: Office) -> None:
    acme = await customer(office, "erin", "Acme")
    n = await open_deal(office, "erin", f"/deal add {acme} Renewal amount=100 close=2027-03-31")
    await office.advance(timedelta(days=3))  # Thursday
    await office.say("erin", f"/deal move {n} qualified")  # activity: the nudge waits again
    await office.advance(timedelta(days=5))  # 8 days after opening, 5 after the move
    assert await nudges(office, "erin", n) == 0
    await office.advance(timedelta(days=2, minutes=1))  # 7 days after the move
    assert await nudges(office, "erin", n) == 1
    await office.advance(timedelta(days=3))
    assert await nudges(office, "erin", n) == 1
    await office.advance(timedelta(days=4))  # another idle week
    assert await nudges(office, "erin", n) == 2

    activity_at = office.clock.now() + timedelta(days=2)  # a Saturday
    await office.advance(timedelta(days=2))

    def log_a_call(session: Session) -> None:  # what the customers area's log_activity does
        session.execute(update(Deal).where(Deal.id == n).values(last_activity_at=activity_at))

    await office.run(log_a_call)
    await office.advance(timedelta(days=5, minutes=1))  # the timer falls due, sees the call
    assert await nudges(office, "erin", n) == 2
    await office.advance(timedelta(days=2))  # 7 days after the call: a Saturday, so it waits
    assert await nudges(office, "erin", n) == 2
    await office.advance(timedelta(days=2))  # Monday, working hours
    assert await nudges(office, "erin", n) == 3

    await office.say("erin", f"/deal won {n}")
    await office.advance(timedelta(days=30))
    assert await nudges(office, "erin", n) == 3
    pending = (
        select(func.count())
        .select_from(Timer)
        .where(Timer.subject == f"deal:{n}", Timer.kind == IDLE_KIND)
        .where(Timer.status == TimerStatus.PENDING)
    )
    assert await office.count(pending) == 0


async def test_a_chinese_speaking_rep_works_in_chinese(office: Office) -> None:
    shop = await customer(office, "bob", "上海贸易")
    added = await office.say("bob", f"/商机 添加 {shop} 年度续约 金额=8000 成交日期=12月15日")
    assert "商机已创建" in added.text, added.text
    n = int(added.text.split("商机 #", 1)[1].split("：", 1)[0])
    moved = await office.say("bob", f"/商机 推进 {n} 方案")
    assert "阶段: 方案 (50%)" in moved.text, moved.text
    assert "¥4,000.00" in moved.text  # expected revenue
    assert "已经处于" in (await office.say("bob", f"/商机 推进 {n} 方案")).text
    funnel = (await office.say("bob", "/销售漏斗")).text
    assert "方案（50%）：1 · ¥8,000.00 · 加权 ¥4,000.00" in funnel
    assert "2026年12月：已赢单 — · 加权 ¥4,000.00" in (await office.say("bob", "/销售预测")).text
    lost = await office.say("bob", f"/商机 输单 {n} 原因=预算取消")
    assert "预算取消" in lost.text
    assert await moves(office, n) == [(None, "lead"), ("lead", "proposal"), ("proposal", "lost")]
