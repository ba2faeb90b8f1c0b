"""A sweep over every calendar command: bob (sales) types each command the calendar registers,
with every subcommand word it knows, against meetings he is not invited to and guessed
numbers, and taps every button on the other members' cards. A meeting is seen in full by its
organiser and attendees and by those who may read their calendars (their managers, holders of
calendar.others, whom they shared it with; docs/PERMISSIONS.md), none of which bob is for
emma's and carol's meetings: he may learn when they are busy, nothing else, and nothing but his
own rows may change."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.i18n import t
from bot.parsing import every_word
from commands import calendar
from commands.calendar.agenda import SPAN_WORDS, ShareArgs
from commands.calendar.feed import FeedArgs
from commands.calendar.meeting import ANSWER_WORDS, CANCEL_WORDS, MOVE_WORDS
from tests.integration.calendar_rig import EMMA_CHAT, Timed, calendar_rig
from tests.integration.sweeps import (
    GUESSES,
    Sweep,
    area_commands,
    changed,
    others_rows,
    tokens_on_cards,
)

pytestmark = pytest.mark.slow
OTHERS = ("alice", "carol", "hana", EMMA_CHAT)  # emma is on the "chat" channel
SHAPES = ("/{c} {n}", "/{c} #{n}", "/{c} {n} tomorrow 4pm", "/{c} @emma {n}")
WORDED = (
    *(f"/meeting {w} {{n}}" for w in (*CANCEL_WORDS, *ANSWER_WORDS)),
    *(f"/meeting {w} {{n}} tomorrow 4pm" for w in MOVE_WORDS),
)
UNNUMBERED = (
    *(f"/agenda {w} @{who}" for w in SPAN_WORDS for who in ("emma", "carol")),
    *(f"/agenda @emma {w}" for w in SPAN_WORDS),
    *(f"/share {w}" for w in every_word(ShareArgs, "what")),
    *(f"/unshare {w} @emma" for w in every_word(ShareArgs, "what")),
    *(f"/ics {w}" for w in every_word(FeedArgs, "action")),
)
SECRETS = ("emma-secret", "carol-secret", "Alice Admin", "Hana HR")


async def meetings_of_others(cal: Timed) -> list[int]:
    """emma's meeting with carol, carol's with emma and alice, emma's cancelled one and her
    weekly series; emma shares her calendar with carol. Returns the meeting numbers."""
    await cal.say_as(
        "emma",
        '/meeting "emma-secret-title" tomorrow 3pm with @carol at emma-secret-room '
        'notes="emma-secret-notes"',
    )
    await cal.say_as("carol", '/meeting "carol-secret-title" tomorrow 10am with @emma @alice')
    await cal.say_as("emma", '/meeting "emma-secret-cancelled" tomorrow 5pm with @carol')
    await cal.say_as("emma", "/meeting cancel 3")
    await cal.say_as("emma", '/meeting "emma-secret-standup" every weekday 9:30 with @carol')
    await cal.say_as("emma", "/share calendar @carol")
    await cal.say_as("carol", "/meeting accept 1")
    return [1, 2, 3, 4]


async def test_no_calendar_command_shows_or_changes_anothers_meeting(settings: Settings) -> None:
    async with calendar_rig(settings) as cal:
        numbers = await meetings_of_others(cal)
        assert "emma-secret-standup" in (await cal.say("carol", "/agenda week @emma")).text
        before = await others_rows(cal, "bob")
        bob = Sweep(cal, "bob", "zh_CN")
        commands = area_commands(calendar.register)

        lines = [s.format(c=c, n=n) for n in numbers for c in commands for s in SHAPES]
        lines += [line.format(n=n) for n in numbers for line in WORDED]
        lines += [f"/meeting {w} {g}" for w in ("cancel", "accept") for g in GUESSES]
        await bob.say([*lines, *UNNUMBERED, *(f"/{c} {g}" for c in commands for g in GUESSES)])
        tapped = await bob.tap(tokens_on_cards(cal, OTHERS))

        cancelled = t("zh_CN", "Meeting #{id} was cancelled.", id=3)  # that is emma's business
        assert bob.leaks([*SECRETS, cancelled]) == []
        assert set(tapped) == {t("zh_CN", "This button is not for you.")}
        assert changed(before, await others_rows(cal, "bob")) == {}
        assert bob.sent > 250 and len(tapped) > 8
        for refusal, event in (
            ("Only the organiser can change meeting #{id}.", "refused.not_organiser"),
            ("You are not invited to meeting #{id}.", "refused.not_invited"),
            ("This button is not for you.", "refused.token_not_yours"),
        ):
            answered, logged = bob.logged(event, refusal)
            assert answered == logged > 0, refusal
