"""Reading the words of /campaign and /lead: the typed words, ``key=value`` options with their
Chinese keys, record numbers, dates and amounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.numbers import format_currency, format_percent

from bot.context import CommandContext
from bot.i18n import normalise_locale
from bot.parsing import ArgumentError, split_command


def typed_words(ctx: CommandContext, fallback: str) -> list[str]:
    """The command's words as typed, quotes honoured (the binder joins them with spaces)."""
    line = split_command(ctx.event.text) if ctx.event.text else None
    return line.words if line is not None and line.words else fallback.split()


def split_options(words: list[str], keys: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """Positional words, and ``key=value`` options by their English key (``keys`` maps every
    accepted key, English or Chinese, to it). An unknown key is an error."""
    positional: list[str] = []
    options: dict[str, str] = {}
    for word in words:
        key, found, value = word.partition("=")
        if not found or not key:
            positional.append(word)
            continue
        name = keys.get(key.lower())
        if name is None:
            raise ArgumentError("Unknown option {key}.", key=key)
        options[name] = value.strip()
    return positional, options


def day(value: str, field: str) -> date:
    """A date typed as YYYY-MM-DD."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ArgumentError("{field} must be a date, such as 2026-12-01.", field=field) from exc


def money(amount: Decimal, currency: str, locale: str) -> str:
    """``CN¥8,000.00`` / ``¥8,000.00``."""
    return format_currency(amount, currency, locale=normalise_locale(locale))


def percent(value: Decimal | None, locale: str) -> str:
    """``12.5%``, or ``—`` when undefined."""
    if value is None:
        return "—"
    return format_percent(value, "#,##0.0%", locale=normalise_locale(locale))
