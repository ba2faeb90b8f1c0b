"""A console line that is a shown button's number taps it; anything else is said as typed."""

from __future__ import annotations

import pytest

from adapters.console.translate import line_to_event
from bot.events import EventKind

CHOICES = {1: "tok-one", 2: "tok-two"}


@pytest.mark.parametrize(
    ("line", "token"), [("2", "tok-two"), ("#1", "tok-one"), ("２", "tok-two")]
)
def test_a_shown_number_taps_its_button(line: str, token: str) -> None:
    event = line_to_event("alice", line, CHOICES)
    assert event is not None and event.kind is EventKind.ACTION and event.action_token == token


@pytest.mark.parametrize("line", ["²", "①", "3", "2x", "/help"])
def test_anything_else_is_said_as_typed(line: str) -> None:
    event = line_to_event("alice", line, CHOICES)
    assert event is not None and event.kind is not EventKind.ACTION and event.text == line
