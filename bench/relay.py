"""The delivery relay under long queues: timer cards due over a window, send lateness per card.

    python -m bench.relay [--db sqlite|postgresql] [--cards 10000] [--conversations 100]
                          [--window 60] [--long 10000] [--rounds 1] [--quick] [--json out.json]

Each round runs three scenarios in this process, each on a fresh migrated database, with the
production ``Relay`` (default settings: 64 sends in flight, 30 s lease) and a memory channel
that records when each card arrives:

- ``spread`` (the baseline): ``--cards`` cards over as many conversations, one card each, so no
  conversation ever has a queue;
- ``queued``: the same cards over ``--conversations`` conversations (the target: 10,000 over 100);
- ``long``: as ``queued``, plus one more conversation paced at one send a second (Telegram's
  per-chat limit) with ``--long`` cards queued before the window starts: it stays blocked for the
  whole run, and must not slow anyone else.

The cards are due evenly over ``--window`` seconds, starting ``LEAD`` seconds after the relay
starts; a producer writes each one with the ``OutboxWriter`` (a card with two buttons, so its
tokens are minted, as a reminder's are) in a transaction every ``TICK`` seconds, the way the
timer tick writes what fell due, and wakes the relay. *Send lateness* is the time the channel
received a card minus its due time (the long conversation's cards are not counted). Every
scenario checks exactly once (each card received once, every outbox row ``sent``) and
per-conversation order (each conversation received its cards in the order they were written),
and the run exits with status 1 if any check fails. The ratio is ``queued`` (or ``long``) p99
to ``spread`` p99 in the same round. Loopback only; every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import migrate
from bot.config import Settings
from bot.events import Address
from bot.metrics import Metrics
from bot.pacing import Limit, Pacer
from bot.pipeline.outbox import OutboxWriter
from bot.pipeline.relay import Relay
from bot.pipeline.tables import OutboxRow
from bot.replies import Action, Button, Card, Message
from domain.shared.clock import SystemClock
from domain.shared.db import Database, open_database
from tests.support import create_pg_database, drop_pg_database

CHANNEL = "bench"
LEAD = 2.0  # seconds between the relay's start and the first due card
TICK = 0.25  # seconds between the producer's transactions
DRAIN = 300.0  # seconds after the last due time before a scenario gives up
LONG = "long"  # the paced conversation's name


@dataclass
class Scenario:
    """What one scenario measured."""

    name: str
    cards: int
    conversations: int
    long_queue: int
    late_p50_s: float
    late_p99_s: float
    late_max_s: float
    drained_after_last_due_s: float
    received: int
    duplicates: int
    out_of_order: int
    not_sent_rows: int
    cpu_s: float
    passed: bool = field(init=False)

    def __post_init__(self) -> None:
        self.passed = (
            self.received == self.cards
            and self.duplicates == 0
            and self.out_of_order == 0
            and self.not_sent_rows == 0
        )


class Recorder:
    """A channel that records when each card arrived; one conversation is paced at 1/s."""

    channel = CHANNEL

    def __init__(self, cards: int) -> None:
        self.arrived: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self.all_arrived = asyncio.Event()  # every timer card (not the long queue's)
        self._cards = cards
        self._timer_cards = 0
        self._pacer = Pacer()
        self._ids = 0

    async def send(
        self, address: Address, message: Message, context: Mapping[str, str] | None = None
    ) -> str:
        """Note the card's number and the time."""
        assert isinstance(message, Card)
        number = int(message.title)
        self.arrived[address.conversation].append((number, time.time()))
        self._timer_cards += number < self._cards
        if self._timer_cards >= self._cards:
            self.all_arrived.set()
        self._ids += 1
        return f"m{self._ids}"

    async def edit(
        self,
        address: Address,
        message_id: str,
        message: Message,
        context: Mapping[str, str] | None = None,
    ) -> None:
        """Cards are never edited here."""
        raise AssertionError("no edits in this bench")

    def pace(self, address: Address) -> float:
        """One send a second to the long conversation, no limit elsewhere."""
        if address.conversation != LONG:
            return 0.0
        return self._pacer.reserve((LONG, (Limit(1, 1.0),)))


