"""Reply/Card -> DingTalk payloads: text, markdown, and StandardCard interactive cards. Pure."""

from __future__ import annotations

from typing import Any

from bot.replies import ButtonStyle, Card, Message, Reply

TITLE_LIMIT = 64
BUTTON_STATUS = {
    ButtonStyle.DEFAULT: "normal",
    ButtonStyle.PRIMARY: "primary",
    ButtonStyle.DANGER: "warning",
}


def has_buttons(message: Message) -> bool:
    """Whether the message needs an interactive card (buttons that call back)."""
    return isinstance(message, Card) and any(b.token for b in message.buttons)


def markdown_text(card: Card, *, typed_commands: bool = True) -> str:
    """A card as DingTalk markdown; buttons become commands to type where they cannot be shown."""
    lines = [f"#### {card.title}"]
    if card.body:
        lines += card.body.splitlines()
    lines += [f"**{f.label}**: {f.value}" for f in card.fields]
    if typed_commands:
        lines += [f"[{b.label}] `{b.fallback_command()}`" for b in card.buttons]
    if card.footer:
        lines.append(f"*{card.footer}*")
    return "\n\n".join(line for line in lines if line.strip())


def webhook_body(message: Message, staff_id: str = "") -> dict[str, Any]:
    """The JSON posted to a ``sessionWebhook`` (@-mentioning the sender in groups)."""
    at = {"at": {"atUserIds": [staff_id]}} if staff_id else {}
    if isinstance(message, Reply):
        return {"msgtype": "text", "text": {"content": message.text}, **at}
    markdown = {"title": message.title[:TITLE_LIMIT], "text": markdown_text(message)}
    return {"msgtype": "markdown", "markdown": markdown, **at}


def robot_message(message: Message) -> tuple[str, dict[str, str]]:
    """``msgKey`` and ``msgParam`` for the OpenAPI robot sends (oToMessages, groupMessages)."""
    if isinstance(message, Reply):
        return "sampleText", {"content": message.text}
    return "sampleMarkdown", {"title": message.title[:TITLE_LIMIT], "text": markdown_text(message)}


def card_data(card: Card) -> dict[str, Any]:
    """A StandardCard: header, markdown body, and ``request`` buttons whose id is the token."""
    contents: list[dict[str, Any]] = []
    text = markdown_text(card, typed_commands=False).split("\n\n", 1)
    if len(text) > 1:
        contents.append({"type": "markdown", "text": text[1], "id": "body"})
    buttons = [
        {
            "type": "button",
            "label": {"type": "text", "text": b.label, "id": f"label_{b.token}"},
            "actionType": "request",
            "status": BUTTON_STATUS.get(b.style, "normal"),
            "id": b.token,
        }
        for b in card.buttons
        if b.token
    ]
    if buttons:
        contents.append({"type": "action", "actions": buttons, "id": "actions"})
    return {
        "config": {"autoLayout": True, "enableForward": False},
        "header": {"title": {"type": "text", "text": card.title[:TITLE_LIMIT]}},
        "contents": contents,
    }
