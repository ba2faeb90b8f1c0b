"""Approvals on a chat platform: members bound through chat identities (the ``chat`` memory
channel, as Slack or Telegram resolve senders) submit, get their cards and notices there, and
the cards render as Slack blocks and Telegram inline keyboards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial

import pytest

from adapters.slack.render import message_arguments
from adapters.telegram.render import render
from bot.config import Settings
from bot.replies import Card
from domain.approvals.state import Status
from domain.directory.services import create_bind_code
from tests.integration.approvals_rig import Office, button, running_office


@pytest.fixture
async def office(settings: Settings) -> AsyncIterator[Office]:
    async with running_office(settings) as opened:
        for handle in ("dan", "carol"):
            code = await opened.run(
                partial(
                    create_bind_code, handle=handle, now=opened.clock.now(), ttl=timedelta(days=1)
                )
            )
            bound = await opened.say(f"u-{handle}", f"/bind {code}", channel="chat")
            assert "@" + handle in bound.text, bound.text
        yield opened


def platform_card(office: Office, user: str, n: int) -> Card:
    for posted in reversed(office.chat.conversation(user)):
        if isinstance(posted.message, Card) and f"#{n}" in posted.message.title:
            return posted.message
    raise AssertionError(f"no card about #{n} for {user}")


async def test_a_request_submitted_and_decided_on_a_platform(office: Office) -> None:
    submitted = await office.say(
        "u-dan", "/expense amount=300 category=meals reason=lunch", channel="chat"
    )
    assert "Submitted as #1." in submitted.text
    card = platform_card(office, "u-carol", 1)  # carol's card comes where she is bound
    assert "Waiting for you" in card.body
    refused = await office.tap("u-dan", button(card, "Approve").token, channel="chat")
    assert refused.text == "This button is not for you."
    await office.tap("u-carol", button(card, "Approve").token, channel="chat")
    assert (await office.request(1)).status == Status.APPROVED
    assert platform_card(office, "u-carol", 1).buttons == ()  # updated in place
    assert "Your request is approved." in office.chat.last("u-dan").text


async def test_approval_cards_render_on_slack_and_telegram(office: Office) -> None:
    await office.say("u-dan", "/expense amount=8000 category=travel reason=fair", channel="chat")
    card = platform_card(office, "u-carol", 1)
    telegram = render(card)
    assert telegram.keyboard is not None
    tapped = [b.callback_data for row in telegram.keyboard.inline_keyboard for b in row]
    assert tapped == [b.token for b in card.buttons]  # every button taps, with its token only
    assert all(len(str(data).encode()) <= 64 for data in tapped)
    slack = message_arguments(card)
    actions = [
        e for block in slack["blocks"] if block["type"] == "actions" for e in block["elements"]
    ]
    assert [a["text"]["text"] for a in actions] == [
        "Approve",
        "Reject",
        "Transfer",
        "Add approver",
        "Return",
    ]
    assert "Expense reimbursement #1" in slack["text"]
