"""The inbox's wire form of an event is exactly ``dataclasses.asdict`` and reads back the same."""

from __future__ import annotations

from dataclasses import asdict, fields

from bot.events import Address, EventKind, InboundEvent


def test_to_wire_is_asdict_and_round_trips() -> None:
    event = InboundEvent(
        kind=EventKind.ACTION,
        address=Address("slack", "C0GENERAL", "T0TEST"),
        event_id="action:1.2.3",
        sender_id="U0ALICE",
        text="",
        action_token="tok",
        sender_name="alice",
        locale_hint="zh_CN",
        is_direct=False,
        extra={"response_url": "https://hooks.slack.com/actions/1"},
    )
    wire = event.to_wire()
    assert wire == asdict(event)
    assert set(wire) == {f.name for f in fields(InboundEvent)}  # a new field must be added there
    assert InboundEvent.from_wire(wire) == event
    assert wire["extra"] is not event.extra
