"""Demand forecasts in an import file (``bizbot erp import``, section ``forecasts``, or
``forecasts.csv`` with the columns ``sku,period,quantity``), checked and written through
``forecasts.py``, and written back out (``bizbot erp export``, ``--forecasts`` for the CSV).

A line is matched by product and period: the same quantity changes nothing, another one
replaces it, and 0 removes the forecast. A product is forecast by week or by month, so a file
may switch a product from one to the other only by setting every forecast of the old kind to 0
in the same file (those lines are written first)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from functools import partial

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.directory.orgfile import Problem
from domain.erp.catalog import product_by_sku
from domain.erp.forecasts import exported_forecasts, period_of_row, set_forecast
from domain.erp.models import Product
from domain.erp.mrp_forecasts import Period, period_of
from domain.erp.production_models import Forecast as ForecastRow
from domain.shared.quantity import is_exact, plain

Locate = Callable[[str, int, str, str], Problem]  # section, index, field, message
Where = Callable[[str, str], Problem]  # field, message: the problem at a line's field
PERIOD_HELP = "a month like 2026-12 or an ISO week like 2026-W50"


class ForecastLine(BaseModel):
    """How many of a product are expected to sell in a month or an ISO week."""

    model_config = ConfigDict(extra="forbid")
    sku: str = Field(min_length=1, max_length=64)
    period: str = Field(min_length=1, max_length=16)
    quantity: Decimal

    @property
    def key(self) -> str:
        """Product and period: one line each."""
        found = period_of(self.period)
        return f"{self.sku.strip().upper()} {found.label if found else self.period.strip()}"


def forecast_problems(
    session: Session, lines: Sequence[ForecastLine], known_skus: dict[str, str], locate: Locate
) -> list[Problem]:
    """Every problem of the file's forecasts: a product that exists neither in the file nor in
    Bizbot or is a service, a period that is not one, a quantity below 0 or too fine, and a
    product forecast by weeks and months at once (counting what Bizbot holds and the file does
    not set to 0). ``known_skus`` is the type of each product in the file."""
    kinds = _kinds(session, {line.sku for line in lines}) | known_skus
    problems = []
    for index, line in enumerate(lines):
        problems += _line_problems(line, kinds, partial(locate, "forecasts", index))
    return problems + _mixed_problems(session, lines, locate)


def _line_problems(line: ForecastLine, kinds: dict[str, str], where: Where) -> list[Problem]:
    problems = []
    sku = line.sku.strip().upper()
    kind = kinds.get(sku)
    if kind is None:
        problems.append(where("sku", f"no product {sku} (in the file or in Bizbot)"))
    elif kind == "service":
        problems.append(where("sku", f"{sku} is a service; services are not forecast"))
    if period_of(line.period) is None:
        problems.append(where("period", PERIOD_HELP))
    if line.quantity < 0 or not is_exact(line.quantity):
        problems.append(where("quantity", "from 0, with at most 3 decimals"))
    return problems


def _kinds(session: Session, skus: set[str]) -> dict[str, str]:
    wanted = {sku.strip().upper() for sku in skus}
    return dict(
        session.execute(select(Product.sku, Product.kind).where(Product.sku.in_(wanted))).all()
    )


def _mixed_problems(
    session: Session, lines: Sequence[ForecastLine], locate: Locate
) -> list[Problem]:
    """A product with weeks and months above 0 once the file is written, reported on its first
    line that sets one."""
    wanted: dict[str, dict[Period, Decimal]] = defaultdict(dict)
    first: dict[str, int] = {}
    for index, line in enumerate(lines):
        period = period_of(line.period)
        if period is not None:
            sku = line.sku.strip().upper()
            wanted[sku][period] = line.quantity
            if line.quantity > 0:
                first.setdefault(sku, index)
    held = _held(session, set(wanted))
    problems = []
    for sku, periods in wanted.items():
        after = held.get(sku, {}) | periods
        if sku in first and len({p.kind for p, q in after.items() if q > 0}) > 1:
            message = "forecast by weeks and months at once; set one kind's forecasts to 0"
            problems.append(locate("forecasts", first[sku], "period", message))
    return problems


def _held(session: Session, skus: set[str]) -> dict[str, dict[Period, Decimal]]:
    """The forecasts Bizbot holds of these products, by SKU."""
    held: dict[str, dict[Period, Decimal]] = defaultdict(dict)
    rows = session.execute(
        select(Product.sku, ForecastRow)
        .join(ForecastRow, ForecastRow.product_id == Product.id)
        .where(Product.sku.in_(skus))
    )
    for sku, row in rows:
        held[sku][period_of_row(row)] = row.quantity
    return held


def save_forecasts(
    session: Session, lines: Sequence[ForecastLine], now: datetime, advance: Callable[[], None]
) -> list[str]:
    """Write checked lines (see ``forecast_problems``), those setting 0 first; each line's
    outcome, in the order written."""
    outcomes = []
    for line in sorted(lines, key=lambda line: line.quantity > 0):
        product, period = product_by_sku(session, line.sku), period_of(line.period)
        if product is None or period is None:
            raise LookupError(f"save_forecasts before forecast_problems: {line.sku}")
        outcomes.append(set_forecast(session, product, period, line.quantity, now))
        advance()
    return outcomes


def forecasts_csv(session: Session) -> str:
    """Every forecast as ``forecasts.csv`` (``sku,period,quantity``), which the import reads."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("sku", "period", "quantity"))
    for row in exported_forecasts(session):
        writer.writerow((row["sku"], row["period"], plain(row["quantity"])))
    return out.getvalue()
