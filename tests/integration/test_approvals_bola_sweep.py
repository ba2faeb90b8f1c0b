"""A sweep over every approvals command: erin (sales, reporting to carol) types each command the
approvals area registers, in every shape and with every subcommand word it knows, against her
colleague dan's requests, carol's own and guessed numbers, and taps every button on everyone
else's cards. A request is visible to its initiator, those who had a part in it, those it was
copied to and holders of approvals.audit (docs/APPROVALS.md), none of which erin is: every answer
must read exactly as for a request that does not exist, each refusal must be logged, and nothing
but erin's own rows may change."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.parsing import every_word
from commands import approvals
from commands.approvals.decide import INITIATOR_WORDS, AddsignArgs
from commands.approvals.delegate import BALANCE_WORDS
from commands.approvals.lists import ListArgs
from tests.integration.approvals_rig import Office, running_office
from tests.integration.sweeps import (
    GUESSES,
    Sweep,
    area_commands,
    as_if_absent,
    changed,
    others_rows,
    tokens_on_cards,
    unlike,
)

pytestmark = pytest.mark.slow
OTHERS = ("wang", "frank", "fiona", "hana", "carol", "bob", "dan")
# each command with every subcommand word it knows, about dan's pending request (N) and his
# two delegations (D)
WORDED = (
    *(f"/approvals {w}" for w in every_word(ListArgs, "which")),
    *(f"/leave {w} @dan" for w in BALANCE_WORDS),
    *(f"/leave {w} @carol 2026" for w in BALANCE_WORDS),
    *(f"/addsign {{n}} {w} @erin" for w in every_word(AddsignArgs, "where")),
    *(f"/return {{n}} to={w} why" for w in INITIATOR_WORDS),
    *(f"/delegate {w} {d}" for w in ("list", "列表", "cancel", "取消") for d in (1, 2)),
)
SHAPES = (
    "/{c} {n}", "/{c} {n} fine by me", "/{c} {n} @bob please", "/{c} {n} to=Manager why",
    "/{c} {n} before @erin",
)  # fmt: skip
# a reminder bound to a request, which fires only while the request is in that state
GUARDS = (
    "/remind me tomorrow 9am about approval {n} if still pending",
    "/remind me tomorrow 9am about approval {n} if still approved",
)
SECRETS = (
    "dan-secret", "carol-secret", "4,321", "4321", "8,888", "8888", "30,000", "Dan Deng",
    "Wang Wei", "Hana HR",
)  # fmt: skip
ABSENT = 999  # no request has this number


async def requests_of_others(office: Office) -> list[int]:
    """dan's pending, approved and returned requests and carol's own pending one (and dan's
    delegations); returns their numbers."""
    pending = await office.submit(
        "dan", '/expense amount=4321 category=meals reason="dan-secret-dinner"'
    )
    leave = await office.submit(
        "dan", '/leave type=sick dates=2026-12-02..2026-12-03 reason="dan-secret-op" deputy=@bob'
    )
    await office.say("carol", f"/approve {leave}")
    returned = await office.submit(
        "dan", '/purchase item="dan-secret-gpu" quantity=2 amount=8888 reason="dan-secret-lab"'
    )
    await office.say("carol", f"/return {returned} dan-secret-return-note")
    own = await office.submit(
        "carol", '/expense amount=30000 category=travel reason="carol-secret-trip"'
    )
    await office.say("dan", "/delegate @bob from 2026-12-07 to 2026-12-09")
    return [pending, leave, returned, own]


def lines_about(number: int) -> list[str]:
    """Every approvals command in every shape about one request number."""
    commands = area_commands(approvals.register)
    lines = [shape.format(c=c, n=number) for c in commands for shape in SHAPES]
    return lines + [guard.format(n=number) for guard in GUARDS]


async def test_no_approvals_command_shows_or_changes_anothers_request(
    sqlite_settings: Settings,
) -> None:
    # who sees a request is the same ORM query on either database: SQLite (docs/DEVELOPING.md)
    async with running_office(sqlite_settings) as office:
        numbers = await requests_of_others(office)
        before = await others_rows(office, "erin")
        erin = Sweep(office, "erin", "en")
        commands = area_commands(approvals.register)

        absent = as_if_absent(await erin.say(lines_about(ABSENT)), ABSENT)
        for n in numbers:
            assert unlike(as_if_absent(await erin.say(lines_about(n)), n), absent) == []
        await erin.say([line.format(n=numbers[0]) for line in WORDED])
        await erin.say([f"/{c} {guess}" for c in commands for guess in GUESSES])
        tapped = await erin.tap(tokens_on_cards(office, OTHERS))

        assert erin.leaks(SECRETS) == []
        assert set(tapped) == {"This button is not for you."}
        assert changed(before, await others_rows(office, "erin")) == {}
        assert erin.sent > 500 and len(tapped) > 20
        for refusal, event in (
            ("There is no approval #{id} that you can see.", "refused.approval_not_yours"),
            ("There is no {type} {id}.", "refused.reminder_record"),
            ("This button is not for you.", "refused.token_not_yours"),
            ("That delegation is not yours.", "refused.delegation_not_yours"),
            ("You may see only your own leave balance.", "refused.permission"),
        ):
            answered, logged = erin.logged(event, refusal)
            assert answered == logged > 0, refusal
