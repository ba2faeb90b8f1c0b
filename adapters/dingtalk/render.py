"""Reply/Card -> DingTalk payloads: text, markdown, and StandardCard interactive cards. Pure."""

from __future__ import annotations

from typing import Any

from bot.replies import Attachment, ButtonStyle, Card, Message, Reply

TITLE_LIMIT = 64
BUTTON_STATUS = {
    ButtonStyle.DEFAULT: "normal",
    ButtonStyle.PRIMARY: "primary",
    ButtonStyle.DANGER: "warning",
}


def has_buttons(message: Message) -> bool:
    """Whether the message needs an interactive card (buttons that call back)."""
    return isinstance(message, Card) and any(b.token for b in message.buttons)


def markdown_text(card: Card) -> str:
    """A card as DingTalk markdown; buttons become commands to type."""
    typed = [f"[{b.label}] `{b.fallback_command()}`" for b in card.buttons]
    return "\n\n".join([f"#### {card.title}", *_content_lines(card), *typed])


def _content_lines(card: Card) -> list[str]:
    """Body, fields and footer as markdown paragraphs."""
    lines = card.body.splitlines() + [f"**{f.label}**: {f.value}" for f in card.fields]
    if card.footer:
        lines.append(f"*{card.footer}*")
    return [line for line in lines if line.strip()]


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
    if lines := _content_lines(card):
        contents.append({"type": "markdown", "text": "\n\n".join(lines), "id": "body"})
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


def file_param(file: Attachment, media_id: str) -> dict[str, str]:
    """``msgParam`` of a ``sampleFile`` robot message: the media id, its name and extension."""
    extension = file.name.rsplit(".", 1)[-1].lower() if "." in file.name else "file"
    return {"mediaId": media_id, "fileName": file.name, "fileType": extension}
