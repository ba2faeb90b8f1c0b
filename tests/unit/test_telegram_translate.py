"""Telegram updates become the events Bizbot expects, and only those meant for it."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.telegram.translate import (
    BotIdentity,
    UpdateError,
    bot_id_of,
    callback_query_id,
    parse_update,
    to_event,
)
from bot.events import Address, EventKind, InboundEvent
from tests.fake_telegram import BOT_ID, TOKEN, USERNAME
from tests.telegram_updates import callback_update, message_update

ME = BotIdentity(BOT_ID, USERNAME)
GROUP = -100123


def event_of(data: dict[str, object], me: BotIdentity = ME) -> object:
    return to_event(parse_update(data), me)


def test_private_command_maps_sender_chat_and_language() -> None:
    event = to_event(parse_update(message_update(5, 1001, "/whoami", language="zh-hans")), ME)
    assert event is not None
    assert event.kind is EventKind.COMMAND
    assert event.address == Address("telegram", "1001")
    assert (event.sender_id, event.text, event.locale_hint) == ("1001", "/whoami", "zh-hans")
    assert event.event_id == f"{BOT_ID}:5"
    assert event.is_direct and event.sender_name == "User1001"


def test_plain_text_is_taken_in_private_chats_only() -> None:
    private = to_event(parse_update(message_update(1, 1001, "hello")), ME)
    assert private is not None and private.kind is EventKind.MESSAGE
    assert event_of(message_update(2, 1001, "hello", chat_id=GROUP)) is None


def test_group_commands_must_be_bare_or_addressed_to_us() -> None:
    bare = to_event(parse_update(message_update(1, 1001, "/help", chat_id=GROUP)), ME)
    addressed = message_update(2, 1001, f"/help@{USERNAME.upper()} x", chat_id=GROUP)
    ours = to_event(parse_update(addressed), ME)
    assert bare is not None and ours is not None
    assert not bare.is_direct and bare.address.conversation == str(GROUP)
    assert ours.text == f"/help@{USERNAME.upper()} x"
    assert event_of(message_update(3, 1001, "/help@other_bot", chat_id=GROUP)) is None


def test_addressed_group_commands_wait_until_the_username_is_known() -> None:
    nameless = BotIdentity(BOT_ID)
    update = message_update(1, 1001, f"/help@{USERNAME}", chat_id=GROUP)
    assert event_of(update, nameless) is None
    assert event_of(message_update(2, 1001, "/help", chat_id=GROUP), nameless) is not None


def test_messages_from_bots_and_without_text_are_ignored() -> None:
    assert event_of(message_update(1, BOT_ID, "/help", is_bot=True)) is None
    assert event_of(message_update(2, 4242, "/help", is_bot=True)) is None
    assert event_of(message_update(3, 1001, "   ")) is None
    assert (
        event_of({"update_id": 4, "edited_message": message_update(4, 1, "x")["message"]}) is None
    )


def test_button_tap_carries_the_token_and_is_answerable() -> None:
    update = parse_update(
        callback_update(9, 1002, "tok_abc", chat_id=GROUP, message_id=77, query_id="q-9")
    )
    event = to_event(update, ME)
    assert event is not None
    assert event.kind is EventKind.ACTION
    assert (event.action_token, event.sender_id) == ("tok_abc", "1002")
    assert event.address == Address("telegram", str(GROUP)) and not event.is_direct
    assert callback_query_id(update) == "q-9"
    assert callback_query_id(parse_update(message_update(1, 1001, "/x"))) is None


def in_topic(update: dict[str, Any], topic: int, key: str = "message") -> dict[str, Any]:
    """The update as sent in a forum topic of a supergroup (a deal room)."""
    message = update[key] if key == "message" else update[key]["message"]
    message.update(message_thread_id=topic, is_topic_message=True)
    message["chat"]["is_forum"] = True
    return update


def test_a_command_in_a_forum_topic_is_answered_in_that_topic() -> None:
    typed = event_of(in_topic(message_update(1, 1001, "/ping", chat_id=GROUP), 45))
    tapped = event_of(
        in_topic(callback_update(2, 1001, "tok", chat_id=GROUP, message_id=7), 45, "callback_query")
    )
    general = event_of(message_update(3, 1001, "/ping", chat_id=GROUP))
    assert isinstance(typed, InboundEvent) and isinstance(tapped, InboundEvent)
    assert typed.address == tapped.address == Address("telegram", f"{GROUP}/45")
    assert isinstance(general, InboundEvent)
    assert general.address == Address("telegram", str(GROUP))


def test_taps_without_data_are_not_events_but_still_answerable() -> None:
    data = callback_update(9, 1002, "x", chat_id=1002, message_id=1)
    del data["callback_query"]["data"]
    update = parse_update(data)
    assert to_event(update, ME) is None
    assert callback_query_id(update) == "cq9"


@pytest.mark.parametrize("body", [[], {"message": {}}, {"update_id": "7"}, "x", None])
def test_bodies_that_are_not_updates_are_refused(body: object) -> None:
    with pytest.raises(UpdateError):
        parse_update(body)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("/start", "/help"),
        (f"/start@{USERNAME}", "/help"),
        ("/start K7PD-M3QX", "/bind K7PD-M3QX"),
        ("/started", "/started"),
        ("/help start", "/help start"),
    ],
)
def test_start_shows_help_and_a_start_link_binds(typed: str, meant: str) -> None:
    event = to_event(parse_update(message_update(1, 1001, typed)), ME)
    assert event is not None and event.text == meant


def test_bot_id_comes_from_the_token() -> None:
    assert bot_id_of(TOKEN) == BOT_ID
    with pytest.raises(ValueError, match="BotFather"):
        bot_id_of("not-a-token")
