"""Building memory-channel events, as a platform's translate step would."""

from __future__ import annotations

import uuid

from adapters.memory.client import CHANNEL
from bot.events import Address, EventKind, InboundEvent, InboundFile


def say(
    sender: str,
    text: str,
    *,
    event_id: str = "",
    conversation: str = "",
    channel: str = CHANNEL,
    files: tuple[InboundFile, ...] = (),
) -> InboundEvent:
    """A typed message (a command when it starts with /) from ``sender``, with the files it
    carries (kept first, as an adapter does: ``Files.keep``)."""
    kind = EventKind.COMMAND if text.lstrip().startswith(("/", "／")) else EventKind.MESSAGE
    return InboundEvent(
        kind=kind,
        address=Address(channel, conversation or sender),
        event_id=event_id or uuid.uuid4().hex,
        sender_id=sender,
        text=text,
        files=files,
    )


def tap(
    sender: str, token: str, *, event_id: str = "", conversation: str = "", channel: str = CHANNEL
) -> InboundEvent:
    """A button tap by ``sender``."""
    return InboundEvent(
        kind=EventKind.ACTION,
        address=Address(channel, conversation or sender),
        event_id=event_id or uuid.uuid4().hex,
        sender_id=sender,
        action_token=token,
    )
