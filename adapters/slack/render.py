"""Reply/Card -> Slack message arguments (Block Kit blocks plus the notification text). Pure.

Buttons carry only our opaque action token, as both ``action_id`` and ``value``; nothing else
about the action ever leaves the server.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from bot.replies import Button, ButtonStyle, Card, CardStatus, Field, Message, Reply

# Block Kit limits (https://api.slack.com/reference/block-kit/blocks)
MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_BUTTON_TEXT = 75
MAX_BUTTONS = 25
MAX_CONTEXT_TEXT = 3000
MAX_TEXT = 3000  # the top-level ``text``: notifications and screen readers

STATUS_EMOJI = {
    CardStatus.INFO: "",
    CardStatus.PENDING: ":hourglass_flowing_sand:",
    CardStatus.SUCCESS: ":white_check_mark:",
    CardStatus.WARNING: ":warning:",
    CardStatus.DANGER: ":no_entry:",
}
BUTTON_STYLES = {ButtonStyle.PRIMARY: "primary", ButtonStyle.DANGER: "danger"}

T = TypeVar("T")


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves (``&``, ``<``, ``>``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Cut text to a platform limit, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def message_arguments(message: Message) -> dict[str, Any]:
    """``text`` and (for cards) ``blocks`` for chat.postMessage, chat.update or a response_url."""
    if isinstance(message, Reply):
        return {"text": clip(escape(message.text), MAX_TEXT)}
    return {"text": notification_text(message), "blocks": card_blocks(message)}


def notification_text(card: Card) -> str:
    """What a notification or a screen reader shows for a card: title, body and fields."""
    lines = [card.title]
    if card.body:
        lines.append(card.body)
    lines += [f"{f.label}: {f.value}" for f in card.fields]
    return clip(escape("\n".join(lines)), MAX_TEXT)


def card_blocks(card: Card) -> list[dict[str, Any]]:
    """A card as Block Kit: header, body, fields, buttons, then the footer as context."""
    blocks = [_header(card)]
    blocks += [_section(part) for part in _pieces(card.body, MAX_SECTION_TEXT)]
    blocks += [_fields(group) for group in _groups(card.fields, MAX_FIELDS)]
    tappable = [b for b in card.buttons if b.token]
    blocks += [_actions(group) for group in _groups(tappable, MAX_BUTTONS)]
    typed = [b for b in card.buttons if not b.token and b.command]
    if typed:
        blocks.append(_context("   ".join(f"{b.label}: `{b.command}`" for b in typed)))
    if card.footer:
        blocks.append(_context(card.footer))
    return blocks[:MAX_BLOCKS]


def _header(card: Card) -> dict[str, Any]:
    emoji = STATUS_EMOJI[card.status]
    title = f"{emoji} {card.title}" if emoji else card.title
    return {"type": "header", "text": _plain(clip(title or " ", MAX_HEADER))}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _fields(fields: Sequence[Field]) -> dict[str, Any]:
    return {
        "type": "section",
        "fields": [
            _mrkdwn(clip(f"*{escape(f.label)}*\n{escape(f.value)}", MAX_FIELD_TEXT), escaped=True)
            for f in fields
        ],
    }


def _actions(buttons: Sequence[Button]) -> dict[str, Any]:
    return {"type": "actions", "elements": [_button(b) for b in buttons]}


def _button(button: Button) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": _plain(clip(button.label or "·", MAX_BUTTON_TEXT)),
        "action_id": button.token,
        "value": button.token,
    }
    style = BUTTON_STYLES.get(button.style)
    if style:
        element["style"] = style
    return element


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(clip(escape(text), MAX_CONTEXT_TEXT), True)]}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _mrkdwn(text: str, escaped: bool = False) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text if escaped else escape(text)}


def _pieces(text: str, limit: int) -> Iterator[str]:
    """Split raw text into pieces whose escaped form fits ``limit``."""
    piece: list[str] = []
    size = 0
    for char in text:
        width = len(escape(char))
        if size + width > limit:
            yield "".join(piece)
            piece, size = [], 0
        piece.append(char)
        size += width
    if piece:
        yield "".join(piece)


def _groups(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
