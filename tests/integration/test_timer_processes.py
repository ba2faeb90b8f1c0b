"""Timers across real ``bizbot serve`` processes on PostgreSQL (issue 4, "Must show").

- Exactly once across workers: 2 processes, 500 reminders due within a few seconds.
- Survives a kill: a process dies (crash point) in the middle of a batch it claimed; the
  reminders of that batch fire once, after a restart, by whichever process claims them.
- Downtime: reminders that fell due while nothing ran fire on restart, saying how late.

The 60-second bound is a correctness check (nothing lost or stuck), not a benchmark: the figures
for 10,000 timers and 3 processes are in docs/PERFORMANCE.md (``python -m bench.timers``).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.faults import TIMER_BATCH_BEFORE_COMMIT
from bot.pipeline.tables import OutboxRow
from tests.processes import query, tail, tails
from tests.support import create_pg_database, drop_pg_database
from tests.timer_rig import Deliveries, import_org_file, insert_reminders, servers, wait_for

pytestmark = [pytest.mark.pg, pytest.mark.slow]

MEMBERS = 10
DRAIN_SECONDS = 180.0
LATE_BOUND = 60.0
KILLED = 137


@pytest.fixture
async def pg_url(tmp_path: Path) -> AsyncIterator[str]:
    url = await create_pg_database()
    try:
        import_org_file(url, tmp_path, MEMBERS)
        yield url
    finally:
        await drop_pg_database(url)


def assert_exactly_once(found: Deliveries, ids: list[int]) -> None:
    assert set(found.per_timer) == set(ids)
    assert found.duplicates() == 0
    assert found.statuses == {"sent": len(ids)}
    assert found.timer_statuses == {"fired": len(ids)}


async def test_two_servers_fire_500_reminders_exactly_once(pg_url: str, tmp_path: Path) -> None:
    with servers() as running:
        for name in ("a", "b"):
            running.start(pg_url, tmp_path / f"serve-{name}.log", poll_interval="0.2")
        await running.ready()
        first_due = datetime.now(UTC) + timedelta(seconds=5)
        ids = await insert_reminders(pg_url, 500, first_due, timedelta(seconds=5))
        found = await wait_for(pg_url, lambda d: d.done(500), DRAIN_SECONDS)
        codes = running.stop()
    assert_exactly_once(found, ids)
    assert max(found.fire_lateness) < LATE_BOUND
    assert max(found.send_lateness) < LATE_BOUND
    assert codes == [0, 0], tails(running.logs)


async def test_a_process_killed_in_the_middle_of_a_batch_loses_and_repeats_nothing(
    pg_url: str, tmp_path: Path
) -> None:
    ids = await insert_reminders(
        pg_url, 300, datetime.now(UTC) + timedelta(seconds=1), timedelta(seconds=1)
    )
    with servers() as running:
        doomed = running.start(
            pg_url, tmp_path / "crash.log", poll_interval="0.2", crash_at=TIMER_BATCH_BEFORE_COMMIT
        )
        assert doomed.wait(120) == KILLED, tail(running.logs[0])
        assert "crash point timer_batch_before_commit" in tail(running.logs[0])
        left = await query(pg_url, lambda s: s.scalars(select(OutboxRow.subject)).all())
        assert left == []  # the batch it fired died with it: nothing was committed
        running.start(pg_url, tmp_path / "restarted.log", poll_interval="0.2")
        running.start(pg_url, tmp_path / "other.log", poll_interval="0.2")
        await running.ready(first=1)
        found = await wait_for(pg_url, lambda d: d.done(300), DRAIN_SECONDS)
        codes = running.stop()
    assert_exactly_once(found, ids)
    assert codes == [KILLED, 0, 0]


async def test_reminders_that_fell_due_while_stopped_fire_on_restart_saying_so(
    pg_url: str, tmp_path: Path
) -> None:
    ten_minutes_ago = datetime.now(UTC) - timedelta(minutes=10)
    ids = await insert_reminders(pg_url, 50, ten_minutes_ago, timedelta(seconds=5))
    with servers() as running:
        running.start(pg_url, tmp_path / "serve.log", poll_interval="0.2")
        await running.ready()
        found = await wait_for(pg_url, lambda d: d.done(50), DRAIN_SECONDS)
        codes = running.stop()
    assert_exactly_once(found, ids)
    assert min(found.fire_lateness) >= 9 * 60
    footers = await query(pg_url, reminder_footers)
    assert len(footers) == 50
    assert all(re.match(r"Delayed by 1[01] minutes: Bizbot was not running", f) for f in footers)
    assert codes == [0]


def reminder_footers(session: Session) -> list[str]:
    payloads = session.scalars(
        select(OutboxRow.payload).where(OutboxRow.subject.like("reminder:%"))
    )
    return [str(p["footer"]) for p in payloads]