def card(number: int) -> Card:
    """A reminder-like card: its number as the title, two buttons (tokens are minted)."""
    buttons = tuple(
        Button(label, Action(name="snooze", target=str(number), args={"minutes": minutes}))
        for label, minutes in (("10 min", 10), ("1 hour", 60))
    )
    return Card(title=str(number), body="Reminder: call the customer back", buttons=buttons)


def write_cards(session: Session, cards: list[tuple[int, str]], now: datetime) -> None:
    """One transaction of the producer: each card to its conversation."""
    writer = OutboxWriter(session, now, None, timedelta(hours=24))
    for number, conversation in cards:
        writer.send(
            Address(CHANNEL, conversation), card(number), recipient_id=None, subject=f"r:{number}"
        )


async def produce(
    db: Database, relay: Relay, plan: list[tuple[int, str]], first_due: float, window: float
) -> dict[int, float]:
    """Write each card at its due time (in ticks); returns each card's due time."""
    step = window / len(plan)
    due = {number: first_due + i * step for i, (number, _) in enumerate(plan)}
    written = 0
    while written < len(plan):
        now = time.time()
        batch = []
        while written < len(plan) and due[plan[written][0]] <= now:
            batch.append(plan[written])
            written += 1
        if batch:
            at = datetime.now(UTC)
            await db.run(lambda s, b=batch, t=at: write_cards(s, b, t))  # type: ignore[misc]
            relay.wake()
        await asyncio.sleep(TICK)
    return due


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered)) - 1))]


def not_sent(session: Session) -> int:
    """The timer cards' outbox rows not sent (the long conversation's are not counted)."""
    query = select(func.count()).where(OutboxRow.status != "sent", OutboxRow.conversation != LONG)
    return int(session.scalar(query) or 0)


async def fresh_database(kind: str, directory: Path) -> str:
    """A migrated database for one scenario."""
    if kind == "postgresql":
        url = await create_pg_database()
    else:
        path = directory / f"relay-{time.monotonic_ns()}.db"
        url = f"sqlite:///{path}"
    await migrate.upgrade(url)
    return url


async def run_scenario(
    name: str, args: argparse.Namespace, conversations: int, long_queue: int, directory: Path
) -> Scenario:
    """Start a relay on a fresh database, produce the cards, wait until all arrived, check."""
    url = await fresh_database(args.db, directory)
    settings = Settings()
    db = open_database(url, pool_size=settings.db_pool_size)
    try:
        return await _measure(name, args, db, settings, conversations, long_queue)
    finally:
        await db.dispose()
        if args.db == "postgresql":
            await drop_pg_database(url)


async def _measure(
    name: str,
    args: argparse.Namespace,
    db: Database,
    settings: Settings,
    conversations: int,
    long_queue: int,
) -> Scenario:
    plan = [(n, f"c{n % conversations:05d}") for n in range(args.cards)]
    backlog = [(args.cards + n, LONG) for n in range(long_queue)]
    if backlog:
        await db.run(lambda s: write_cards(s, backlog, datetime.now(UTC)))
    recorder = Recorder(args.cards)
    relay = Relay(
        db,
        {CHANNEL: recorder},
        SystemClock(),
        Metrics(),
        concurrency=settings.outbox_concurrency,
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        max_attempts=settings.outbox_max_attempts,
        poll_interval=settings.poll_interval,
        crash_at="",
    )
    cpu_start = time.process_time()
    relay.start()
    first_due = time.time() + LEAD
    due = await produce(db, relay, plan, first_due, args.window)
    last_due = first_due + args.window
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(max(0.0, last_due + DRAIN - time.time())):
            await recorder.all_arrived.wait()
    drained = time.time() - last_due
    await relay.stop()
    cpu = time.process_time() - cpu_start
    unsent = await db.run(not_sent)
    return _scenario(name, args, conversations, long_queue, recorder, due, drained, cpu, unsent)


def _received(recorder: Recorder, cards: int) -> int:
    return sum(1 for c, got in recorder.arrived.items() if c != LONG for n, _ in got if n < cards)


