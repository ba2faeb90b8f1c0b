"""What a quotation promises: for each product, what is available now and the earliest date the
whole quantity can ship (``domain.erp.promising``), and whether that meets the date asked for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.context import CommandContext
from bot.i18n import _
from domain.erp.models import Product
from domain.erp.promising import Way, promise
from domain.erp.sales import LineRequest
from domain.shared.quantity import plain
from domain.shared.recurrence import zone
from domain.worktime.services import work_calendar

WAYS = {
    Way.STOCK: _("from stock"),
    Way.RECEIPT: _("when {source} arrives"),
    Way.MAKE: _("made from components on hand"),
    Way.MAKE_AFTER_BUYING: _("made once its components arrive"),
    Way.BUY: _("bought in"),
}


def ship_dates(ctx: CommandContext, lines: Sequence[LineRequest]) -> list[date]:
    """The earliest date each line's whole quantity can ship."""
    calendar = work_calendar(ctx.session)
    today = ctx.now.astimezone(zone(calendar.timezone)).date()
    return [promise(ctx.session, x.product_id, x.quantity, today, calendar).day for x in lines]


def promise_lines(ctx: CommandContext, lines: Sequence[LineRequest], by: date | None) -> list[str]:
    """One line per product: available now, the earliest ship date and how; and a warning
    when that is later than ``by``."""
    calendar = work_calendar(ctx.session)
    today = ctx.now.astimezone(zone(calendar.timezone)).date()
    said = []
    for line in lines:
        product = ctx.session.get(Product, line.product_id)
        assert product is not None  # read from the catalog
        found = promise(ctx.session, product.id, line.quantity, today, calendar)
        said.append(
            ctx.t(
                _("{sku}: {available} available now; all {qty} can ship on {day}, {how}."),
                sku=product.sku,
                available=plain(found.available),
                qty=plain(line.quantity),
                day=found.day.isoformat(),
                how=ctx.t(WAYS[found.way], source=found.source),
            )
        )
        if by is not None and found.day > by:
            said.append(ctx.t(_("⚠ That is after {by}, the date asked for."), by=by.isoformat()))
    return said
