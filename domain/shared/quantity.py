"""Quantities of goods: exact ``Decimal`` in code, an integer count of thousandths in the database
(SQLite stores NUMERIC as a float, so a fixed scale is kept the way money is)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import BigInteger, Dialect
from sqlalchemy.types import TypeDecorator

QUANTITY_DIGITS = 3  # the finest quantity any unit of measure may hold (grams of a kilogram)
LARGEST = Decimal(10) ** 12  # far beyond any stock, and within a BIGINT at every scale used


def is_exact(value: Decimal, digits: int = QUANTITY_DIGITS) -> bool:
    """Whether ``value`` fits the fixed scale without rounding (and the column: below
    ``LARGEST``, so that a typed 10^20 is refused, not an overflow in the database)."""
    return (
        value.is_finite()
        and abs(value) < LARGEST
        and value == value.quantize(Decimal(1).scaleb(-digits))
    )


class Quantity(TypeDecorator[Decimal]):
    """A ``Decimal`` column stored exactly as a ``BIGINT`` count of ``10**-digits`` units; a value
    finer than the scale is refused, never rounded."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, digits: int = QUANTITY_DIGITS) -> None:
        super().__init__()
        self.digits = digits

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if not isinstance(value, Decimal) or not is_exact(value, self.digits):
            raise ValueError(f"not an exact quantity of scale {self.digits}: {value!r}")
        return int(value.scaleb(self.digits))

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value).scaleb(-self.digits)


def plain(value: Decimal) -> str:
    """A quantity as people write it: ``9.000`` as ``9``, ``2.500`` as ``2.5``."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
