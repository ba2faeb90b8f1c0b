"""How /campaign and /lead show amounts and rates (their lines are read by ``lines``)."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_percent

from bot.i18n import normalise_locale


def percent(value: Decimal | None, locale: str) -> str:
    """``12.5%``, or ``—`` when undefined."""
    if value is None:
        return "—"
    return format_percent(value, "#,##0.0%", locale=normalise_locale(locale))
