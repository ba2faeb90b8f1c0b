"""A supplier's rates as a buyer compares them: 100% only when every receipt was on time and
every unit accepted; one rejected unit of 200 reads 99.5%, not a rounded-up 100%."""

from __future__ import annotations

from decimal import Decimal

from commands.erp.purchase_lines import percent
from domain.erp.suppliers import Scorecard


def test_a_rate_is_one_only_when_nothing_was_rejected() -> None:
    assert Scorecard(1, 1, Decimal(199), Decimal(1)).acceptance_rate == Decimal("0.995")
    assert Scorecard(1, 1, Decimal(9999), Decimal(1)).acceptance_rate == Decimal("0.999")
    assert Scorecard(3, 2).on_time_rate == Decimal("0.666")
    assert Scorecard(1, 1, Decimal(5), Decimal(0)).acceptance_rate == Decimal(1)


def test_a_percentage_keeps_its_tenth() -> None:
    assert [percent(Decimal(x)) for x in ("0.995", "0.999", "1", "0.8", "0.666", "0")] == [
        "99.5%",
        "99.9%",
        "100%",
        "80%",
        "66.6%",
        "0%",
    ]
