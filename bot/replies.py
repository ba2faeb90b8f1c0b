"""What Bizbot says: plain text or a card with buttons, rendered natively by each adapter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum
from typing import Any, TypeVar

from bot.events import Unreadable, wire_text

E = TypeVar("E", bound=StrEnum)


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
class Attachment:
    """A file or an image sent with a message (a statement, an invoice PDF, a chart).

    Commands give ``data``; the outbox stores the bytes in the ``files`` table in the same
    transaction and keeps only ``file_id`` in the message, and the relay loads the bytes back
    before handing the message to a channel, so every adapter sees ``data`` filled in.
    """

    name: str
    content_type: str
    data: bytes = field(default=b"", repr=False)
    size: int = 0
    file_id: int | None = None

    @property
    def is_image(self) -> bool:
        """Whether platforms should show it as a picture rather than a file."""
        return self.content_type in IMAGE_TYPES

    def stored(self, file_id: int) -> Attachment:
        """The same file once its bytes are kept under ``file_id``."""
        return replace(self, file_id=file_id, size=len(self.data))


IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def attachment(name: str, content_type: str, data: bytes) -> Attachment:
    """A file to send, ``ValueError`` for an empty one or one without a name."""
    if not data:
        raise ValueError("an attachment needs some bytes")
    if not name.strip() or "/" in name or "\\" in name:
        raise ValueError(f"not a file name: {name!r}")
    return Attachment(name.strip(), content_type, data, len(data))


@dataclass(frozen=True, slots=True)
class Card:
    """A titled message with fields and buttons; its copies can later be edited in place."""

    title: str
    body: str = ""
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()
    footer: str = ""
    status: CardStatus = CardStatus.INFO
    secrets: tuple[str, ...] = ()  # one-time secrets shown here (see ``Reply.secrets``)
    attachments: tuple[Attachment, ...] = ()

    def with_buttons(self, buttons: tuple[Button, ...]) -> Card:
        """The same card with other buttons."""
        return replace(self, buttons=buttons)

    def with_file(self, name: str, content_type: str, data: bytes) -> Card:
        """The same card with a file attached (sent after it on platforms that need two posts)."""
        return replace(self, attachments=(*self.attachments, attachment(name, content_type, data)))


@dataclass(frozen=True, slots=True)
class Reply:
    """A plain text message.

    ``secrets`` are the one-time secrets it shows (a bind code, an invitation, a feed address):
    such a message is only ever sent to a direct chat, and once it is out (or cannot be), the
    outbox keeps it with each secret replaced by ``PLACEHOLDER`` (``concealed``).
    """

    text: str
    secrets: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()

    def with_file(self, name: str, content_type: str, data: bytes) -> Reply:
        """The same text with a file: ``Reply(text).with_file("a.pdf", "application/pdf", b)``."""
        return replace(self, attachments=(*self.attachments, attachment(name, content_type, data)))


Message = Reply | Card

PLACEHOLDER = "••••"  # what a secret becomes once the message that carried it is out


def concealed(message: Message) -> Message:
    """The message with each of its secrets replaced by ``PLACEHOLDER``, as it is kept."""
    if not message.secrets:
        return message

    def hide(text: str) -> str:
        for secret in message.secrets:
            text = text.replace(secret, PLACEHOLDER)
        return text

    if isinstance(message, Reply):
        return Reply(hide(message.text), attachments=message.attachments)
    return replace(
        message,
        title=hide(message.title),
        body=hide(message.body),
        fields=tuple(Field(hide(f.label), hide(f.value)) for f in message.fields),
        buttons=tuple(
            replace(b, label=hide(b.label), command=hide(b.command)) for b in message.buttons
        ),
        footer=hide(message.footer),
        secrets=(),
    )


def to_wire(message: Message) -> dict[str, Any]:
    """A JSON-safe dict for the outbox; buttons keep only label, style and token."""
    if isinstance(message, Reply):
        data: dict[str, Any] = {"type": "text", "text": message.text}
    else:
        data = _card_wire(message)
    if message.secrets:
        data["secrets"] = list(message.secrets)
    if message.attachments:
        data["files"] = [_file_wire(a) for a in message.attachments]
    return data


def _file_wire(file: Attachment) -> dict[str, Any]:
    """A file as the outbox keeps it: its stored id and description, never its bytes."""
    return {"id": file.file_id, "name": file.name, "type": file.content_type, "size": file.size}


def _files(data: Mapping[str, Any]) -> tuple[Attachment, ...]:
    """The files a stored message carries (bytes not loaded), empty when it carries none."""
    files = data.get("files")
    if not files:
        return ()
    if not isinstance(files, list):
        raise TypeError("files is not a list")
    return tuple(
        Attachment(
            wire_text(f["name"]), wire_text(f["type"]), size=int(f["size"]), file_id=int(f["id"])
        )
        for f in files
    )


def _card_wire(message: Card) -> dict[str, Any]:
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
    """Rebuild a message stored by ``to_wire`` (by this version or another).

    Keys this version does not know are ignored; missing optional parts, and a colour or a
    button style it does not know, take their defaults (they only change how a message looks).
    ``Unreadable`` when the message itself cannot be made out (an unknown type, no text).
    """
    try:
        secrets = tuple(wire_text(s) for s in data.get("secrets", ()))
        if data["type"] == "text":
            return Reply(wire_text(data["text"]), secrets, _files(data))
        if data["type"] != "card":
            raise ValueError(f"unknown message type {data['type']!r}")
        return Card(
            title=wire_text(data["title"]),
            body=data.get("body", ""),
            fields=tuple(Field(label, value) for label, value, *_ in _lists(data, "fields")),
            buttons=tuple(_button(*values) for values in _lists(data, "buttons")),
            footer=data.get("footer", ""),
            status=_known(CardStatus, data.get("status"), CardStatus.INFO),
            secrets=secrets,
            attachments=_files(data),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Unreadable.because(exc) from exc


def _button(label: str, token: str = "", style: str = "", command: str = "", *_: Any) -> Button:
    return Button(
        wire_text(label),
        token=token,
        style=_known(ButtonStyle, style, ButtonStyle.DEFAULT),
        command=command,
    )


def _lists(data: Mapping[str, Any], key: str) -> list[list[Any]]:
    """A stored list of lists (a card's fields or buttons); empty when missing."""
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, list) for item in value):
        raise TypeError(f"{key} is not a list of lists")
    return value


def _known(kind: type[E], value: Any, default: E) -> E:
    """``value`` as a member of ``kind``; the default for one this version does not know."""
    try:
        return kind(value)
    except ValueError:
        return default


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
