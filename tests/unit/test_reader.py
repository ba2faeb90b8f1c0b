"""The kernel's argument reader: amounts, days and ranges, and lines typed the way people talk."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.reader import Choice, Field, Kind, Where, read
from bot.reader.amounts import read_amount, read_count
from bot.reader.days import read_day, read_days

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
TZ = "Asia/Shanghai"
WHERE = Where(TZ, NOW)


@pytest.mark.parametrize(
    ("typed", "value", "money"),
    [
        ("320", "320", False),
        ("¥3,000", "3000", True),
        ("80k", "80000", True),
        ("1.2m", "1200000", True),
        ("12万", "120000", True),
        ("3千5", "3500", True),
        ("一万二", "12000", True),
        ("约4万", "40000", True),
        ("320块", "320", True),
        ("两千元", "2000", True),
        ("1,234.50", "1234.50", False),
        ("三百二十", "320", False),
        ("一千零五", "1005", False),
        ("4万5", "45000", True),
        ("一亿两千万", "120000000", True),
        ("-5", "-5", False),  # read; the command says why it cannot be below zero
    ],
)
def test_amounts_in_both_languages(typed: str, value: str, money: bool) -> None:
    found = read_amount(typed)
    assert found is not None, typed
    assert (found.value, found.money) == (Decimal(value), money)


@pytest.mark.parametrize("typed", ["abc", "万一", "三星", "1e5", "nan", "3 units", "5 5", "--5"])
def test_what_is_not_an_amount_is_none(typed: str) -> None:
    assert read_amount(typed) is None


def test_counts_of_things() -> None:
    assert read_count("5台笔记本") == (Decimal(5), "笔记本")
    assert read_count("十箱A4纸") == (Decimal(10), "A4纸")
    assert read_count("两个") == (Decimal(2), "")
    assert read_count("笔记本") is None


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("明天", date(2026, 12, 8)),
        ("今天", date(2026, 12, 7)),  # a day, not a moment: today is today all day
        ("周五", date(2026, 12, 11)),
        ("下周一", date(2026, 12, 14)),
        ("下下周一", date(2026, 12, 21)),
        ("Dec 21", date(2026, 12, 21)),
        ("2026-12-09", date(2026, 12, 9)),
        ("12/9", date(2026, 12, 9)),
        ("next monday", date(2026, 12, 14)),
        ("the 20th", date(2026, 12, 20)),
        ("15号", date(2026, 12, 15)),
        ("3天后", date(2026, 12, 10)),
        ("in 3 days", date(2026, 12, 10)),
    ],
)
def test_days(typed: str, day: date) -> None:
    assert read_day(typed, TZ, NOW) == day


@pytest.mark.parametrize("typed", ["Feb 30", "2月30日", "2026-02-30", "in 2 hours", "every day"])
def test_what_is_not_a_day_is_none(typed: str) -> None:
    assert read_day(typed, TZ, NOW) is None


@pytest.mark.parametrize(
    ("typed", "first", "last"),
    [
        ("明天到后天", date(2026, 12, 8), date(2026, 12, 9)),
        ("下周一至周三", date(2026, 12, 14), date(2026, 12, 16)),
        ("Dec 21-23", date(2026, 12, 21), date(2026, 12, 23)),
        ("next Monday to Wednesday", date(2026, 12, 14), date(2026, 12, 16)),
        ("2026-12-01..2026-12-03", date(2026, 12, 1), date(2026, 12, 3)),
        ("12月21日到23日", date(2026, 12, 21), date(2026, 12, 23)),
        ("Dec 30-2", date(2026, 12, 30), date(2027, 1, 2)),
        ("tomorrow", date(2026, 12, 8), date(2026, 12, 8)),
    ],
)
def test_ranges_of_days(typed: str, first: date, last: date) -> None:
    assert read_days(typed, TZ, NOW) == (first, last)


LEAVE = [
    Field(
        "type",
        Kind.CHOICE,
        ("假期类型", "类型", "leave type"),
        (Choice("annual", ("年假", "Annual leave")), Choice("sick", ("病假", "Sick leave"))),
    ),
    Field("dates", Kind.DAYS, ("日期",)),
    Field("reason", Kind.TEXT, ("事由",)),
    Field("deputy", Kind.MEMBER, ("工作代理人",)),
]
PURCHASE = [
    Field("item", Kind.TEXT, ("物品",)),
    Field("quantity", Kind.NUMBER, ("数量",)),
    Field("amount", Kind.MONEY, ("预计金额", "estimated total")),
    Field("reason", Kind.TEXT, ("用途",)),
]
CONTACT = [
    Field("customer", Kind.RECORD, ("客户",)),
    Field("name", Kind.TEXT, ("姓名",)),
    Field("title", Kind.TEXT, ("职位",), positional=False),
    Field("phone", Kind.TEXT, ("电话",), positional=False),
]
RANGE = "2026-12-08..2026-12-09"


@pytest.mark.parametrize(
    ("fields", "typed", "values"),
    [
        (LEAVE, "年假 明天到后天 回老家", {"type": "annual", "dates": RANGE, "reason": "回老家"}),
        (LEAVE, "年假明天到后天回老家", {"type": "annual", "dates": RANGE, "reason": "回老家"}),
        (
            LEAVE,
            "annual Dec 21-23 family visit",
            {"type": "annual", "dates": "2026-12-21..2026-12-23", "reason": "family visit"},
        ),
        (
            LEAVE,
            "假期类型=年假 日期=明天到后天 事由=回老家 看父母",
            {"type": "annual", "dates": RANGE, "reason": "回老家 看父母"},
        ),
        (
            LEAVE,
            "leave type: sick tomorrow flu @bob",
            {"type": "sick", "dates": "2026-12-08..2026-12-08", "reason": "flu", "deputy": "@bob"},
        ),
        (PURCHASE, "5台笔记本 约4万", {"quantity": "5", "amount": "40000", "item": "笔记本"}),
        (PURCHASE, "5 laptops about 40k", {"quantity": "5", "amount": "40000", "item": "laptops"}),
        (
            PURCHASE,
            "笔记本 5台 4万 新员工",
            {"item": "笔记本", "quantity": "5", "amount": "40000", "reason": "新员工"},
        ),
        (PURCHASE, "estimated total=5000 item=A4 paper", {"amount": "5000", "item": "A4 paper"}),
        (
            CONTACT,
            "1 Li Na title=Purchasing Manager phone=138 0000",
            {"customer": "1", "name": "Li Na", "title": "Purchasing Manager", "phone": "138 0000"},
        ),
        (
            CONTACT,
            "客户=12 姓名=王芳 职位=采购经理",
            {"customer": "12", "name": "王芳", "title": "采购经理"},
        ),
    ],
)
def test_lines_typed_the_way_people_talk(
    fields: list[Field], typed: str, values: dict[str, str]
) -> None:
    reading = read(fields, typed, WHERE)
    assert reading.values == values
    assert reading.clean, reading


def test_an_impossible_day_is_reported_not_moved_or_kept_as_text() -> None:
    for typed in ("年假 2月30日 回家", "annual Feb 30 home", "年假 2026-02-30 x"):
        reading = read(LEAVE, typed, WHERE)
        assert "dates" not in reading.values, typed
        assert reading.unreadable["dates"] in ("2月30日", "Feb 30", "2026-02-30")


def test_an_unknown_key_is_reported_and_a_keyed_value_that_does_not_read_too() -> None:
    reading = read(LEAVE, "color=red 年假 dates=sometime", WHERE)
    assert reading.unknown_keys == ["color"]
    assert reading.unreadable == {"dates": "sometime"}
    assert reading.values == {"type": "annual"}


def test_words_no_field_can_take_are_reported() -> None:
    fields = [Field("amount", Kind.MONEY), Field("category", Kind.CHOICE, (), (Choice("meals"),))]
    reading = read(fields, "300 meals and more", WHERE)
    assert reading.values == {"amount": "300", "category": "meals"}
    assert reading.unplaced == ["and", "more"]


def test_records_are_named_by_the_longest_known_name_or_the_first_word() -> None:
    def known(_field: Field, text: str) -> bool:
        return text in ("Acme Trading", "明远")

    where = Where(TZ, NOW, known)
    ticket = [Field("customer", Kind.RECORD), Field("subject", Kind.TEXT)]
    assert read(ticket, "Acme Trading printer broken", where).values == {
        "customer": "Acme Trading",
        "subject": "printer broken",
    }
    assert read(ticket, "明远 3 units damaged", where).values == {
        "customer": "明远",
        "subject": "3 units damaged",
    }
    assert read(ticket, "Zeta broken", where).values == {"customer": "Zeta", "subject": "broken"}
