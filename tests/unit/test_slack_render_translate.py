"""Slack's pure parts: Block Kit rendering and payload translation."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest

from adapters.slack.render import card_blocks, message_arguments
from adapters.slack.translate import (
    PayloadError,
    action_events,
    command_event,
    command_text,
    message_event,
)
from bot.events import EventKind
from bot.replies import Button, ButtonStyle, Card, CardStatus, Field, Reply
from tests.fakes import slack_requests as slack


def form(body: str) -> dict[str, Any]:
    return dict(parse_qsl(body))


CARD = Card(
    title="Leave request #42",
    body="Bob asks for 2 days <annual> & more",
    fields=(Field("From", "2026-12-01"), Field("To", "2026-12-02")),
    buttons=(
        Button("Approve", token="tokApprove_0123456789a", style=ButtonStyle.PRIMARY),
        Button("Reject", token="tokReject-0123456789ab", style=ButtonStyle.DANGER),
        Button("English", command="/lang en"),
    ),
    footer="Reply within 3 days",
    status=CardStatus.PENDING,
)


def test_a_card_becomes_header_section_fields_actions_context() -> None:
    blocks = card_blocks(CARD)
    assert [b["type"] for b in blocks] == [
        "header",
        "section",
        "section",
        "actions",
        "context",
        "context",
    ]
    assert blocks[0]["text"] == {
        "type": "plain_text",
        "text": ":hourglass_flowing_sand: Leave request #42",
        "emoji": True,
    }
    assert blocks[1]["text"]["text"] == "Bob asks for 2 days &lt;annual&gt; &amp; more"
    assert [f["text"] for f in blocks[2]["fields"]] == ["*From*\n2026-12-01", "*To*\n2026-12-02"]
    approve, reject = blocks[3]["elements"]
    assert approve == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Approve", "emoji": True},
        "action_id": "tokApprove_0123456789a",
        "value": "tokApprove_0123456789a",
        "style": "primary",
    }
    assert reject["style"] == "danger"
    assert "`/lang en`" in blocks[4]["elements"][0]["text"]
    assert blocks[5]["elements"][0]["text"] == "Reply within 3 days"


def test_the_notification_text_is_the_card_without_buttons() -> None:
    arguments = message_arguments(CARD)
    assert arguments["text"].splitlines()[0] == "Leave request #42"
    assert "From: 2026-12-01" in arguments["text"]
    assert "tokApprove" not in arguments["text"]
    assert message_arguments(Reply("a < b")) == {"text": "a &lt; b"}


def test_block_kit_limits_hold_for_huge_cards() -> None:
    huge = Card(
        title="T" * 500,
        body="&" * 5000,
        fields=tuple(Field(f"f{i}", "v" * 3000) for i in range(23)),
        buttons=tuple(Button("B" * 100, token=f"tok{i:019d}") for i in range(30)),
    )
    blocks = card_blocks(huge)
    assert len(blocks) <= 50
    assert len(blocks[0]["text"]["text"]) <= 150
    sections = [b for b in blocks if b["type"] == "section"]
    assert all(len(b["text"]["text"]) <= 3000 for b in sections if "text" in b)
    assert "".join(b["text"]["text"] for b in sections if "text" in b) == "&amp;" * 5000
    assert all(len(b["fields"]) <= 10 for b in sections if "fields" in b)
    assert all(len(f["text"]) <= 2000 for b in sections if "fields" in b for f in b["fields"])
    actions = [b for b in blocks if b["type"] == "actions"]
    assert [len(b["elements"]) for b in actions] == [25, 5]
    assert all(len(e["text"]["text"]) <= 75 for b in actions for e in b["elements"])


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("whoami", "/whoami"),
        ("  lang   zh ", "/lang   zh"),
        ("", "/help"),
        ("/help lang", "/help lang"),
        ("我是谁", "/我是谁"),
        ("note a &lt; b &amp; c", "/note a < b & c"),
    ],
)
def test_slash_command_text_becomes_our_command(text: str, command: str) -> None:
    assert command_text(text) == command


def test_a_slash_command_maps_team_channel_and_user() -> None:
    body = form(slack.command("whoami", response_url="https://hooks.slack.com/commands/1"))
    event = command_event(body)
    assert event.kind is EventKind.COMMAND
    assert (event.address.channel, event.address.workspace) == ("slack", "T0TEST")
    assert event.address.conversation == "C0GENERAL"
    assert event.sender_id == "U0ALICE" and event.text == "/whoami"
    assert event.event_id == f"command:{body['trigger_id']}"
    assert event.extra == {"response_url": "https://hooks.slack.com/commands/1"}
    assert not event.is_direct
    with pytest.raises(PayloadError):
        command_event({**body, "trigger_id": ""})


def test_a_tap_carries_only_the_token() -> None:
    payload = slack.action_payload("tok_abc-123", user="U0CAROL", channel="D0CAROL")
    payload["actions"][0]["text"] = {"type": "plain_text", "text": "approve #99 as admin"}
    [event] = action_events(payload)
    assert event.kind is EventKind.ACTION
    assert event.action_token == "tok_abc-123"
    assert (event.sender_id, event.address.conversation) == ("U0CAROL", "D0CAROL")
    assert event.event_id == f"action:{payload['trigger_id']}" and event.is_direct
    forged = slack.action_payload("<script>")
    with pytest.raises(PayloadError):
        action_events(forged)
    with pytest.raises(PayloadError):
        action_events({**payload, "type": "view_submission"})


def test_direct_messages_and_mentions_become_events() -> None:
    dm = message_event({"team_id": "T1", "event_id": "Ev1", "event": slack.direct_message("hi")})
    assert dm is not None
    assert (dm.kind, dm.text, dm.event_id, dm.is_direct) == (EventKind.MESSAGE, "hi", "Ev1", True)
    mention = {
        "type": "app_mention",
        "user": "U0ALICE",
        "channel": "C1",
        "text": "<@U0BOT|bizbot>: /lang zh",
    }
    event = message_event({"team_id": "T1", "event_id": "Ev2", "event": mention})
    assert event is not None
    assert (event.kind, event.text, event.is_direct) == (EventKind.COMMAND, "/lang zh", False)
    bare = message_event({"event_id": "Ev3", "event": {**mention, "text": "<@U0BOT>"}})
    assert bare is not None and bare.text == "/help"


@pytest.mark.parametrize(
    "event",
    [
        {**slack.direct_message("/whoami"), "bot_id": "B0BOT"},
        {**slack.direct_message("/whoami"), "subtype": "bot_message"},
        {**slack.direct_message("/whoami"), "subtype": "message_deleted"},
        {**slack.direct_message("/whoami"), "channel_type": "channel"},
        {**slack.direct_message(""), "files": [{"id": "F1"}]},
        {"type": "member_joined_channel", "user": "U0ALICE", "channel": "C1"},
    ],
)
def test_bots_edits_and_other_events_are_ignored(event: dict[str, Any]) -> None:
    assert message_event({"event_id": "Ev9", "event": event}) is None
