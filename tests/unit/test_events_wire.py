"""The wire forms of events and messages: they read back the same, and what another version
wrote is read when it can be."""

from __future__ import annotations

from dataclasses import asdict, fields, replace
from typing import Any

import pytest

from bot.events import Address, EventKind, InboundEvent, InboundFile, Unreadable
from bot.replies import (
    PLACEHOLDER,
    Button,
    ButtonStyle,
    Card,
    CardStatus,
    Field,
    Reply,
    concealed,
    from_wire,
    to_wire,
)


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
    whole = asdict(event)
    assert whole.pop("files") == ()  # written only when there are some
    assert wire == whole
    assert set(wire) | {"files"} == {f.name for f in fields(InboundEvent)}  # a new field too
    assert InboundEvent.from_wire(wire) == event
    assert wire["extra"] is not event.extra
    receipt = InboundFile("receipt.png", "image/png", 2048, 7)
    with_file = replace(event, files=(receipt,))
    assert with_file.to_wire()["files"] == [receipt.to_wire()]
    assert InboundEvent.from_wire(with_file.to_wire()) == with_file


def test_messages_round_trip_and_read_what_another_version_wrote() -> None:
    card = Card(
        title="Leave request",
        body="3 days",
        fields=(Field("From", "Alice"),),
        buttons=(Button("Approve", token="tok", style=ButtonStyle.PRIMARY, command="/approve 4"),),
        footer="#4",
        status=CardStatus.PENDING,
    )
    assert from_wire(to_wire(card)) == card
    assert from_wire(to_wire(Reply("hi"))) == Reply("hi")
    newer = {
        "type": "card",
        "title": "T",
        "status": "sparkly",
        "buttons": [["B", "t", "glow", "", 1]],
    }
    assert from_wire(newer) == Card(title="T", buttons=(Button("B", token="t"),))
    unreadable: list[Any] = [
        {"type": "sticker"},
        {"type": "text"},
        {"type": "card", "fields": 1},
        [],
    ]
    for payload in unreadable:
        with pytest.raises(Unreadable):
            from_wire(payload)


def test_events_another_version_wrote_are_read_when_they_can_be() -> None:
    wire = {"kind": "message", "address": {"channel": "c", "conversation": "x"},
            "event_id": "e", "sender_id": "s", "thread": "new"}  # fmt: skip
    assert InboundEvent.from_wire(wire) == InboundEvent(
        EventKind.MESSAGE, Address("c", "x"), "e", "s"
    )
    broken: list[Any] = [{**wire, "kind": "poke"}, {**wire, "sender_id": 7}, {"address": 1}, "x"]
    for payload in broken:
        with pytest.raises(Unreadable):
            InboundEvent.from_wire(payload)


def test_a_message_keeps_its_secrets_until_it_is_concealed() -> None:
    card = Card(
        title="Bind code for @bob",
        fields=(Field("Command", "/bind K7PD-M3QX"),),
        buttons=(Button("Copy K7PD-M3QX", token="tok", command="/bind K7PD-M3QX"),),
        secrets=("K7PD-M3QX",),
    )
    assert from_wire(to_wire(card)) == card
    assert to_wire(Reply("hi")) == {"type": "text", "text": "hi"}  # unmarked: nothing added
    kept = to_wire(concealed(card))
    assert "K7PD-M3QX" not in repr(kept) and "secrets" not in kept
    assert kept["fields"] == [["Command", f"/bind {PLACEHOLDER}"]]
    assert kept["buttons"][0][:2] == [f"Copy {PLACEHOLDER}", "tok"]
    link = Reply("https://example.com/guest/abc", secrets=("abc",))
    assert concealed(link) == Reply(f"https://example.com/guest/{PLACEHOLDER}")
