"""What arrives from a chat platform, once its adapter has verified and translated it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Unreadable(ValueError):
    """A stored payload this version cannot read: written by another version, or damaged."""

    @classmethod
    def because(cls, exc: Exception) -> Unreadable:
        """The reason, short enough for a row's error column."""
        reason = f"missing {exc}" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
        return cls(f"unreadable payload ({reason})"[:500])


class EventKind(StrEnum):
    """A typed message, a slash command, or a tap on a card button."""

    MESSAGE = "message"
    COMMAND = "command"
    ACTION = "action"


@dataclass(frozen=True, slots=True)
class Address:
    """Where a conversation happens: channel, workspace (team, corp) and conversation id."""

    channel: str
    conversation: str
    workspace: str = ""

    @property
    def key(self) -> str:
        """One string per conversation; the inbox and outbox keep order within it."""
        return f"{self.channel}:{self.workspace}:{self.conversation}"


@dataclass(frozen=True, slots=True)
class InboundFile:
    """A file or photo a member sent with a message, as the event carries it.

    Its bytes were checked (``bot.pipeline.files.keep_inbound``) and kept under ``file_id``, or
    it was refused and ``refused`` says why (``too_big``, ``executable``, ``type``,
    ``unavailable``), so that the command can tell the member.
    """

    name: str
    content_type: str
    size: int
    file_id: int | None = None
    refused: str = ""

    def to_wire(self) -> dict[str, Any]:
        """A JSON-safe dict for the inbox row."""
        return {
            "name": self.name,
            "type": self.content_type,
            "size": self.size,
            "id": self.file_id,
            "refused": self.refused,
        }

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> InboundFile:
        """Rebuild a file stored by ``to_wire``."""
        file_id = data.get("id")
        return cls(
            wire_text(data["name"]),
            wire_text(data.get("type", "")),
            int(data.get("size", 0)),
            int(file_id) if file_id is not None else None,
            wire_text(data.get("refused", "")),
        )


@dataclass(frozen=True, slots=True)
class InboundEvent:
    """One verified platform event, in the shape every adapter produces.

    ``event_id`` is the platform's own id for the delivery (Slack ``event_id``, Telegram
    ``update_id``, a web chat client id); the inbox is unique on channel + event id.
    ``extra`` carries platform context an adapter needs to answer (a reply URL, a card id).
    """

    kind: EventKind
    address: Address
    event_id: str
    sender_id: str
    text: str = ""
    action_token: str = ""
    sender_name: str = ""
    locale_hint: str = ""
    is_direct: bool = True
    extra: dict[str, str] = field(default_factory=dict)
    files: tuple[InboundFile, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        """A JSON-safe dict for the inbox row: ``asdict(self)``, built by hand (it is hot), with
        ``files`` only when there are some (a text-only event's row is as it was)."""
        address = self.address
        wire: dict[str, Any] = {
            "kind": self.kind,
            "address": {
                "channel": address.channel,
                "conversation": address.conversation,
                "workspace": address.workspace,
            },
            "event_id": self.event_id,
            "sender_id": self.sender_id,
            "text": self.text,
            "action_token": self.action_token,
            "sender_name": self.sender_name,
            "locale_hint": self.locale_hint,
            "is_direct": self.is_direct,
            "extra": dict(self.extra),
        }
        if self.files:
            wire["files"] = [f.to_wire() for f in self.files]
        return wire

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> InboundEvent:
        """Rebuild an event stored by ``to_wire`` (by this version or another).

        Keys this version does not know are ignored and missing optional ones take their
        defaults, so rows written by an older or newer version are read alike. ``Unreadable``
        when a required part is missing or wrong (no sender, an unknown kind).
        """
        try:
            address = data["address"]
            return cls(
                EventKind(data["kind"]),
                Address(address["channel"], address["conversation"], address.get("workspace", "")),
                wire_text(data["event_id"]),
                wire_text(data["sender_id"]),
                **{key: data[key] for key in _OPTIONAL if key in data},
                files=_files(data),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise Unreadable.because(exc) from exc


def _files(data: Mapping[str, Any]) -> tuple[InboundFile, ...]:
    """The files an event carries; nothing to build for the usual event, which has none."""
    files = data.get("files")
    return tuple(InboundFile.from_wire(f) for f in files) if files else ()


_OPTIONAL = ("text", "action_token", "sender_name", "locale_hint", "is_direct", "extra")


def wire_text(value: Any) -> str:
    """A stored value that must be text (``TypeError`` otherwise)."""
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value
