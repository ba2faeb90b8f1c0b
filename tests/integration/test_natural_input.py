"""People type the way they talk: a table of natural inputs, half Chinese and half English, across
leave, expense, purchase, reminders, meetings, customers, contacts, deals and tickets. Each gives
the expected record, or a question for exactly the missing field; none is answered with a
format lecture, and none is stored as something else.

The clock stands at Monday 2026-11-30 10:00 in Shanghai (the office rig's START). bob reads
Chinese, erin English; both sell for Sales East, so each sees the customers of the other.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.replies import Card
from domain.approvals.models import ApprovalRequest
from domain.calendar.models import Attendee, CalendarEvent
from domain.crm.models import Contact, Customer, Deal, Ticket
from domain.directory.models import Member
from domain.timers.models import Timer
from tests.integration.approvals_rig import Office
from tests.integration.crm_rig import running_shop

SH = ZoneInfo("Asia/Shanghai")


def local(moment: datetime) -> str:
    return f"{moment.astimezone(SH):%Y-%m-%d %H:%M}"


def request(s: Session) -> dict[str, Any]:
    row = s.scalars(select(ApprovalRequest).order_by(ApprovalRequest.id.desc())).first()
    return {"id": row.id, "template": row.template_key, **row.fields} if row else {}


def reminder(s: Session) -> dict[str, Any]:
    row = s.scalars(select(Timer).where(Timer.kind == "reminder").order_by(Timer.id.desc())).first()
    if row is None:
        return {}
    text, due = row.payload.get("text"), local(row.due_at)
    return {"id": row.id, "text": text, "due": due, "repeat": row.recurrence}


def meeting(s: Session) -> dict[str, Any]:
    row = s.scalars(select(CalendarEvent).order_by(CalendarEvent.id.desc())).first()
    if row is None:
        return {}
    handles = s.scalars(
        select(Member.handle)
        .join(Attendee, Attendee.member_id == Member.id)
        .where(Attendee.event_id == row.id)
    )
    return {
        "id": row.id,
        "title": row.title,
        "starts": local(row.starts_at),
        "minutes": int((row.ends_at - row.starts_at).total_seconds() // 60),
        "with": sorted(handles),
        "place": row.place,
    }


def customer(s: Session) -> dict[str, Any]:
    row = s.scalars(select(Customer).order_by(Customer.id.desc())).first()
    return {k: getattr(row, k) for k in ("id", "name", "industry", "tier", "phone")} if row else {}


def contact(s: Session) -> dict[str, Any]:
    row = s.scalars(select(Contact).order_by(Contact.id.desc())).first()
    if row is None:
        return {}
    return {
        "id": row.id,
        "customer": row.customer_id,
        "name": row.name,
        "title": row.title,
        "phones": row.phones,
    }


def deal(s: Session) -> dict[str, Any]:
    row = s.scalars(select(Deal).order_by(Deal.id.desc())).first()
    if row is None:
        return {}
    close = row.expected_close.isoformat() if row.expected_close else None
    return {
        "id": row.id,
        "customer": row.customer_id,
        "name": row.name,
        "amount": str(row.amount),
        "close": close,
    }


def ticket(s: Session) -> dict[str, Any]:
    row = s.scalars(select(Ticket).order_by(Ticket.id.desc())).first()
    if row is None:
        return {}
    return {
        "id": row.id,
        "customer": row.customer_id,
        "subject": row.subject,
        "priority": row.priority,
    }


Probe = Callable[[Session], dict[str, Any]]
RANGE = {"from": "2026-12-01", "to": "2026-12-02"}


@dataclass(frozen=True)
class Case:
    who: str
    text: str
    probe: Probe
    expect: dict[str, Any] | None = None  # the newest record has these values
    asks: str = ""  # or: a question card whose title names this field, and nothing stored


# Customers #1 明远 (杭州明远科技, bob's) and #2 Acme Trading (erin's) exist, with contact #1
# (王芳 at 明远); leave, expense and purchase are the bundled approval forms.
CASES = [
    # leave
    Case("bob", "/请假 年假 明天到后天 回老家", request,
         {"template": "leave", "type": "annual", "dates": RANGE, "reason": "回老家"}),
    Case("bob", "/请假 病假 明天 感冒", request,
         {"type": "sick", "dates": {"from": "2026-12-01", "to": "2026-12-01"}, "reason": "感冒"}),
    Case("bob", "/请假 事假明天到后天家里有事", request, {"type": "personal", "dates": RANGE}),
    Case("bob", "/请假 假期类型=年假 日期=12月7日到9日 事由=旅行", request,
         {"dates": {"from": "2026-12-07", "to": "2026-12-09"}, "reason": "旅行"}),
    Case("bob", "/请假 下周一至周三 陪孩子", request, None, asks="假期类型"),
    Case("bob", "/请假 年假 回老家", request, None, asks="日期"),
    Case("bob", "/请假 年假 2月30日 回家", request, None, asks="日期"),
    Case("erin", "/leave annual Dec 21-23 family visit", request,
         {"type": "annual", "dates": {"from": "2026-12-21", "to": "2026-12-23"},
          "reason": "family visit"}),
    Case("erin", "/leave sick tomorrow flu", request,
         {"type": "sick", "dates": {"from": "2026-12-01", "to": "2026-12-01"}, "reason": "flu"}),
    Case("erin", "/leave annual next Monday to Wednesday wedding", request,
         {"dates": {"from": "2026-12-07", "to": "2026-12-09"}, "reason": "wedding"}),
    Case("erin", "/leave type=personal dates=2026-12-10 reason=moving house", request,
         {"type": "personal", "reason": "moving house"}),
    Case("erin", "/leave tomorrow dentist", request, None, asks="Leave type"),
    Case("erin", "/leave annual Feb 30 beach", request, None, asks="Dates"),
    # expense
    Case("bob", "/报销 320 餐饮 客户午饭", request,
         {"template": "expense", "lines": [{"amount": "320.00", "category": "meals"}],
          "reason": "客户午饭"}),
    Case("bob", "/报销 ¥88.5 交通 打车", request,
         {"lines": [{"amount": "88.50", "category": "transport"}], "reason": "打车"}),
    Case("bob", "/报销 320 打车费", request, None, asks="类别"),
    Case("bob", "/报销 1.2万 差旅 上海展会", request,
         {"lines": [{"amount": "12000.00", "category": "travel"}]}),
    Case("erin", "/expense 320 meals client lunch", request,
         {"lines": [{"amount": "320.00", "category": "meals"}], "reason": "client lunch"}),
    Case("erin", "/expense 80k travel Shanghai fair", request,
         {"lines": [{"amount": "80000.00", "category": "travel"}], "reason": "Shanghai fair"}),
    Case("erin", "/expense amount=300 category=office reason=printer paper", request,
         {"lines": [{"amount": "300.00", "category": "office"}], "reason": "printer paper"}),
    Case("erin", "/expense 320 taxi home", request, None, asks="Category"),
    # purchase
    Case("bob", "/采购 5台笔记本 约4万 新员工", request,
         {"template": "purchase", "item": "笔记本", "quantity": "5", "amount": "40000.00",
          "reason": "新员工"}),
    Case("bob", "/采购 笔记本 5台 4万", request, None, asks="用途"),
    Case("bob", "/采购 A4纸 十箱 两千元 办公用", request,
         {"item": "A4纸", "quantity": "10", "amount": "2000.00"}),
    Case("erin", "/purchase 5 laptops about 40k new hires", request,
         {"item": "laptops", "quantity": "5", "amount": "40000.00", "reason": "new hires"}),
    Case("erin", "/purchase 3 monitors ¥4,500 design team", request,
         {"item": "monitors", "quantity": "3", "amount": "4500.00"}),
    Case("erin", "/purchase chairs 12 units", request, None, asks="Estimated total"),
    # reminders
    Case("bob", "/提醒 我 明天下午两点半 交报告", reminder,
         {"text": "交报告", "due": "2026-12-01 14:30"}),
    Case("bob", "提醒我后天下午两点半交报告", reminder,
         {"text": "交报告", "due": "2026-12-02 14:30"}),
    Case("bob", "/提醒 我 明早 给张总回电话", reminder,
         {"text": "给张总回电话", "due": "2026-12-01 09:00"}),
    Case("bob", "/提醒 我 周五中午 订午餐", reminder, {"due": "2026-12-04 12:00"}),
    Case("bob", "/提醒 我 下月底 交月报", reminder, {"due": "2026-12-31 09:00", "text": "交月报"}),
    Case("bob", "/提醒 我 每月1号 交房租", reminder,
         {"text": "交房租", "repeat": "DTSTART;TZID=Asia/Shanghai:20261201T090000\n"
          "RRULE:FREQ=MONTHLY;BYMONTHDAY=1"}),
    Case("erin", "/remind me tomorrow 9am call Bob", reminder,
         {"text": "call Bob", "due": "2026-12-01 09:00"}),
    Case("erin", "/remind me on the 1st of every month pay rent", reminder,
         {"text": "pay rent", "repeat": "DTSTART;TZID=Asia/Shanghai:20261201T090000\n"
          "RRULE:FREQ=MONTHLY;BYMONTHDAY=1"}),
    Case("erin", "/remind me tonight water the plants", reminder,
         {"text": "water the plants", "due": "2026-11-30 20:00"}),
    Case("erin", "/remind me friday afternoon send the report", reminder,
         {"due": "2026-12-04 15:00"}),
    Case("erin", "/remind me in 2 hours stretch", reminder, {"due": "2026-11-30 12:00"}),
    # meetings
    Case("bob", "/会议 预算评审 明天下午3点 持续1小时 和 @erin 在 3号会议室", meeting,
         {"title": "预算评审", "starts": "2026-12-01 15:00", "minutes": 60, "with": ["erin"],
          "place": "3号会议室"}),
    Case("bob", "/会议 周会 周五上午10点 和 @erin @carol", meeting,
         {"title": "周会", "starts": "2026-12-04 10:00", "with": ["carol", "erin"]}),
    Case("bob", "/会议 复盘 明天下午4点 和 Erin", meeting,
         {"title": "复盘", "with": ["erin"]}),
    Case("erin", "/meeting Budget review tomorrow 3pm for 1h with @carol at Room 5", meeting,
         {"title": "Budget review", "starts": "2026-12-01 15:00", "with": ["carol"],
          "place": "Room 5"}),
    Case("erin", "/meeting Sync friday 10am with Carol", meeting,
         {"title": "Sync", "starts": "2026-12-04 10:00", "with": ["carol"]}),
    Case("erin", "/meeting Planning tomorrow 2pm for 90m with @bob and Carol", meeting,
         {"title": "Planning", "minutes": 90, "with": ["bob", "carol"]}),
    # customers
    Case("bob", "/客户 新增 深圳华强电子 行业=制造业 等级=A 电话=0755-8888-0000", customer,
         {"name": "深圳华强电子", "industry": "制造业", "tier": "A", "phone": "0755-8888-0000"}),
    Case("bob", "/客户 新增 北京飞腾 行业=软件 信息服务", customer,
         {"name": "北京飞腾", "industry": "软件 信息服务"}),
    Case("erin", "/customer add Globex Corp industry=retail tier=B", customer,
         {"name": "Globex Corp", "industry": "retail", "tier": "B"}),
    Case("erin", "/customer add Initech industry=software services phone=021-5555-0000", customer,
         {"name": "Initech", "industry": "software services", "phone": "021-5555-0000"}),
    # contacts
    Case("bob", "/联系人 新增 明远 李娜 职位=采购经理 电话=138-0000-1111", contact,
         {"customer": 1, "name": "李娜", "title": "采购经理", "phones": ["138-0000-1111"]}),
    Case("erin", "/contact add Acme Li Na title=Purchasing Manager", contact,
         {"customer": 2, "name": "Li Na", "title": "Purchasing Manager"}),
    Case("erin", "/contact add 2 Tom Smith title=CTO phone=139-0000-2222", contact,
         {"customer": 2, "name": "Tom Smith", "title": "CTO", "phones": ["139-0000-2222"]}),
    # deals
    Case("bob", "/商机 新增 明远 ERP项目 金额=12万 预计成交=月底", deal,
         {"customer": 1, "name": "ERP项目", "amount": "120000.00", "close": "2026-11-30"}),
    Case("bob", "/商机 新增 杭州明远 二期 3万5 12月20日", deal,
         {"customer": 1, "name": "二期", "amount": "35000.00", "close": "2026-12-20"}),
    Case("bob", "/商机 新增 明远 三期 金额=两千", deal, None, asks="成交日期"),
    Case("erin", "/deal add Acme Renewal 10000 Dec 31", deal,
         {"customer": 2, "name": "Renewal", "amount": "10000.00", "close": "2026-12-31"}),
    Case("erin", "/deal add Acme Expansion amount=80k close=end of the month", deal,
         {"name": "Expansion", "amount": "80000.00", "close": "2026-11-30"}),
    Case("erin", "/deal add Acme Pilot close=2026-12-15", deal, None, asks="amount"),
    # tickets
    Case("bob", "/工单 明远 打印机卡纸", ticket, {"customer": 1, "subject": "打印机卡纸"}),
    Case("bob", "/工单 新建 明远 3台设备损坏 优先级=紧急", ticket,
         {"customer": 1, "subject": "3台设备损坏", "priority": "urgent"}),
    Case("erin", "/ticket Acme 3 units damaged", ticket,
         {"customer": 2, "subject": "3 units damaged", "priority": "normal"}),
    Case("erin", "/ticket new Acme Trading invoice missing priority=high", ticket,
         {"customer": 2, "subject": "invoice missing", "priority": "high"}),
]  # fmt: skip


@pytest.fixture
async def shop(sqlite_settings: Settings) -> AsyncIterator[Office]:
    """SQLite only: this is about reading what people type; the database plays no part."""
    async with running_shop(sqlite_settings) as office:
        await office.say("bob", "/客户 新增 杭州明远科技 行业=制造业")
        await office.say("erin", "/customer add Acme Trading industry=retail")
        await office.say("bob", "/联系人 新增 1 王芳 职位=经理")
        yield office


def test_the_table_is_half_chinese_and_half_english() -> None:
    chinese = sum(1 for c in CASES if c.who == "bob")
    assert len(CASES) >= 60
    assert abs(chinese - (len(CASES) - chinese)) <= 4


async def test_natural_inputs_give_the_record_or_ask_for_what_is_missing(shop: Office) -> None:
    problems: list[tuple[str, object, str]] = []
    for case in CASES:
        before = await shop.run(case.probe)
        posted = await shop.say(case.who, case.text)
        after = await shop.run(case.probe)
        message = posted.message
        if case.asks:
            asked = isinstance(message, Card) and case.asks in message.title
            if not asked or after != before:
                problems.append((case.text, "should ask for " + case.asks, posted.text[:160]))
            await shop.say(case.who, "cancel")
            continue
        assert case.expect is not None
        got = {k: after.get(k) for k in case.expect}
        if after.get("id") == before.get("id") or got != case.expect:
            problems.append((case.text, got, posted.text[:160]))
    assert problems == [], "\n".join(map(repr, problems))
    format_lectures = ("字段=值", "name=value", "Give fields as")
    said = [p.text for who in ("bob", "erin") for p in shop.posted(who)]
    assert not [t for t in said if any(f in t for f in format_lectures)]
