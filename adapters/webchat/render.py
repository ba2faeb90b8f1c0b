"""Reply/Card -> the JSON the web chat page draws (as DOM text, never as HTML). Pure."""

from __future__ import annotations

from typing import Any

from bot.replies import Message, to_wire


def render(message: Message) -> dict[str, Any]:
    """The browser's view of a message: the wire form, whose buttons carry only tokens."""
    return to_wire(message)


def frame(kind: str, message_id: str, message: Message) -> dict[str, Any]:
    """A server -> browser frame announcing a new (``message``) or edited (``update``) message."""
    return {"type": kind, "id": message_id, "author": "bot", "message": render(message)}