def _scenario(
    name: str,
    args: argparse.Namespace,
    conversations: int,
    long_queue: int,
    recorder: Recorder,
    due: dict[int, float],
    drained: float,
    cpu: float,
    not_sent: int,
) -> Scenario:
    late: list[float] = []
    seen: set[int] = set()
    duplicates = out_of_order = 0
    for conversation, got in recorder.arrived.items():
        numbers = [n for n, _ in got]
        out_of_order += sum(1 for a, b in itertools.pairwise(numbers) if b <= a)
        for number, at in got:
            duplicates += number in seen
            seen.add(number)
            if conversation != LONG:
                late.append(at - due[number])
    late = late or [float("nan")]
    return Scenario(
        name=name,
        cards=args.cards,
        conversations=conversations,
        long_queue=long_queue,
        late_p50_s=round(statistics.median(late), 3),
        late_p99_s=round(percentile(late, 99), 3),
        late_max_s=round(max(late), 3),
        drained_after_last_due_s=round(drained, 2),
        received=_received(recorder, args.cards),
        duplicates=duplicates,
        out_of_order=out_of_order,
        not_sent_rows=not_sent,
        cpu_s=round(cpu, 1),
    )


async def run(args: argparse.Namespace) -> list[list[Scenario]]:
    """Every round: spread, queued, long."""
    rounds: list[list[Scenario]] = []
    with tempfile.TemporaryDirectory(prefix="bench-relay-") as tmp:
        for number in range(args.rounds):
            results = []
            for name, conversations, long_queue in (
                ("spread", args.cards, 0),
                ("queued", args.conversations, 0),
                ("long", args.conversations, args.long),
            ):
                result = await run_scenario(name, args, conversations, long_queue, Path(tmp))
                print(f"round {number + 1} {_line(result)}", file=sys.stderr, flush=True)
                results.append(result)
            rounds.append(results)
    return rounds


def _line(s: Scenario) -> str:
    return (
        f"{s.name:7} late p50 {s.late_p50_s:7.3f} s  p99 {s.late_p99_s:7.3f} s  "
        f"max {s.late_max_s:7.3f} s  drained {s.drained_after_last_due_s:6.2f} s  "
        f"cpu {s.cpu_s:5.1f} s  {'ok' if s.passed else 'FAILED'} "
        f"(received {s.received}, duplicates {s.duplicates}, out of order {s.out_of_order}, "
        f"not sent {s.not_sent_rows})"
    )


def table(rounds: list[list[Scenario]]) -> str:
    """Medians over rounds (min..max), with the p99 and CPU ratios to ``spread`` of the same
    round (CPU: this process's, the relay's and the producer's together)."""
    lines = [
        "| scenario | late p50 s | late p99 s | late max s | p99 / spread p99 "
        "| CPU s | CPU / spread CPU | passed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for index, name in enumerate(s.name for s in rounds[0]):
        runs = [r[index] for r in rounds]
        ratios = [r[index].late_p99_s / max(r[0].late_p99_s, 1e-3) for r in rounds]
        cpu = [r[index].cpu_s / max(r[0].cpu_s, 1e-3) for r in rounds]
        lines.append(
            f"| {name} | {_spread([s.late_p50_s for s in runs])} "
            f"| {_spread([s.late_p99_s for s in runs])} | {_spread([s.late_max_s for s in runs])} "
            f"| {_spread(ratios)} | {_spread([s.cpu_s for s in runs])} | {_spread(cpu)} "
            f"| {all(s.passed for s in runs)} |"
        )
    return "\n".join(lines)


def _spread(values: list[float]) -> str:
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:.3f}"
    return f"{median:.3f} ({min(values):.3f}..{max(values):.3f})"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The options (``--quick``: 2,000 cards over 20 conversations in 15 s, 2,000 queued)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--long", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.quick:
        args.cards, args.conversations, args.window, args.long = 2_000, 20, 15.0, 2_000
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the rounds, print the table, write the JSON; 1 if any check failed."""
    args = parse(argv)
    os.environ.setdefault("BIZBOT_LOG_LEVEL", "warning")
    rounds = asyncio.run(run(args))
    print(table(rounds))
    if args.json:
        payload: dict[str, Any] = {"args": vars(args) | {"json": str(args.json)}}
        payload["rounds"] = [[asdict(s) for s in r] for r in rounds]
        args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return 0 if all(s.passed for r in rounds for s in r) else 1


if __name__ == "__main__":
    sys.exit(main())
