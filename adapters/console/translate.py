"""Console input lines -> InboundEvent. Pure."""

from __future__ import annotations

import uuid

from bot.events import Address, EventKind, InboundEvent
from bot.parsing import record_number

CHANNEL = "console"


def address_of(handle: str) -> Address:
    """A member's console conversation."""
    return Address(CHANNEL, handle)


def line_to_event(handle: str, line: str, choices: dict[int, str]) -> InboundEvent | None:
    """A typed line as an event: a number picks a shown button; blank lines are nothing."""
    text = line.strip()
    if not text:
        return None
    number = record_number(text)
    if number is not None and number in choices:
        return InboundEvent(
            kind=EventKind.ACTION,
            address=address_of(handle),
            event_id=uuid.uuid4().hex,
            sender_id=handle,
            action_token=choices[number],
        )
    kind = EventKind.COMMAND if text.startswith(("/", "／")) else EventKind.MESSAGE
    return InboundEvent(
        kind=kind,
        address=address_of(handle),
        event_id=uuid.uuid4().hex,
        sender_id=handle,
        text=text,
    )
