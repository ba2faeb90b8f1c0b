"""Money: ``Decimal`` in code, integer minor units (fen, cents) in the database."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import BigInteger, Dialect
from sqlalchemy.types import TypeDecorator

MINOR_UNIT_DIGITS = {"JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3}
DEFAULT_DIGITS = 2


def minor_digits(currency: str) -> int:
    """How many decimal places a currency's minor unit has (CNY 2, JPY 0)."""
    return MINOR_UNIT_DIGITS.get(currency.upper(), DEFAULT_DIGITS)


def quantize(amount: Decimal, digits: int = DEFAULT_DIGITS) -> Decimal:
    """Round half up to the currency's minor unit, the Chinese accounting convention."""
    return amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def parse_amount(text: str, digits: int = DEFAULT_DIGITS) -> Decimal:
    """Parse a typed amount such as ``1,234.5`` or ``¥88``; ``ValueError`` if it is none."""
    cleaned = text.strip().replace(",", "").replace("，", "").lstrip("¥$€￥")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    return quantize(value, digits)


class Money(TypeDecorator[Decimal]):
    """A ``Decimal`` column stored exactly as a ``BIGINT`` count of minor units."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, digits: int = DEFAULT_DIGITS) -> None:
        super().__init__()
        self.digits = digits

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money must be a Decimal, not {type(value).__name__}")
        return int(quantize(value, self.digits).scaleb(self.digits))

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value).scaleb(-self.digits)
