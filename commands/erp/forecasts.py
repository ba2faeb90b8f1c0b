"""/demand (/预测, /需求预测): a product's demand forecasts, which MRP plans from. (The English
``/forecast`` is the CRM's revenue forecast, ``commands/crm/report.py``.)

``/demand PUMP-100`` shows the forecasts of periods not yet over; ``/demand PUMP-100 2026-12 50``
(``/预测 PUMP-100 2026年12月 50台``, ``/demand pump-100 week 51 8``) sets one, and 0 removes
it. A period is a month or an ISO week, typed the way people write it (``2026-12``,
``2026-W50``, ``2026年12月``, ``12月``, ``第50周``, ``Dec 2026``, ``week 50``); the product
and quantity go through the kernel's reader. Planners (``erp.produce``) set forecasts; anyone
reads them. Setting the quantity a forecast already has changes nothing, so a redelivered
message writes once."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

import structlog
from pydantic import BaseModel, Field

from bot.context import CommandContext
from bot.i18n import _
from bot.reader import Field as ReaderField
from bot.reader import Kind
from bot.replies import Card, CardStatus, Message
from bot.router import CommandSpec, Router
from commands.crm.lines import ask_for
from commands.erp.cards import product_name
from commands.erp.lines import in_stock_units, known_records, product_of, read_required
from domain.directory.roles import Permission
from domain.erp.catalog import product_by_sku
from domain.erp.forecasts import forecasts_of, set_forecast
from domain.erp.models import Product
from domain.erp.mrp_forecasts import Period, PeriodKind, read_period
from domain.shared.errors import DomainError, Forbidden
from domain.shared.quantity import plain
from domain.shared.recurrence import zone
from domain.worktime.services import work_calendar

log = structlog.get_logger(__name__)
NAMES: dict[str, tuple[str, ...]] = {
    "product": ("产品", "物料"),
    "period": ("期间", "月份", "周次"),
    "qty": ("数量", "quantity"),
}
PERIOD_KEY = re.compile(r"(?:period|期间|月份|周次)\s*[=:：]\s*", re.IGNORECASE)
LONGEST_PERIOD = 3  # words: ``week 50 2026``
OUTCOMES = {
    "created": _("Forecast for {period} set to {qty}."),
    "updated": _("Forecast for {period} changed to {qty}."),
    "removed": _("Forecast for {period} removed."),
    "unchanged": _("Nothing changed."),
}


def _field(key: str, kind: Kind = Kind.TEXT) -> ReaderField:
    return ReaderField(key, kind, NAMES[key], (), positional=True)


FIELDS = (_field("product", Kind.RECORD), _field("qty", Kind.NUMBER))
PERIOD_FIELD = _field("period")


class ForecastArgs(BaseModel):
    """What follows the command word goes to the reader."""

    rest: str = Field(default="", description=_("details"), json_schema_extra={"rest": True})


def forecast(ctx: CommandContext, _args: ForecastArgs) -> Message:
    """/demand SKU: the product's forecasts; /demand SKU PERIOD QTY: set one."""
    period, rest = period_in(ctx, PERIOD_KEY.sub("", ctx.typed))
    values = read_required(ctx, FIELDS, rest, ("product",), known_records(ctx))
    product = product_of(ctx, values["product"])
    if period is None and "qty" not in values:
        return forecast_card(ctx, product)
    if not ctx.may(Permission.PRODUCE):
        log.warning("refused.permission", member=ctx.actor.handle, command="demand")
        raise Forbidden("Only planners set forecasts.")
    if period is None:
        raise ask_for(ctx, PERIOD_FIELD)
    if "qty" not in values:
        raise ask_for(ctx, FIELDS[1])
    quantity = in_stock_units(product, rest, _quantity(values["qty"]))
    outcome = set_forecast(ctx.session, product, period, quantity, ctx.now)
    said = ctx.t(OUTCOMES[outcome], period=period_label(ctx, period), qty=plain(quantity))
    return forecast_card(ctx, product, said)


def period_in(ctx: CommandContext, text: str) -> tuple[Period | None, str]:
    """The first period typed in ``text`` (the longest phrase first, a product's SKU never),
    and the text without it."""
    words = text.split()
    today = _today(ctx)
    for size in range(LONGEST_PERIOD, 0, -1):
        for start in range(len(words) - size + 1):
            phrase = " ".join(words[start : start + size])
            if size == 1 and product_by_sku(ctx.session, phrase) is not None:
                continue
            found = read_period(phrase, today)
            if found is not None:
                return found, " ".join(words[:start] + words[start + size :])
    return None, text


def _quantity(text: str) -> Decimal:
    """A forecast's quantity as the reader gave it: 0 (no forecast) or more."""
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise DomainError("{text} is not a quantity.", text=text) from exc
    if value < 0:
        raise DomainError("A forecast is a quantity from 0, with at most 3 decimals.")
    return value


def forecast_card(ctx: CommandContext, product: Product, headline: str = "") -> Card:
    """The product's forecasts for periods not yet over, soonest first."""
    found = forecasts_of(ctx.session, product.id, _today(ctx))
    lines = [f"{period_label(ctx, f.period)}: {plain(f.quantity)}" for f in found]
    if not found:
        lines.append(ctx.t(_("No forecasts.")))
    return Card(
        title=ctx.t(
            _("Forecasts of {sku} {name}"), sku=product.sku, name=product_name(ctx, product)
        ),
        body="\n".join(x for x in (headline, *lines) if x),
        status=CardStatus.SUCCESS if headline else CardStatus.INFO,
    )


def period_label(ctx: CommandContext, period: Period) -> str:
    """``2026-12`` or ``2026-W50``; ``2026年12月`` or ``2026年第50周`` in Chinese."""
    if period.kind is PeriodKind.MONTH:
        return ctx.t(_("{year}-{month}"), year=period.start.year, month=f"{period.start.month:02d}")
    year, week, _day = period.start.isocalendar()
    return ctx.t(_("{year}-W{week}"), year=year, week=f"{week:02d}")


def _today(ctx: CommandContext) -> date:
    calendar = work_calendar(ctx.session)
    return ctx.now.astimezone(zone(calendar.timezone)).date()


def register(router: Router) -> None:
    """Register /demand (/预测)."""
    router.add(
        CommandSpec(
            name="demand",
            summary=_("Demand forecasts per product and month or week, for MRP"),
            handler=forecast,
            args=ForecastArgs,
            aliases=("预测", "需求预测"),
            examples=(_("/demand PUMP-100"), _("/demand PUMP-100 2026-12 50")),
        )
    )
