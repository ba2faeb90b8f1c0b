"""Two ``bizbot serve`` processes on one PostgreSQL database, every event sent to both at once.

Duplicates race across processes (W-01), and both processes claim inbox and outbox rows from the
same tables (W-14): every event is stored once, handled once and answered once.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters.webchat.translate import event_id_of
from bot.demo.company import CUSTOMERS
from bot.pipeline.tables import InboxRow, OutboxRow
from domain.crm.models import Customer
from domain.directory.models import Member
from tests.processes import (
    bot_env,
    describe,
    free_port,
    processes,
    query,
    run_bot,
    start_bot,
    stop_process,
    tails,
    wait_ready,
)
from tests.support import create_pg_database, drop_pg_database
from tests.webchat_servers import Server, drain, metric, post, sign_in

pytestmark = [pytest.mark.pg, pytest.mark.slow]

EVENTS = 2000
MEMBERS = [f"m{i:02d}" for i in range(16)]
IN_FLIGHT = 32  # events being sent (each to both servers) at once
DRAIN_SECONDS = 240.0
DEMO_HANDLES = ["wang", "alice", "bob", "chen", "zhao", "liu", "emma"]


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    url = await create_pg_database()
    try:
        yield url
    finally:
        await drop_pg_database(url)


def org_file(path: Path) -> Path:
    members = "\n".join(f"  - {{handle: {h}, name: Member {h}, locale: en}}" for h in MEMBERS)
    path.write_text(
        f"org: {{name: Two Servers Ltd, timezone: UTC, locale: en}}\nmembers:\n{members}\n",
        encoding="utf-8",
    )
    return path


@dataclass(frozen=True)
class Tally:
    inbox: dict[str, int]
    outbox: dict[str, int]
    event_ids: set[str]
    replies_per_event: Counter[int]
    orphan_replies: int


def _by_status(session: Session, status: Any) -> dict[str, int]:
    rows = session.execute(select(status, func.count()).group_by(status))
    return {name: count for name, count in rows}


def tally(session: Session) -> Tally:
    replies = (
        select(func.count(OutboxRow.id))
        .select_from(InboxRow)
        .outerjoin(OutboxRow, OutboxRow.cause_id == InboxRow.id)
        .group_by(InboxRow.id)
    )
    orphans = select(func.count()).select_from(OutboxRow).where(OutboxRow.cause_id.is_(None))
    return Tally(
        inbox=_by_status(session, InboxRow.status),
        outbox=_by_status(session, OutboxRow.status),
        event_ids=set(session.scalars(select(InboxRow.event_id))),
        replies_per_event=Counter(session.scalars(replies)),
        orphan_replies=int(session.scalar(orphans) or 0),
    )


async def test_two_servers_handle_every_event_once_when_each_gets_every_event(
    pg_url: str, tmp_path: Path
) -> None:
    imported = run_bot("org", "import", org_file(tmp_path / "org.yaml"), env=bot_env(pg_url))
    assert imported.returncode == 0, describe(imported)
    event_ids = [f"two-servers-{i:05d}" for i in range(EVENTS)]

    with processes() as running:
        servers: list[Server] = []
        for name in ("a", "b"):
            port, log = free_port(), tmp_path / f"serve-{name}.log"
            env = bot_env(pg_url, port=str(port), poll_interval="0.2", local_login="1")
            running.append(start_bot("serve", env=env, log=log))
            servers.append(Server(f"http://127.0.0.1:{port}", log))

        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=4 * IN_FLIGHT),
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=60),
        ) as http:
            for server, process in zip(servers, running, strict=True):
                await wait_ready(http, server.base, process, server.log)
                for handle in MEMBERS:
                    server.cookies[handle] = await sign_in(http, server.base, handle)

            gate = asyncio.Semaphore(IN_FLIGHT)

            async def to_both(i: int, event_id: str) -> list[bool]:
                handle = MEMBERS[i % len(MEMBERS)]
                first, second = servers if i % 2 else servers[::-1]
                async with gate:
                    return list(
                        await asyncio.gather(
                            post(http, first, handle, event_id, "/ping"),
                            post(http, second, handle, event_id, "/ping"),
                        )
                    )

            started = time.monotonic()
            answers = await asyncio.gather(*(to_both(i, e) for i, e in enumerate(event_ids)))
            sent_in = time.monotonic() - started
            drained_in = await drain(pg_url, DRAIN_SECONDS)

            handled = [
                await metric(http, s, 'bizbot_commands_total{command="ping",outcome="ok"}')
                for s in servers
            ]
            delivered = [
                await metric(http, s, 'bizbot_deliveries_total{channel="webchat",result="sent"}')
                for s in servers
            ]
        print(f"\n{EVENTS} events x 2 servers sent in {sent_in:.1f}s, drained {drained_in:.1f}s;")
        print(f"handled {handled}, delivered {delivered}, 503s {[s.unavailable for s in servers]}")
        codes = [stop_process(process) for process in running]

    assert sum(new for pair in answers for new in pair) == EVENTS  # one 'new' ack per event
    result = await query(pg_url, tally)
    sent = {event_id_of(MEMBERS[i % len(MEMBERS)], e) for i, e in enumerate(event_ids)}
    assert result.event_ids == sent
    assert result.inbox == {"done": EVENTS}  # none failed, none lost
    assert result.outbox == {"sent": EVENTS}
    assert result.replies_per_event == Counter({1: EVENTS})  # 0 lost, 0 duplicated
    assert result.orphan_replies == 0
    assert all(count > 0 for count in handled), handled  # both processes did work
    assert sum(handled) == EVENTS  # each event handled by exactly one of them
    assert sum(delivered) == EVENTS  # each reply handed to the platform once
    assert codes == [0, 0], tails(s.log for s in servers)


async def test_servers_started_together_on_an_empty_database_all_come_up(
    pg_url: str, tmp_path: Path
) -> None:
    """Each migrates and loads the demo org at start; they must not trip over each other, and
    the demo company is there once."""
    with processes() as running:
        bases, logs = [], []
        for n in range(4):
            port, log = free_port(), tmp_path / f"serve-{n}.log"
            env = bot_env(pg_url, port=str(port), demo="1")
            running.append(start_bot("serve", env=env, log=log))
            bases.append(f"http://127.0.0.1:{port}")
            logs.append(log)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            for base, process, log in zip(bases, running, logs, strict=True):
                await wait_ready(http, base, process, log)
        codes = [stop_process(process) for process in running]
    handles = await query(pg_url, lambda s: sorted(s.scalars(select(Member.handle))))
    assert handles == sorted(DEMO_HANDLES)
    customers = await query(pg_url, lambda s: s.scalar(select(func.count(Customer.id))))
    assert customers == len(CUSTOMERS)
    assert codes == [0, 0, 0, 0], tails(logs)
