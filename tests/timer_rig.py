"""Timers across real ``bizbot serve`` processes: start them, add reminders, count deliveries.

Used by tests/integration/test_timer_processes.py (500 timers, 2 processes) and by
``python -m bench.timers`` (10,000 timers, 3 processes). A delivery is an outbox row whose subject
is ``reminder:<timer id>`` (what ``commands.reminders.fire_reminder`` writes).
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.pipeline.tables import OutboxRow
from domain.directory.services import list_members
from domain.shared.db import open_database
from domain.timers.models import Timer
from domain.timers.reminders import KIND, ReminderRequest, set_reminder
from domain.timers.services import schedule
from tests.processes import (
    bot_env,
    free_port,
    processes,
    run_bot,
    start_bot,
    stop_process,
    wait_ready,
)

CHUNK = 1000  # reminders per transaction


def org_yaml(members: int) -> str:
    """An org of ``members`` members in UTC (reminders allow 200 pending per member)."""
    lines = "".join(f"  - {{handle: m{i:04d}, name: M {i}, locale: en}}\n" for i in range(members))
    return f"org: {{name: Timer Rig Ltd, timezone: UTC, locale: en}}\nmembers:\n{lines}"


def import_org_file(url: str, directory: Path, members: int) -> None:
    """Load the rig's org with ``bizbot org import``."""
    path = directory / "timer-rig-org.yaml"
    path.write_text(org_yaml(members), encoding="utf-8")
    result = run_bot("org", "import", path, env=bot_env(url))
    assert result.returncode == 0, result.stderr


@dataclass
class Servers:
    """Running ``bizbot serve`` processes and their logs."""

    running: list[subprocess.Popen[bytes]]
    bases: list[str] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def start(self, url: str, log: Path, **settings: str) -> subprocess.Popen[bytes]:
        """Start one more process on the database."""
        port = free_port()
        process = start_bot("serve", env=bot_env(url, port=str(port), **settings), log=log)
        self.running.append(process)
        self.bases.append(f"http://127.0.0.1:{port}")
        self.logs.append(log)
        return process

    async def ready(self, first: int = 0) -> None:
        """Wait until every process (from the ``first``) answers /readyz (bounded)."""
        started = zip(self.running, self.bases, self.logs, strict=True)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            for process, base, log in list(started)[first:]:
                await wait_ready(http, base, process, log)

    def stop(self) -> list[int]:
        """SIGTERM each process (SIGKILL if it hangs); their exit codes, in start order."""
        return [stop_process(p) for p in self.running]


@contextmanager
def servers() -> Iterator[Servers]:
    """Processes started in the block; any still running at the end are killed."""
    with processes() as running:
        yield Servers(running)


def add_reminders(
    session: Session, count: int, first_due: datetime, spread: timedelta, *, checked: bool
) -> list[int]:
    """``count`` reminders spread evenly over ``spread`` from ``first_due``, round-robin over
    the members; ``checked`` goes through ``set_reminder`` (its limits), else ``schedule``."""
    members = [m.id for m in list_members(session)]
    now = first_due - timedelta(seconds=1)
    ids = []
    for i in range(count):
        owner = members[i % len(members)]
        due = first_due + spread * (i / max(count - 1, 1))
        if checked:
            request = ReminderRequest(f"rig {i}", due, owner, owner)
            ids.append(set_reminder(session, request, now, {}))
        else:
            payload = {"text": f"rig {i}", "set_by": owner}
            ids.append(
                schedule(session, kind=KIND, due_at=due, now=now, owner_id=owner, payload=payload)
            )
    return ids


async def insert_reminders(
    url: str, count: int, first_due: datetime, spread: timedelta, *, checked: bool = True
) -> list[int]:
    """``add_reminders`` in transactions of ``CHUNK`` on a connection of our own."""
    db = open_database(url)
    ids: list[int] = []
    try:
        for start in range(0, count, CHUNK):
            n = min(CHUNK, count - start)
            offset = spread * (start / max(count - 1, 1))
            part = spread * ((n - 1) / max(count - 1, 1))
            ids += await db.run(
                lambda s, o=offset, n=n, p=part: add_reminders(  # type: ignore[misc]
                    s, n, first_due + o, p, checked=checked
                )
            )
    finally:
        await db.dispose()
    return ids


@dataclass(frozen=True)
class Deliveries:
    """What became of the reminders: messages per timer, their status, and lateness."""

    per_timer: Counter[int]
    statuses: Counter[str]
    timer_statuses: Counter[str]
    fire_lateness: list[float]  # fired_at - due_at, seconds
    send_lateness: list[float]  # sent_at - due_at, seconds, for sent rows

    def duplicates(self) -> int:
        """Messages beyond the first for any timer."""
        return sum(n - 1 for n in self.per_timer.values() if n > 1)

    def done(self, count: int) -> bool:
        """Whether ``count`` reminders have each been delivered."""
        return len(self.per_timer) >= count and self.statuses.get("sent", 0) >= count


def deliveries(session: Session) -> Deliveries:
    """Read the outbox and the timers of kind reminder.

    The outbox is read first: on PostgreSQL each statement sees what was committed when it
    started, and a timer's new state commits with its message, so every message read here has
    its timer's state visible to the second statement (read the other way round, a batch that
    fires and is sent between the two statements shows sent messages of pending timers)."""
    rows = session.execute(
        select(OutboxRow.subject, OutboxRow.status, OutboxRow.sent_at).where(
            OutboxRow.subject.like(f"{KIND}:%"), OutboxRow.kind == "send"
        )
    ).all()
    timers = {t.id: t for t in session.scalars(select(Timer).where(Timer.kind == KIND))}
    per_timer: Counter[int] = Counter()
    statuses: Counter[str] = Counter()
    send_lateness = []
    for subject, status, sent_at in rows:
        timer_id = int(str(subject).split(":")[1])
        per_timer[timer_id] += 1
        statuses[status] += 1
        if sent_at is not None and timer_id in timers:
            send_lateness.append((sent_at - timers[timer_id].due_at).total_seconds())
    fired = [t for t in timers.values() if t.fired_at is not None]
    return Deliveries(
        per_timer,
        statuses,
        Counter(t.status for t in timers.values()),
        [(t.fired_at - t.due_at).total_seconds() for t in fired if t.fired_at],
        send_lateness,
    )


async def wait_for(
    url: str, done: Callable[[Deliveries], bool], seconds: float, step: float = 0.5
) -> Deliveries:
    """Poll the deliveries until ``done`` (or the time is up); returns the last reading."""
    db = open_database(url)
    deadline = time.monotonic() + seconds
    try:
        while True:
            found = await db.run(deliveries)
            if done(found) or time.monotonic() > deadline:
                return found
            await asyncio.sleep(step)
    finally:
        await db.dispose()


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of the values lie (nearest rank); 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]
