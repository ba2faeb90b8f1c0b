"""Demand forecasts kept in the database (``erp_forecasts``): one quantity per product and
period, set from chat (``/forecast``) or an import file, read by MRP (``planning.py``).

A product is forecast by week or by month, not both: a week inside a month forecast for the
same product would count the same demand twice, so a period of the other kind is refused until
the product's forecasts of that kind are removed. Setting a quantity of 0 removes the forecast.
Setting the quantity a forecast already has changes nothing, so a file imported twice or a
message delivered twice writes once."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.erp.models import Product
from domain.erp.mrp_forecasts import Forecast, Period, PeriodKind
from domain.erp.production_models import Forecast as ForecastRow
from domain.shared.errors import DomainError, msgid
from domain.shared.quantity import is_exact

MIXED = {
    PeriodKind.WEEK: msgid("{sku} is forecast by week; set its weeks to 0 before giving a month."),
    PeriodKind.MONTH: msgid(
        "{sku} is forecast by month; set its months to 0 before giving a week."
    ),
}
LONGEST = timedelta(days=31)  # no period is longer


def check_forecast(product: Product, quantity: Decimal) -> None:
    """What a forecast must be: of a stocked product, a quantity from 0 with at most 3
    decimals."""
    if product.kind == "service":
        raise DomainError("{sku} is a service; services are not forecast.", sku=product.sku)
    if quantity < 0 or not is_exact(quantity):
        raise DomainError("A forecast is a quantity from 0, with at most 3 decimals.")


def other_kind(session: Session, product_id: int, kind: PeriodKind) -> PeriodKind | None:
    """The other period kind, if the product already has forecasts of it."""
    other = PeriodKind.MONTH if kind is PeriodKind.WEEK else PeriodKind.WEEK
    found = session.scalar(
        select(ForecastRow.id)
        .where(ForecastRow.product_id == product_id, ForecastRow.period_kind == other.value)
        .limit(1)
    )
    return None if found is None else other


def set_forecast(
    session: Session, product: Product, period: Period, quantity: Decimal, now: datetime
) -> str:
    """Set the product's forecast for the period: ``created``, ``updated``, ``removed`` (a
    quantity of 0) or ``unchanged``."""
    check_forecast(product, quantity)
    mixed = other_kind(session, product.id, period.kind)
    if mixed is not None and quantity > 0:
        raise DomainError(MIXED[mixed], sku=product.sku)
    row = _row(session, product.id, period)
    if row is None:
        if quantity == 0:
            return "unchanged"
        session.add(
            ForecastRow(
                product_id=product.id,
                period_kind=period.kind.value,
                period_start=period.start,
                quantity=quantity,
                updated_at=now,
            )
        )
        session.flush()
        return "created"
    if quantity == 0:
        session.delete(row)
        session.flush()
        return "removed"
    if row.quantity == quantity:
        return "unchanged"
    row.quantity, row.updated_at = quantity, now
    session.flush()
    return "updated"


def _row(session: Session, product_id: int, period: Period) -> ForecastRow | None:
    return session.scalar(
        select(ForecastRow).where(
            ForecastRow.product_id == product_id,
            ForecastRow.period_kind == period.kind.value,
            ForecastRow.period_start == period.start,
        )
    )


def forecasts_of(session: Session, product_id: int, today: date) -> list[Forecast]:
    """The product's forecasts for periods not yet over, soonest first."""
    return _current(session, today, product_id)


def all_forecasts(session: Session, today: date) -> list[Forecast]:
    """Every product's forecasts for periods not yet over (what MRP plans from)."""
    return _current(session, today, None)


def _current(session: Session, today: date, product_id: int | None) -> list[Forecast]:
    query = (
        select(ForecastRow)
        .where(ForecastRow.period_start > today - LONGEST)
        .order_by(ForecastRow.product_id, ForecastRow.period_start, ForecastRow.period_kind)
    )
    if product_id is not None:
        query = query.where(ForecastRow.product_id == product_id)
    found = [
        Forecast(row.product_id, period_of_row(row), row.quantity) for row in session.scalars(query)
    ]
    return [forecast for forecast in found if forecast.period.end > today]


def period_of_row(row: ForecastRow) -> Period:
    """The period a stored forecast is for."""
    return Period(row.period_start, PeriodKind(row.period_kind))


def exported_forecasts(session: Session) -> list[dict[str, Any]]:
    """Every forecast, by SKU and period, as import lines (past periods too: a backup)."""
    rows = session.execute(
        select(Product.sku, ForecastRow)
        .join(ForecastRow, ForecastRow.product_id == Product.id)
        .order_by(Product.sku, ForecastRow.period_kind, ForecastRow.period_start)
    )
    return [
        {"sku": sku, "period": period_of_row(row).label, "quantity": row.quantity}
        for sku, row in rows
    ]
