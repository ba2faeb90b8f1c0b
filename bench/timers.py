"""Durable timers at scale on PostgreSQL: exactly once across processes, and the tick's cost.

    python -m bench.timers [--timers 10000] [--processes 3] [--members 1000] [--window 60]
                           [--pending 100000] [--due 100] [--json out.json]

1. Deliveries: ``--processes`` ``bizbot serve`` processes on a fresh database, ``--timers``
   reminders for ``--members`` members (round-robin) due evenly within ``--window`` seconds,
   starting ``--lead`` seconds after they are inserted. Counts the deliveries (outbox rows
   ``reminder:<id>``, sent), the duplicates (must be 0), and the lateness after the due time:
   when the tick fired the timer, and when the relay handed the card to the channel (the web
   chat, with no browser open).
2. Tick cost: on another fresh database, 100 and then ``--pending`` timers waiting (due
   tomorrow), plus none or ``--due`` timers due now: the time of the claim query (``claim_due``,
   the tick's one statement when nothing is due; rolled back, so the same rows each time) and an
   ``EXPLAIN ANALYZE`` that must use ``ix_timers_due``.

The server is BIZBOT_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test); databases
are made for the run and dropped after it. Loopback only; every wait is bounded (``--deadline``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from bot import migrate
from domain.shared.db import open_database
from domain.timers.models import Timer, TimerStatus
from domain.timers.reminders import KIND
from domain.timers.services import claim_due, due_query
from tests.support import create_pg_database, drop_pg_database
from tests.timer_rig import (
    Deliveries,
    import_org_file,
    insert_reminders,
    percentile,
    servers,
    wait_for,
)

FILLER_CHUNK = 10_000
BATCH = 200  # what scheduler.tick claims at once


@dataclass
class DeliveryResult:
    """Part 1: the timers fired by several processes."""

    processes: int
    timers: int
    members: int
    window_s: float
    insert_s: float
    delivered: int
    duplicates: int
    missing: int
    fired_by_process: list[int]
    fire_late_max_s: float
    fire_late_p99_s: float
    fire_late_p50_s: float
    send_late_max_s: float
    send_late_p99_s: float
    drained_after_last_due_s: float


@dataclass
class TickCost:
    """Part 2: the claim query with ``pending`` timers waiting."""

    pending: int
    due: int
    claim_ms_median: float
    claim_ms_p99: float
    uses_ix_timers_due: bool
    plan: str


async def deliveries_run(args: argparse.Namespace, workdir: Path) -> DeliveryResult:
    """Start the processes, insert the reminders, wait for every delivery."""
    url = await create_pg_database()
    try:
        import_org_file(url, workdir, args.members)
        with servers() as running:
            for n in range(args.processes):
                running.start(url, workdir / f"serve-{n}.log")
            await running.ready()
            first_due = datetime.now(UTC) + timedelta(seconds=args.lead)
            started = time.monotonic()
            ids = await insert_reminders(
                url, args.timers, first_due, timedelta(seconds=args.window), checked=False
            )
            insert_s = time.monotonic() - started
            if datetime.now(UTC) > first_due:
                print(f"warning: inserting took {insert_s:.1f}s, past the first due time")
            found = await wait_for(url, lambda d: d.done(args.timers), args.deadline, step=1.0)
            drained = (datetime.now(UTC) - first_due).total_seconds() - args.window
            fired = [await _fired(base) for base in running.bases]
            running.stop()
    finally:
        await drop_pg_database(url)
    return _delivery_result(args, ids, found, insert_s, fired, drained)


async def _fired(base: str) -> int:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
        http.get(f"{base}/metrics") as response,
    ):
        page = await response.text()
    found = re.search(r'^bizbot_timers_total\{kind="reminder",result="fired"\} (\S+)$', page, re.M)
    return int(float(found.group(1))) if found else 0


def _delivery_result(
    args: argparse.Namespace,
    ids: list[int],
    found: Deliveries,
    insert_s: float,
    fired: list[int],
    drained: float,
) -> DeliveryResult:
    return DeliveryResult(
        processes=args.processes,
        timers=args.timers,
        members=args.members,
        window_s=args.window,
        insert_s=round(insert_s, 1),
        delivered=found.statuses.get("sent", 0),
        duplicates=found.duplicates(),
        missing=len(set(ids) - set(found.per_timer)),
        fired_by_process=fired,
        fire_late_max_s=round(max(found.fire_lateness, default=0), 2),
        fire_late_p99_s=round(percentile(found.fire_lateness, 0.99), 2),
        fire_late_p50_s=round(percentile(found.fire_lateness, 0.5), 2),
        send_late_max_s=round(max(found.send_lateness, default=0), 2),
        send_late_p99_s=round(percentile(found.send_lateness, 0.99), 2),
        drained_after_last_due_s=round(drained, 1),
    )


def _filler(session: Session, count: int, due_at: datetime, now: datetime) -> None:
    """``count`` pending timers due at ``due_at``, inserted in bulk (no handler ever runs)."""
    for start in range(0, count, FILLER_CHUNK):
        rows = [
            {
                "kind": KIND,
                "subject": "",
                "owner_id": None,
                "due_at": due_at,
                "payload": {"text": "filler"},
                "status": TimerStatus.PENDING,
                "late_policy": "fire",
                "grace_seconds": 120,
                "fire_count": 0,
                "created_at": now,
            }
            for _ in range(min(FILLER_CHUNK, count - start))
        ]
        session.execute(insert(Timer), rows)


async def tick_cost(pending: int, due: int, repeat: int) -> TickCost:
    """Time the claim query with ``pending`` timers waiting and ``due`` due now."""
    url = await create_pg_database()
    db = open_database(url)
    try:
        await migrate.upgrade(url)
        now = datetime.now(UTC)
        await db.run(lambda s: _filler(s, pending, now + timedelta(days=1), now))
        await db.run(lambda s: _filler(s, due, now - timedelta(seconds=30), now))
        await db.run(lambda s: s.execute(text("ANALYZE timers")))
        timings = [await db.run(lambda s: _timed_claim(s, now, due)) for _ in range(repeat)]
        plan = await db.run(lambda s: _plan(s, now))
    finally:
        await db.dispose()
        await drop_pg_database(url)
    return TickCost(
        pending=pending,
        due=due,
        claim_ms_median=round(statistics.median(timings) * 1000, 3),
        claim_ms_p99=round(percentile(timings, 0.99) * 1000, 3),
        uses_ix_timers_due="ix_timers_due" in plan,
        plan=plan,
    )


def _timed_claim(session: Session, now: datetime, due: int) -> float:
    started = time.perf_counter()
    claimed = claim_due(session, now, BATCH, skip_locked=True)
    elapsed = time.perf_counter() - started
    assert len(claimed) == min(due, BATCH), len(claimed)
    session.rollback()  # leave them pending: the next run claims the same rows
    return elapsed


def _plan(session: Session, now: datetime) -> str:
    """EXPLAIN ANALYZE of the tick's claim query, as PostgreSQL runs it."""
    query = (
        due_query(now, BATCH, skip_locked=True)
        .compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
        .string
    )
    rows = session.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {query}"))
    plan = "\n".join(str(r[0]) for r in rows)
    session.rollback()
    return plan


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options, each bounded."""
    parser = argparse.ArgumentParser(prog="python -m bench.timers", description=__doc__)
    parser.add_argument("--timers", type=int, default=10_000, choices=range(1, 50_001), metavar="N")
    parser.add_argument("--processes", type=int, default=3, choices=range(1, 9), metavar="N")
    parser.add_argument("--members", type=int, default=1000, choices=range(1, 1001), metavar="N")
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--lead", type=float, default=20.0)
    parser.add_argument("--deadline", type=float, default=300.0)
    parser.add_argument(
        "--pending", type=int, default=100_000, choices=range(1, 1_000_001), metavar="N"
    )
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=200, choices=range(1, 10_001), metavar="N")
    parser.add_argument("--skip-deliveries", action="store_true")
    parser.add_argument("--json", type=Path)
    return parser.parse_args(argv)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    """Run both parts and print what they found."""
    report: dict[str, Any] = {"load_average_at_start": os.getloadavg()}
    if not args.skip_deliveries:
        with tempfile.TemporaryDirectory(prefix="bench-timers-") as workdir:
            result = await deliveries_run(args, Path(workdir))
        report["deliveries"] = asdict(result)
        print(json.dumps(report["deliveries"], indent=2))
    costs = []
    for pending in (100, args.pending):
        for due in (0, args.due):
            cost = await tick_cost(pending, due, args.repeat)
            costs.append(asdict(cost))
            print(
                f"pending {pending:>7}, due {due:>4}: claim median {cost.claim_ms_median} ms, "
                f"p99 {cost.claim_ms_p99} ms, ix_timers_due used: {cost.uses_ix_timers_due}"
            )
    report["tick_cost"] = costs
    print(costs[-1]["plan"])
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return report


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
