"""Web chat frames (JSON from the browser or the HTTP API) -> InboundEvent. Pure."""

from __future__ import annotations

import re
from typing import Any

from bot.events import Address, EventKind, InboundEvent, InboundFile

CHANNEL = "webchat"
MAX_TEXT = 4000
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what the pipeline issues (token_urlsafe)
# Nothing a person types: C0/C1 controls except tab and line breaks, and lone surrogates.
# PostgreSQL refuses NUL and invalid UTF-8 in query parameters, so they never reach the kernel.
UNTYPEABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class FrameError(ValueError):
    """A frame that cannot become an event; ``reason`` is an English msgid."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def event_id_of(handle: str, client_id: str) -> str:
    """The stored event id: the client's frame id is unique only to its sender."""
    return f"{handle}:{client_id}"


def address_of(handle: str) -> Address:
    """Each member has one conversation with the bot in the web chat."""
    return Address(CHANNEL, handle)


def frame_to_event(handle: str, locale: str, frame: Any) -> InboundEvent:
    """``{"type": "say", "id", "text"}`` or ``{"type": "tap", "id", "token"}`` from ``handle``."""
    if not isinstance(frame, dict):
        raise FrameError("Expected a JSON object.")
    client_id = frame.get("id")
    if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
        raise FrameError("Each message needs an id of 8-64 letters, digits, - or _.")
    kind = frame.get("type", "say")
    if kind == "say":
        return _say(handle, locale, client_id, frame.get("text"))
    if kind == "tap":
        return _tap(handle, locale, client_id, frame.get("token"))
    raise FrameError("Unknown frame type.")


def _say(handle: str, locale: str, client_id: str, text: Any) -> InboundEvent:
    stripped = UNTYPEABLE.sub("", text).strip() if isinstance(text, str) else ""
    if not stripped:
        raise FrameError("The message is empty.")
    if len(stripped) > MAX_TEXT:
        raise FrameError("The message is too long (at most 4000 characters).")
    kind = EventKind.COMMAND if stripped.startswith(("/", "／")) else EventKind.MESSAGE
    return InboundEvent(
        kind=kind,
        address=address_of(handle),
        event_id=event_id_of(handle, client_id),
        sender_id=handle,
        text=stripped,
        locale_hint=locale,
    )


def _tap(handle: str, locale: str, client_id: str, token: Any) -> InboundEvent:
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        raise FrameError("The button is not valid.")
    return InboundEvent(
        kind=EventKind.ACTION,
        address=address_of(handle),
        event_id=event_id_of(handle, client_id),
        sender_id=handle,
        action_token=token,
        locale_hint=locale,
    )


def file_event(handle: str, locale: str, frame: dict[str, Any], file: InboundFile) -> InboundEvent:
    """A file sent from the page, with an optional caption (a command such as ``/expense …``)."""
    client_id = frame.get("id")
    if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
        raise FrameError("Each message needs an id of 8-64 letters, digits, - or _.")
    text = frame.get("text")
    stripped = UNTYPEABLE.sub("", text).strip() if isinstance(text, str) else ""
    if len(stripped) > MAX_TEXT:
        raise FrameError("The message is too long (at most 4000 characters).")
    kind = EventKind.COMMAND if stripped.startswith(("/", "／")) else EventKind.MESSAGE
    return InboundEvent(
        kind=kind,
        address=address_of(handle),
        event_id=event_id_of(handle, client_id),
        sender_id=handle,
        text=stripped,
        locale_hint=locale,
        files=(file,),
    )
