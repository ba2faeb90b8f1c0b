"""What Bizbot says: plain text or a card with buttons, rendered natively by each adapter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum
from typing import Any


class CardStatus(StrEnum):
    """The colour of a card: what state the thing it shows is in."""

    INFO = "info"
    PENDING = "pending"
    SUCCESS = "success"
    WARNING = "warning"
    DANGER = "danger"


class ButtonStyle(StrEnum):
    """How a button looks; platforms without styles ignore it."""

    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Action:
    """What a button does, kept on the server behind its token.

    ``allowed`` lists the member ids who may tap it (None: the member the card is sent to);
    ``single_use`` tokens work once; after ``ttl`` the button is stale.
    """

    name: str
    target: str = ""
    args: Mapping[str, Any] = field(default_factory=dict)
    allowed: tuple[int, ...] | None = None
    single_use: bool = True
    ttl: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Button:
    """A button. Commands give it an ``action``; the pipeline swaps that for an opaque ``token``."""

    label: str
    action: Action | None = None
    style: ButtonStyle = ButtonStyle.DEFAULT
    token: str = ""
    command: str = ""

    def fallback_command(self) -> str:
        """What to type where buttons cannot be shown: the equivalent command, or ``/tap TOKEN``."""
        return self.command or f"/tap {self.token}"


@dataclass(frozen=True, slots=True)
class Field:
    """A labelled value on a card."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Card:
    """A titled message with fields and buttons; its copies can later be edited in place."""

    title: str
    body: str = ""
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()
    footer: str = ""
    status: CardStatus = CardStatus.INFO

    def with_buttons(self, buttons: tuple[Button, ...]) -> Card:
        """The same card with other buttons."""
        return replace(self, buttons=buttons)


@dataclass(frozen=True, slots=True)
class Reply:
    """A plain text message."""

    text: str


Message = Reply | Card


def to_wire(message: Message) -> dict[str, Any]:
    """A JSON-safe dict for the outbox; buttons keep only label, style and token."""
    if isinstance(message, Reply):
        return {"type": "text", "text": message.text}
    return {
        "type": "card",
        "title": message.title,
        "body": message.body,
        "fields": [[f.label, f.value] for f in message.fields],
        "buttons": [[b.label, b.token, str(b.style), b.command] for b in message.buttons],
        "footer": message.footer,
        "status": str(message.status),
    }


def from_wire(data: Mapping[str, Any]) -> Message:
    """Rebuild a message stored by ``to_wire``."""
    if data["type"] == "text":
        return Reply(data["text"])
    return Card(
        title=data["title"],
        body=data["body"],
        fields=tuple(Field(label, value) for label, value in data["fields"]),
        buttons=tuple(
            Button(label, token=token, style=ButtonStyle(style), command=command)
            for label, token, style, command in data["buttons"]
        ),
        footer=data["footer"],
        status=CardStatus(data["status"]),
    )


def as_text(message: Message) -> str:
    """Plain text for platforms without cards; buttons become commands to type."""
    if isinstance(message, Reply):
        return message.text
    lines = [message.title]
    if message.body:
        lines.append(message.body)
    lines += [f"{f.label}: {f.value}" for f in message.fields]
    lines += [f"[{b.label}] {b.fallback_command()}" for b in message.buttons]
    if message.footer:
        lines.append(message.footer)
    return "\n".join(lines)
