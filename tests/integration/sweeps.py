"""What the per-area BOLA sweeps share (tests/integration/test_bola_sweeps.py).

A sweeper types every command an area registers, with every subcommand word the area knows,
against records that are not theirs and against guessed ids, and taps every button on other
members' cards. Afterwards nothing of the victims' may have been shown, and every row of the
database that is not the sweeper's own must be exactly as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from bot.models import metadata
from bot.replies import Card, as_text
from bot.router import Router
from domain.directory.services import find_member
from domain.directory.views import MemberView
from tests.integration.approvals_rig import Office

# Guessed ids: nothing, negative, far too big, not a number, full-width digits (＃１ reads as #1)
GUESSES = ("0", "-1", "99999", "#abc", "１", "＃１", "９９９９９")
CRASHED = ("Sorry, something went wrong", "出错了")
SKIPPED = frozenset({"inbox", "job_runs"})  # what every message writes; periodic job claims

Owned = Callable[[Row[Any], MemberView], bool]
# The rows a sweeper may change by themselves: their own conversation, buttons, questions,
# reminders, digest setting, calendar shares and feed.
OWN: Mapping[str, Owned] = {
    "outbox": lambda row, me: row.conversation == me.handle,
    "action_tokens": lambda row, me: row.allowed == [me.id],
    "prompts": lambda row, me: row.member_id == me.id,
    "timers": lambda row, me: row.owner_id == me.id,
    "digest_settings": lambda row, me: row.member_id == me.id,
    "calendar_shares": lambda row, me: row.owner_id == me.id,
    "member_tokens": lambda row, me: row.member_id == me.id,
}


def area_commands(register: Callable[[Router], None]) -> list[str]:
    """The names of the commands an area registers (so that commands added later are swept)."""
    router = Router()
    register(router)
    return [spec.name for spec in router.commands()]


def tokens_on_cards(office: Office, conversations: Iterable[str]) -> list[str]:
    """Every button token on every version of every card in these conversations."""
    found: list[str] = []
    for conversation in conversations:
        for posted in office.memory.conversation(conversation):
            for version in posted.versions:
                if isinstance(version, Card):
                    found += [b.token for b in version.buttons if b.token]
    return list(dict.fromkeys(found))


async def others_rows(office: Office, sweeper: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, but the sweeper's own (see ``OWN``), to compare before and
    after a sweep."""

    def work(session: Session) -> dict[str, list[tuple[Any, ...]]]:
        me = find_member(session, sweeper)
        assert me is not None
        rows: dict[str, list[tuple[Any, ...]]] = {}
        for table in metadata.sorted_tables:
            if table.name in SKIPPED:
                continue
            mine = OWN.get(table.name, lambda _row, _me: False)
            found = session.execute(select(table).order_by(*table.primary_key.columns))
            rows[table.name] = [tuple(row) for row in found if not mine(row, me)]
        return rows

    return await office.run(work)


def changed(
    before: Mapping[str, list[tuple[Any, ...]]], after: Mapping[str, list[tuple[Any, ...]]]
) -> dict[str, tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """The tables whose rows differ, with the rows only before and only after."""
    return {
        name: (
            [r for r in before[name] if r not in after[name]],
            [r for r in after[name] if r not in before[name]],
        )
        for name in before
        if before[name] != after[name]
    }


@dataclass
class Sweep:
    """What one sweeper was told, and what was logged meanwhile."""

    office: Office
    sweeper: str
    sent: int = 0
    answers: list[str] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)

    async def say(self, lines: Sequence[str]) -> list[str]:
        """Type the lines (in bursts) and return the answers' texts, every version of each."""
        with structlog.testing.capture_logs() as logs:
            posted = await self.office.say_many(self.sweeper, lines)
        return self._took(len(lines), [as_text(v) for p in posted for v in p.versions], logs)

    async def tap(self, tokens: Sequence[str]) -> list[str]:
        """Tap the buttons (in bursts) and return the answers' texts."""
        with structlog.testing.capture_logs() as logs:
            posted = await self.office.tap_many(self.sweeper, tokens)
        return self._took(len(tokens), [as_text(v) for p in posted for v in p.versions], logs)

    def _took(self, sent: int, texts: list[str], logs: list[Any]) -> list[str]:
        assert len(texts) >= sent, (sent, texts[-5:])  # every line and tap was answered
        self.sent += sent
        self.answers += texts
        self.logs += logs
        return texts

    def leaks(self, secrets: Iterable[str]) -> list[tuple[str, str]]:
        """The answers that show a secret (or a crash, which may hide one), with what they show."""
        return [
            (secret, text)
            for text in self.answers
            for secret in (*secrets, *CRASHED)
            if secret in text
        ]

    def logged(self, answer: str, event: str) -> tuple[int, int]:
        """How many answers match ``answer`` (a regular expression), and how many ``event``
        refusals were logged: the same numbers when each of those refusals is logged."""
        answered = sum(re.match(answer, text) is not None for text in self.answers)
        return answered, sum(entry["event"] == event for entry in self.logs)


def as_if_absent(texts: Sequence[str], number: int) -> list[str]:
    """Answers about record ``number`` with the number replaced by a placeholder."""
    pattern = re.compile(rf"(?<!\d){number}(?!\d)")
    return [pattern.sub("N", text) for text in texts]


def unlike(seen: Sequence[str], absent: Sequence[str]) -> list[tuple[str, str]]:
    """Where the answers about a record the sweeper may not see (numbers replaced, see
    ``as_if_absent``) read otherwise than those about a number that does not exist."""
    if len(seen) != len(absent):
        return [("\n".join(seen), "\n".join(absent))]
    return [(s, a) for s, a in zip(seen, absent, strict=True) if s != a]
