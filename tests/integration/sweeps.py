"""What the per-area BOLA sweeps share (tests/integration/test_*_bola_sweep.py).

A sweeper types every command an area registers, with every subcommand word the area knows,
against records that are not theirs and against guessed ids, and taps every button on other
members' cards. Afterwards nothing of the others' may have been shown, each refusal must have
been logged, and every row of the database that is not the sweeper's own must be as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from adapters.memory.client import Posted
from bot.i18n import gettext
from bot.models import metadata
from bot.replies import Card, as_text
from bot.router import Router
from domain.directory.services import find_member
from domain.directory.views import MemberView
from tests.support import Chat

# Guessed ids: nothing, negative, far too big, not a number, full-width digits (＃１ reads as #1)
GUESSES = ("0", "-1", "99999", "#abc", "１", "＃１", "９９９９９")
CRASHED = "Sorry, something went wrong. Reference: {ref}"
SKIPPED = frozenset({"inbox", "job_runs"})  # what every message writes; periodic job claims

Rows = dict[str, list[tuple[Any, ...]]]
Owned = Callable[[Row[Any], MemberView], bool]
# The rows a sweeper may change by themselves: their own conversation, buttons, questions,
# timers, digest setting, meetings, calendar shares and feed, and their own member row (the
# channel they last wrote from).
OWN: Mapping[str, Owned] = {
    "members": lambda row, me: row.id == me.id,
    "outbox": lambda row, me: row.conversation == me.handle,
    "action_tokens": lambda row, me: row.allowed == [me.id],
    "prompts": lambda row, me: row.member_id == me.id,
    "timers": lambda row, me: row.owner_id == me.id,
    "digest_settings": lambda row, me: row.member_id == me.id,
    "calendar_events": lambda row, me: row.organiser_id == me.id,
    "calendar_shares": lambda row, me: row.owner_id == me.id,
    "member_tokens": lambda row, me: row.member_id == me.id,
}


def _nobodys(_row: Row[Any], _me: MemberView) -> bool:
    return False


def area_commands(register: Callable[[Router], None]) -> list[str]:
    """The names of the commands an area registers (so that commands added later are swept)."""
    router = Router()
    register(router)
    return [spec.name for spec in router.commands()]


def tokens_on_cards(chat: Chat, conversations: Iterable[str]) -> list[str]:
    """Every button token on every version of every card in these conversations (on either
    memory channel)."""
    found: list[str] = []
    for conversation in conversations:
        for client in (chat.memory, chat.chat):
            for posted in client.conversation(conversation):
                for version in posted.versions:
                    if isinstance(version, Card):
                        found += [b.token for b in version.buttons if b.token]
    return list(dict.fromkeys(found))


async def others_rows(chat: Chat, sweeper: str) -> Rows:
    """Every row of every table but the sweeper's own (see ``OWN``), to compare before and
    after a sweep."""

    def work(session: Session) -> Rows:
        me = find_member(session, sweeper)
        assert me is not None
        rows: Rows = {}
        for table in metadata.sorted_tables:
            if table.name in SKIPPED:
                continue
            mine = OWN.get(table.name, _nobodys)
            found = session.execute(select(table).order_by(*table.primary_key.columns))
            rows[table.name] = [tuple(row) for row in found if not mine(row, me)]
        return rows

    return await chat.runtime.db.run(work)


def changed(before: Rows, after: Rows) -> dict[str, tuple[list[Any], list[Any]]]:
    """The tables whose rows differ, with the rows only before and only after."""
    return {
        name: (
            [r for r in before[name] if r not in after[name]],
            [r for r in after[name] if r not in before[name]],
        )
        for name in before
        if before[name] != after[name]
    }


def answer_pattern(locale: str, msgid: str) -> str:
    """A regular expression for an answer in a reader's language, each parameter one word."""
    return re.sub(r"\\\{\w+\\\}", r"\\S+", re.escape(gettext(locale, msgid))) + "$"


@dataclass
class Sweep:
    """What one sweeper was told, and what was logged meanwhile."""

    chat: Chat
    sweeper: str
    locale: str
    sent: int = 0
    answers: list[str] = field(default_factory=list)
    logs: list[dict[str, Any]] = field(default_factory=list)

    async def say(self, lines: Sequence[str]) -> list[str]:
        """Type the lines (in bursts) and return the answers' texts, every version of each."""
        with structlog.testing.capture_logs() as logs:
            posted = await self.chat.say_many(self.sweeper, lines)
        return self._took(len(lines), posted, logs)

    async def tap(self, tokens: Sequence[str]) -> list[str]:
        """Tap the buttons (in bursts) and return the answers' texts."""
        with structlog.testing.capture_logs() as logs:
            posted = await self.chat.tap_many(self.sweeper, tokens)
        return self._took(len(tokens), posted, logs)

    def _took(self, sent: int, posted: list[Posted], logs: list[Any]) -> list[str]:
        texts = [as_text(version) for p in posted for version in p.versions]
        assert len(texts) >= sent, (sent, texts[-5:])  # every line and tap was answered
        self.sent += sent
        self.answers += texts
        self.logs += logs
        return texts

    def leaks(self, secrets: Iterable[str]) -> list[tuple[str, str]]:
        """The answers that show a secret, or a crash (which may hide one), with the secret."""
        crash = answer_pattern(self.locale, CRASHED)
        shown = [(secret, text) for text in self.answers for secret in secrets if secret in text]
        return shown + [("crash", text) for text in self.answers if re.match(crash, text)]

    def logged(self, event: str, *refusals: str) -> tuple[int, int]:
        """How many answers are one of the refusals (msgids), and how many ``event`` refusals
        were logged: the same numbers when each of those refusals is logged."""
        patterns = [answer_pattern(self.locale, msgid) for msgid in refusals]
        answered = sum(any(re.match(p, text) for p in patterns) for text in self.answers)
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
