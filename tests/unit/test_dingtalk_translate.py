"""DingTalk payloads -> events, and our cards -> DingTalk payloads."""

from __future__ import annotations

import pytest

from adapters.dingtalk import render
from adapters.dingtalk.client import Target, target_of
from adapters.dingtalk.translate import (
    PayloadError,
    card_callback_to_event,
    message_to_event,
)
from bot.events import Address, EventKind
from bot.replies import Button, Card, Field, Reply
from tests.fakes.dingtalk import card_callback, robot_message


def message(text: str, **kw: str) -> dict[str, object]:
    return robot_message(
        text, msg_id="m1", staff_id="S1", webhook="https://x/y", expires_ms=9, **kw
    )


def test_direct_command_maps_sender_conversation_and_reply_context() -> None:
    event = message_to_event(message("/whoami"))
    assert event is not None
    assert event.kind is EventKind.COMMAND and event.text == "/whoami"
    assert event.address == Address("dingtalk", "cidDirect0002BOB==", "dingcorp01")
    assert (event.event_id, event.sender_id, event.is_direct) == ("m1", "S1", True)
    assert event.extra == {
        "conversation_type": "1",
        "staff_id": "S1",
        "session_webhook": "https://x/y",
        "session_webhook_expires": "9",
    }


def test_group_mentions_are_stripped() -> None:
    event = message_to_event(message(" @Bizbot  @Other 帮助 please", conversation_type="2"))
    assert event is not None
    assert event.text == "帮助 please" and event.kind is EventKind.MESSAGE
    assert not event.is_direct


def test_sender_id_is_used_without_a_staff_id() -> None:
    body = message("/ping")
    del body["senderStaffId"]
    event = message_to_event(body)
    assert event is not None and event.sender_id == "$:LWCP_v1:$S1"


@pytest.mark.parametrize("change", [{"msgtype": "picture"}, {"text": {"content": "  "}}])
def test_non_text_is_ignored(change: dict[str, object]) -> None:
    assert message_to_event(message("x") | change) is None


def test_missing_fields_are_a_payload_error() -> None:
    with pytest.raises(PayloadError):
        message_to_event({"msgtype": "text"})
    with pytest.raises(PayloadError):
        card_callback_to_event(card_callback("card1", "S1", "") | {"content": "{}"})


def test_card_tap_is_an_action_with_the_button_id_as_token() -> None:
    event = card_callback_to_event(card_callback("card1", "S1", "tok_123"))
    assert event.kind is EventKind.ACTION and event.action_token == "tok_123"
    assert event.address == Address("dingtalk", "S1", "dingcorp01")
    assert event.extra["card_biz_id"] == "card1"
    same = card_callback_to_event(card_callback("card1", "S1", "tok_123"))
    other = card_callback_to_event(card_callback("card1", "S1", "tok_123", nonce="2"))
    assert same.event_id == event.event_id != other.event_id
    assert card_callback_to_event(card_callback("c", "S1", "t"), "stream-9").event_id == "stream-9"


def test_targets() -> None:
    address = Address("dingtalk", "cidX")
    assert target_of(address, {"conversation_type": "2"}) == Target(True, "cidX")
    assert target_of(address, {"conversation_type": "1", "staff_id": "S1"}) == Target(False, "S1")
    assert target_of(Address("dingtalk", "S2"), {}) == Target(False, "S2")


def test_cards_render_with_request_buttons_and_typed_fallbacks() -> None:
    card = Card(
        "Leave",
        "Bob asks for 2 days",
        fields=(Field("From", "Mon"),),
        buttons=(Button("Approve", token="tokA", command="/approve 1"), Button("No", token="tokB")),
        footer="foot",
    )
    data = render.card_data(card)
    assert data["header"]["title"]["text"] == "Leave"
    [body, actions] = data["contents"]
    assert "Bob asks" in body["text"] and "**From**: Mon" in body["text"]
    assert [a["id"] for a in actions["actions"]] == ["tokA", "tokB"]
    text = render.webhook_body(card)["markdown"]["text"]
    assert "`/approve 1`" in text and "`/tap tokB`" in text
    assert render.webhook_body(Reply("hi"), "S1") == {
        "msgtype": "text",
        "text": {"content": "hi"},
        "at": {"atUserIds": ["S1"]},
    }
    assert render.robot_message(Reply("hi")) == ("sampleText", {"content": "hi"})
