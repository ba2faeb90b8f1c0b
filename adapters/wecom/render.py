"""Reply/Card -> WeCom app messages: text, markdown, and ``template_card`` cards. Pure.

Template card texts have recommended lengths (title 36, desc 44, sub title 160 characters;
6 fields, 6 buttons); longer text is shortened with an ellipsis.
"""

from __future__ import annotations

import secrets
from typing import Any

from bot.replies import ButtonStyle, Card, Message, Reply

TITLE, DESC, SUB_TITLE, KEY_NAME, VALUE, BUTTON = 36, 44, 160, 10, 30, 10
MAX_FIELDS, MAX_BUTTONS = 6, 6
BUTTON_STYLE = {ButtonStyle.PRIMARY: 1, ButtonStyle.DEFAULT: 2, ButtonStyle.DANGER: 3}


def has_buttons(message: Message) -> bool:
    """Whether the message needs a ``button_interaction`` card."""
    return isinstance(message, Card) and any(b.token for b in message.buttons)


def new_task_id() -> str:
    """A task id for a card (unique per app; letters, digits, _-@; at most 128 bytes)."""
    return f"bz_{secrets.token_hex(12)}"


def short(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def markdown_text(card: Card) -> str:
    """A card as WeCom markdown; buttons become commands to type."""
    lines = [f"**{card.title}**"]
    if card.body:
        lines.append(card.body)
    lines += [f"> {f.label}: {f.value}" for f in card.fields]
    lines += [f"[{b.label}] `{b.fallback_command()}`" for b in card.buttons]
    if card.footer:
        lines.append(f'<font color="comment">{card.footer}</font>')
    return "\n".join(lines)


def message_body(message: Message, task_id: str = "") -> dict[str, Any]:
    """The ``msgtype`` part of ``message/send``: text, markdown, or a button card."""
    if isinstance(message, Reply):
        return {"msgtype": "text", "text": {"content": message.text}}
    if not has_buttons(message):
        return {"msgtype": "markdown", "markdown": {"content": markdown_text(message)}}
    return {"msgtype": "template_card", "template_card": template_card(message, task_id, "")}


def chat_body(message: Message) -> dict[str, Any]:
    """The ``msgtype`` part of ``appchat/send`` (a group chat has no template cards): text, or
    the card as markdown."""
    if isinstance(message, Reply):
        return {"msgtype": "text", "text": {"content": message.text}}
    return {"msgtype": "markdown", "markdown": {"content": markdown_text(message)}}


def template_card(card: Card, task_id: str, link: str) -> dict[str, Any]:
    """A ``button_interaction`` card (buttons keyed by token), or ``text_notice`` without them."""
    body: dict[str, Any] = {
        "main_title": {"title": short(card.title, TITLE), "desc": short(card.footer, DESC)},
        "sub_title_text": short(card.body, SUB_TITLE),
        "horizontal_content_list": [
            {"keyname": short(f.label, KEY_NAME), "value": short(f.value, VALUE)}
            for f in card.fields[:MAX_FIELDS]
        ],
        "task_id": task_id or new_task_id(),
    }
    buttons = [b for b in card.buttons if b.token][:MAX_BUTTONS]
    if not buttons:
        return {"card_type": "text_notice", **body, "card_action": {"type": 1, "url": link}}
    body["button_list"] = [
        {"text": short(b.label, BUTTON), "style": BUTTON_STYLE.get(b.style, 2), "key": b.token}
        for b in buttons
    ]
    return {"card_type": "button_interaction", **body}
