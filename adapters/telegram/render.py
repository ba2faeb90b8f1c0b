"""Reply/Card -> a Telegram message: HTML text plus an inline keyboard. Pure.

Everything that comes from the card is escaped with ``html.escape``; the only markup is ours.
Buttons carry their opaque action token as ``callback_data`` (at most 64 bytes); a button that
cannot (no token, or too long) is shown as the command to type instead.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode

from bot.replies import Button, Card, CardStatus, Message, Reply, as_text

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
BUTTONS_PER_ROW = 3
ELLIPSIS = "…"
STATUS_MARK = {
    CardStatus.INFO: "",
    CardStatus.PENDING: "⏳ ",
    CardStatus.SUCCESS: "✅ ",
    CardStatus.WARNING: "⚠️ ",
    CardStatus.DANGER: "⛔ ",
}


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What ``sendMessage`` / ``editMessageText`` get."""

    text: str
    parse_mode: str | None = None
    keyboard: InlineKeyboardMarkup | None = None


def render(message: Message) -> Outgoing:
    """A reply as plain text; a card as HTML with its buttons as an inline keyboard."""
    if isinstance(message, Reply):
        return Outgoing(_clip(message.text) or ELLIPSIS)
    tappable = tuple(b for b in message.buttons if fits_callback_data(b.token))
    typed = tuple(
        b for b in message.buttons if not fits_callback_data(b.token) and (b.token or b.command)
    )
    text = card_html(message, typed)
    if len(text) > MAX_TEXT:
        return Outgoing(_clip(as_text(message)), keyboard=keyboard(tappable))
    return Outgoing(text, ParseMode.HTML, keyboard(tappable))


def card_html(card: Card, typed: tuple[Button, ...] = ()) -> str:
    """Bold title, body, bold-labelled fields, typed-command lines for ``typed``, italic footer."""
    text = _card_html(card, card.body, typed)
    if len(text) <= MAX_TEXT:
        return text
    fits, too_long = 0, len(card.body)  # the longest body prefix that fits, by bisection
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if len(_card_html(card, card.body[:middle] + ELLIPSIS, typed)) <= MAX_TEXT:
            fits = middle
        else:
            too_long = middle
    return _card_html(card, card.body[:fits].rstrip() + ELLIPSIS if fits else "", typed)


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """Buttons in rows of up to three, each carrying its token as ``callback_data``."""
    if not buttons:
        return None
    keys = [InlineKeyboardButton(b.label, callback_data=b.token) for b in buttons]
    return InlineKeyboardMarkup(
        [keys[i : i + BUTTONS_PER_ROW] for i in range(0, len(keys), BUTTONS_PER_ROW)]
    )


def fits_callback_data(token: str) -> bool:
    """Telegram takes 1-64 bytes of ``callback_data`` (bytes, not characters)."""
    return 1 <= len(token.encode()) <= MAX_CALLBACK_DATA


def _card_html(card: Card, body: str, typed: tuple[Button, ...]) -> str:
    def esc(text: str) -> str:
        return html.escape(text, quote=False)  # quotes need no escaping outside attributes

    lines = [f"<b>{esc(STATUS_MARK[card.status] + card.title)}</b>"]
    if body:
        lines.append(esc(body))
    if card.fields:
        lines.append("")
        lines += [f"<b>{esc(f.label)}:</b> {esc(f.value)}" for f in card.fields]
    if typed:
        lines.append("")
        lines += [f"{esc(b.label)}: <code>{esc(b.fallback_command())}</code>" for b in typed]
    if card.footer:
        lines += ["", f"<i>{esc(card.footer)}</i>"]
    return "\n".join(lines)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + ELLIPSIS
