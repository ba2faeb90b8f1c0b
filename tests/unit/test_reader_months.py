"""Months and ranges of months as people name an accounting period, in both languages, read at
10:00 on 2026-12-07 in Shanghai (and at 01:00 on 2027-01-01 there, still 2026 in UTC); and what
is not a month."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.reader import Field, Kind, Where, read
from bot.reader.months import read_months

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
TZ = "Asia/Shanghai"


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026-11", (2026, 11), (2026, 11)),
        ("2026/3", (2026, 3), (2026, 3)),
        ("2026年11月", (2026, 11), (2026, 11)),
        ("11月", (2026, 11), (2026, 11)),
        ("3月份", (2026, 3), (2026, 3)),
        ("Nov 2026", (2026, 11), (2026, 11)),
        ("november", (2026, 11), (2026, 11)),
        ("本月", (2026, 12), (2026, 12)),
        ("this month", (2026, 12), (2026, 12)),
        ("上个月", (2026, 11), (2026, 11)),
        ("last month", (2026, 11), (2026, 11)),
        ("今年", (2026, 1), (2026, 12)),
        ("去年", (2025, 1), (2025, 12)),
        ("2025年", (2025, 1), (2025, 12)),
        ("2026-01..2026-03", (2026, 1), (2026, 3)),
        ("2026-01 to 2026-03", (2026, 1), (2026, 3)),
        ("2026年1月到3月", (2026, 1), (2026, 3)),
        ("2025年11月至2026年2月", (2025, 11), (2026, 2)),
        ("Jan 2026 to Mar 2026", (2026, 1), (2026, 3)),
    ],
)
def test_months(text: str, first: tuple[int, int], last: tuple[int, int]) -> None:
    assert read_months(text, TZ, NOW) == (first, last)


@pytest.mark.parametrize(
    "text", ["2026-13", "13月", "2026-03..2026-01", "sales", "明天", "2026", "ma", "2026-11-05"]
)
def test_not_months(text: str) -> None:
    assert read_months(text, TZ, NOW) is None


def test_this_month_is_the_readers() -> None:
    new_year = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # 01:00 on 1 January in Shanghai
    assert read_months("本月", TZ, new_year) == ((2027, 1), (2027, 1))
    assert read_months("本月", "UTC", new_year) == ((2026, 12), (2026, 12))


def test_the_reader_places_a_period_among_other_words() -> None:
    fields = [Field("period", Kind.MONTHS, ("期间",)), Field("rest", Kind.TEXT)]
    where = Where(TZ, NOW)
    assert read(fields, "2026年11月 销售部", where).values == {
        "period": "2026-11",
        "rest": "销售部",
    }
    assert read(fields, "sales 2026-01..2026-03", where).values == {
        "period": "2026-01..2026-03",
        "rest": "sales",
    }
    assert read(fields, "期间=上月", where).values == {"period": "2026-11"}
