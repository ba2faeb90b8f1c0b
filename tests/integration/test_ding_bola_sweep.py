"""A sweep over the urgent notices: bob (sales) types each command the DING area registers,
with every subcommand word it knows, against DINGs he neither sent nor received and guessed
numbers, and taps every button on the others' cards. Only a DING's sender sees who has
acknowledged it, and only its recipients acknowledge it (docs/NOTICES.md, PERMISSIONS.md):
bob learns nothing of them and changes nothing but his own rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Settings
from bot.i18n import t
from commands import ding
from commands.ding import ACK_WORDS, STATUS_WORDS
from tests.integration.sweeps import (
    GUESSES,
    Sweep,
    area_commands,
    changed,
    others_rows,
    tokens_on_cards,
)
from tests.timed import Timed, timed_chat

pytestmark = pytest.mark.slow
START = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
OTHERS = ("alice", "carol")
SHAPES = ("/{c} {n}", "/{c} #{n}", *(f"/{{c}} {w} {{n}}" for w in (*STATUS_WORDS, *ACK_WORDS)))
SECRETS = ("alice-secret", "carol-secret", "Alice Admin", "Carol Chen")


async def dings_of_others(timed: Timed) -> list[int]:
    """alice's DING to carol (re-pinged once), carol's to alice, and one carol acknowledged;
    returns their numbers."""
    await timed.say("alice", "/ding @carol alice-secret-server-down")
    await timed.say("carol", "/ding @alice carol-secret-contract every 30m max 5")
    await timed.say("alice", "/ding @carol alice-secret-lunch max 0")
    await timed.say("carol", "/ding ack 3")
    await timed.advance(timedelta(minutes=11))  # carol gets DING 1 again
    return [1, 2, 3]


async def test_no_ding_command_shows_or_changes_anothers_notice(settings: Settings) -> None:
    async with timed_chat(settings, START) as timed:
        numbers = await dings_of_others(timed)
        assert "Carol Chen" in (await timed.say("alice", "/ding status 1")).text
        before = await others_rows(timed, "bob")
        bob = Sweep(timed, "bob", "zh_CN")
        commands = area_commands(ding.register)

        lines = [s.format(c=c, n=n) for n in (*numbers, *GUESSES) for c in commands for s in SHAPES]
        await bob.say([*lines, *(f"/{c} {w}" for c in commands for w in STATUS_WORDS)])
        tapped = await bob.tap(tokens_on_cards(timed, OTHERS))

        assert bob.leaks(SECRETS) == []
        assert set(tapped) == {t("zh_CN", "This button is not for you.")}
        assert changed(before, await others_rows(timed, "bob")) == {}
        assert bob.sent > 60 and len(tapped) >= 5
        for event, *refusals in (
            (
                "refused.notice",
                "Only the sender can see who acknowledged DING {id}.",
                "This DING is not for you.",
            ),
            ("refused.token_not_yours", "This button is not for you."),
        ):
            answered, logged = bob.logged(event, *refusals)
            assert answered == logged > 0, refusals
