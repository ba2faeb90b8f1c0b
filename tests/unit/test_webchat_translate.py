"""Web chat frames -> events: what is accepted, what is refused, and how text is cleaned."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.webchat.translate import FrameError, frame_to_event
from bot.events import EventKind

ID = "abcdefgh12"


def event_of(frame: Any) -> Any:
    return frame_to_event("bob", "zh_CN", frame)


@pytest.mark.parametrize(
    ("text", "kind", "stored"),
    [
        ("/help", EventKind.COMMAND, "/help"),
        ("／帮助", EventKind.COMMAND, "／帮助"),
        ("  /ping\n", EventKind.COMMAND, "/ping"),
        ("你好", EventKind.MESSAGE, "你好"),
        ("/invite bob\x00", EventKind.COMMAND, "/invite bob"),
        ("\x1b[31mred\x7f", EventKind.MESSAGE, "[31mred"),
        ("a\ud800b", EventKind.MESSAGE, "ab"),
        ("line one\nline two\ttab", EventKind.MESSAGE, "line one\nline two\ttab"),
        ("\x00/whoami", EventKind.COMMAND, "/whoami"),
    ],
)
def test_say_keeps_what_a_person_types(text: str, kind: EventKind, stored: str) -> None:
    event = event_of({"type": "say", "id": ID, "text": text})
    assert event.kind is kind and event.text == stored
    assert (
        event.event_id == f"bob:{ID}" and event.sender_id == "bob" and event.locale_hint == "zh_CN"
    )


def test_a_frame_without_type_is_a_say() -> None:
    assert event_of({"id": ID, "text": "hi"}).kind is EventKind.MESSAGE


def test_the_length_limit_counts_what_is_kept() -> None:
    assert len(event_of({"id": ID, "text": "x" * 4000}).text) == 4000
    assert len(event_of({"id": ID, "text": " " + "x" * 4000 + "\x00"}).text) == 4000
    with pytest.raises(FrameError, match="too long"):
        event_of({"id": ID, "text": "x" * 4001})


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ([], "Expected a JSON object."),
        ({"text": "hi"}, "Each message needs an id"),
        ({"id": "abcdefg", "text": "hi"}, "Each message needs an id"),
        ({"id": "x" * 65, "text": "hi"}, "Each message needs an id"),
        ({"id": ID + "\n", "text": "hi"}, "Each message needs an id"),
        ({"id": ID, "text": "\x00\x01 \u3000"}, "The message is empty."),
        ({"id": ID, "text": 42}, "The message is empty."),
        ({"id": ID, "type": "tap", "token": "ab\x00"}, "The button is not valid."),
        ({"id": ID, "type": "tap", "token": "t" * 65}, "The button is not valid."),
        ({"id": ID, "type": "tap"}, "The button is not valid."),
        ({"id": ID, "type": "edit", "text": "hi"}, "Unknown frame type."),
    ],
)
def test_bad_frames_are_refused_with_a_reason(frame: Any, reason: str) -> None:
    with pytest.raises(FrameError) as refused:
        event_of(frame)
    assert refused.value.reason.startswith(reason)


def test_a_tap_carries_only_its_token() -> None:
    event = event_of({"type": "tap", "id": ID, "token": "Zx_9-aB", "text": "ignored"})
    assert event.kind is EventKind.ACTION
    assert event.action_token == "Zx_9-aB" and event.text == ""
