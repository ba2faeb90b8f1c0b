"""A sweep over the daily digest: erin (sales) types the digest command with every word it
knows, guessed values and other members' names, and taps every button on the others' cards
(carol's digest among them). A digest is its member's own: what waits for them, their
reminders, DINGs and meetings of the day (docs/NOTICES.md). erin's own digest must show hers
and nothing of carol's, and nothing but erin's own rows may change."""

from __future__ import annotations

import pytest

from bot.config import Settings
from commands import digest
from commands.digest import NOW_WORDS, OFF_WORDS, ON_WORDS
from tests.integration.approvals_rig import Office, running_office
from tests.integration.sweeps import (
    GUESSES,
    Sweep,
    area_commands,
    changed,
    others_rows,
    tokens_on_cards,
)

pytestmark = pytest.mark.slow
OTHERS = ("wang", "frank", "fiona", "hana", "carol", "bob", "dan")
VALUES = (*OFF_WORDS, *ON_WORDS, *NOW_WORDS, "08:30", "8点半", "@carol", "carol", "now @carol")
SECRETS = ("dan-secret", "wang-secret", "carol-secret", "Dan Deng", "Wang Wei", "Carol Chen")


async def carols_day(office: Office) -> None:
    """A request waiting for carol, a DING to her, a meeting and a reminder of hers today, her
    digest moved to 08:30 and shown now (with its Turn off button); erin has a reminder too."""
    await office.say("dan", '/expense amount=100 category=meals reason="dan-secret-lunch"')
    await office.say("wang", "/ding @carol wang-secret-ding")
    await office.say("wang", '/meeting "carol-secret-meeting" today 4pm with @carol')
    await office.say("carol", "/remind me in 3 hours carol-secret-reminder")
    await office.say("carol", "/digest 08:30")
    shown = await office.say("carol", "/digest now")
    assert all(s in shown.text for s in ("Dan Deng", "wang-secret", "carol-secret-meeting"))
    await office.say("erin", "/remind me in 2 hours erin-own-reminder")


async def test_no_digest_command_shows_or_changes_anothers_digest(settings: Settings) -> None:
    async with running_office(settings) as office:
        await carols_day(office)
        before = await others_rows(office, "erin")
        erin = Sweep(office, "erin", "en")
        commands = area_commands(lambda router: digest.register(router, ()))

        said = await erin.say([f"/{c} {v}" for c in commands for v in (*VALUES, *GUESSES, "")])
        tapped = await erin.tap(tokens_on_cards(office, OTHERS))

        assert erin.leaks(SECRETS) == []
        assert any("erin-own-reminder" in text for text in said)  # her digest, composed
        assert set(tapped) == {"This button is not for you."}
        assert changed(before, await others_rows(office, "erin")) == {}
        assert erin.sent > 20 and len(tapped) > 10
        answered, logged = erin.logged("refused.token_not_yours", "This button is not for you.")
        assert answered == logged > 0
