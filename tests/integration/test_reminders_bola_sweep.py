"""A sweep over the reminder commands: bob (sales, who may set reminders only for himself)
types each command the reminders register, with every subcommand word they know, against
every timer of the others (carol's reminders, one alice set for carol, carol's reminder for
a conversation, whatever else is scheduled) and guessed numbers, and taps every button on the
others' cards. A reminder is seen and cancelled by its owner and by whoever set it
(docs/PERMISSIONS.md: setting one for others takes reminders.others): bob learns nothing of
them and changes nothing but his own rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.i18n import t
from commands import reminders
from commands.reminders import HERE_WORDS, SELF_WORDS
from domain.timers.models import Timer
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
SHAPES = ("/{c} {n}", "/{c} #{n}", "/{c} cancel {n}", "/{c} 取消 {n}", "/{c} list {n}")
WORDED = (
    *(f"/remind {w} tomorrow 9am about reminder {{n}} if still pending" for w in SELF_WORDS),
    *(f"/remind {w} tomorrow 9am bob-was-here {{n}}" for w in (*HERE_WORDS, "@carol")),
)
SECRETS = ("carol-secret", "alice-secret", "Alice Admin", "Carol Chen")


async def reminders_of_others(timed: Timed) -> list[int]:
    """carol's reminders (one-off, daily, for her team's conversation), one alice set for her,
    and two that went off, with their snooze and stop buttons; returns every timer's number."""
    await timed.say("carol", "/remind me tomorrow 9am carol-secret-call")
    await timed.say("alice", "/remind @carol in 2 hours alice-secret-for-carol")
    await timed.say("carol", "/remind #here tomorrow 10am carol-secret-standup")
    await timed.say("carol", "/remind me in 5 minutes carol-secret-soon")
    await timed.say("carol", "/remind me every day 10:05am carol-secret-daily")
    await timed.say("carol", "/remind me every monday 9am carol-secret-weekly")
    await timed.advance(timedelta(minutes=6))  # the one-off and the daily one go off
    return await timed.runtime.db.run(
        lambda s: list(s.scalars(select(Timer.id).order_by(Timer.id)))
    )


async def test_no_reminder_command_shows_or_changes_anothers_reminder(
    settings: Settings,
) -> None:
    async with timed_chat(settings, START) as timed:
        numbers = await reminders_of_others(timed)
        assert "carol-secret-weekly" in (await timed.say("carol", "/reminders")).text
        before = await others_rows(timed, "bob")
        bob = Sweep(timed, "bob", "zh_CN")
        commands = area_commands(reminders.register)

        lines = [s.format(c=c, n=n) for n in numbers for c in commands for s in SHAPES]
        lines += [line.format(n=n) for n in numbers[:2] for line in WORDED]
        lines += [s.format(c=c, n=g) for c in commands for s in SHAPES for g in GUESSES]
        await bob.say(lines)
        tapped = await bob.tap(tokens_on_cards(timed, OTHERS))

        assert bob.leaks(SECRETS) == []
        assert set(tapped) == {t("zh_CN", "This button is not for you.")}
        assert changed(before, await others_rows(timed, "bob")) == {}
        assert bob.sent > 150 and len(tapped) >= 10
        for refusal, event in (
            ("That reminder is not yours.", "refused.reminder_not_yours"),
            ("You may set reminders only for yourself.", "refused.permission"),
            ("This button is not for you.", "refused.token_not_yours"),
        ):
            answered, logged = bob.logged(event, refusal)
            assert answered == logged > 0, refusal
