"""Due dates from a party's payment terms, and the ageing buckets' edges."""

from __future__ import annotations

from datetime import date

from domain.finance.open_items import bucket_of, due_date

DAY = date(2026, 12, 7)


def test_the_first_number_in_the_terms_is_the_days_else_30() -> None:
    assert due_date(DAY, "月结60天") == date(2027, 2, 5)
    assert due_date(DAY, "Net 45") == date(2027, 1, 21)
    assert (
        due_date(DAY, "30 days") == due_date(DAY, "") == due_date(DAY, "cash") == date(2027, 1, 6)
    )


def test_bucket_edges() -> None:
    edges = {-5: "current", 0: "current", 1: "1-30", 30: "1-30", 31: "31-60", 60: "31-60",
             61: "61-90", 90: "61-90", 91: "90+"}  # fmt: skip
    assert {days: bucket_of(days) for days in edges} == edges
