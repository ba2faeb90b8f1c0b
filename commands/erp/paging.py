"""Paged lists in chat: Previous and Next buttons that run the list's command again for the
neighbouring page (``bot.picking``'s pick action: the tap runs the line as if typed)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from bot.context import CommandContext
from bot.i18n import _
from bot.picking import PICK_ACTION
from bot.replies import Action, Button

PAGE = 8


def page_buttons(
    ctx: CommandContext, line_for: Callable[[int], str], page: int, total: int, size: int = PAGE
) -> tuple[Button, ...]:
    """Previous / Next page buttons around ``page`` (from 1) of ``total`` items."""
    buttons = []
    if page > 1:
        buttons.append(line_button(ctx.t(_("Previous page")), line_for(page - 1)))
    if page * size < total:
        buttons.append(line_button(ctx.t(_("Next page")), line_for(page + 1)))
    return tuple(buttons)


def line_button(label: str, line: str) -> Button:
    """A button that runs a command line (it stays usable: paging back and forth)."""
    return Button(label, Action(PICK_ACTION, args={"line": line}, single_use=False), command=line)


def page_footer(ctx: CommandContext, page: int, total: int, size: int = PAGE) -> str:
    """ "Page 2 of 5" when there is more than one page."""
    pages = max(1, -(-total // size))
    if pages == 1:
        return ""
    return ctx.t(_("Page {page} of {pages}"), page=page, pages=pages)


def page_of(text: str) -> int:
    """A page number the reader gave as decimal text (1 when it is not a page number)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return 1
    whole = value == value.to_integral_value() and 0 < value < 100_000
    return int(value) if whole else 1
