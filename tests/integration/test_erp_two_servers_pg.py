"""200 concurrent order confirmations for one product with 100 on hand, through two ``bizbot
serve`` processes on one PostgreSQL database (issue 13): the reps type ``/order confirm SO…`` in
the web chat, half of each rep's orders to each server, and both servers' workers confirm them
at once. Exactly 100 units are reserved and 100 backordered, the stock is never over-reserved at
any moment a reader looks, each order is confirmed once, and each command is answered once,
saying what the database holds. (test_erp_sales_pg races the domain calls in one process.)"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters.webchat.translate import event_id_of
from bot.pipeline.tables import InboxRow, OutboxRow
from bot.replies import Card, from_wire
from domain.crm.customers import add_customer
from domain.directory.importer import import_org
from domain.directory.models import Member
from domain.erp.models import StockBalance
from domain.erp.sales import CONFIRMED, LineRequest, Party, create_document
from domain.erp.sales_events import backordered
from domain.erp.sales_models import SalesDocument, SalesLine
from domain.erp.stock import post_move
from domain.shared.db import open_database
from domain.shared.domain_events import events_named
from tests.integration.erp_rig import NOW, receipt, seeded
from tests.processes import (
    bot_env,
    free_port,
    processes,
    query,
    start_bot,
    stop_process,
    tails,
    wait_ready,
)
from tests.support import create_pg_database, drop_pg_database
from tests.webchat_servers import Server, drain, metric, post, sign_in

pytestmark = [pytest.mark.pg, pytest.mark.slow]

ON_HAND = 100
REPS = [f"rep{i:02d}" for i in range(20)]  # one conversation each: 20 run side by side
ORDERS_EACH = 10
ORDERS = len(REPS) * ORDERS_EACH
IN_FLIGHT = 50  # confirmations being sent at once
# Each worker claims at most 2 conversations' next events per transaction (the default, 64,
# takes every rep's at once): 4 workers a server leave other conversations for the other server
# to claim, so confirmations run in several transactions on both servers side by side.
BATCH = "2"
DRAIN_SECONDS = 120.0
LINE_STATE = re.compile(r"reserved (\d+), backordered (\d+), delivered 0")


@pytest.fixture
async def pg_url(pg_template: str) -> AsyncIterator[str]:
    url = await create_pg_database(template=pg_template)
    try:
        yield url
    finally:
        await drop_pg_database(url)


@dataclass(frozen=True)
class Sale:
    """A draft order to confirm, and the rep who confirms it."""

    rep: str
    number: str

    @property
    def client_id(self) -> str:
        return f"confirm-{self.number}"


@dataclass(frozen=True)
class Seen:
    """The product's balance and what its order lines hold, read in one statement."""

    on_hand: Decimal
    reserved: Decimal
    held_by_lines: Decimal


def org() -> str:
    members = "\n".join(
        f"  - {{handle: {h}, name: Rep {h}, roles: [sales], locale: en}}" for h in REPS
    )
    return f"org: {{name: Race Trading, timezone: UTC, locale: en}}\nmembers:\n{members}\n"


def seed(session: Session) -> tuple[int, list[Sale]]:
    """The reps, a customer of each, 100 units on hand, and 10 one-unit draft orders per rep."""
    import_org(session, org(), NOW)
    product, place, _bj = seeded(session)
    post_move(session, receipt(product, place, str(ON_HAND), "opening"), None, NOW)
    line = [LineRequest(product.id, Decimal(1))]
    sales: list[Sale] = []
    for rep in REPS:
        rep_id = session.scalars(select(Member.id).where(Member.handle == rep)).one()
        name = f"Customer of {rep}"
        customer = add_customer(
            session, values={"name": name}, owner_id=rep_id, actor_id=rep_id, now=NOW
        )
        party = Party(customer, name, rep_id)
        for _ in range(ORDERS_EACH):
            order = create_document(session, "order", party, place, line, NOW)
            sales.append(Sale(rep, order.number))
    return product.id, sales


def look(session: Session, product_id: int) -> Seen:
    held = (
        select(func.coalesce(func.sum(SalesLine.reserved), 0))
        .where(SalesLine.product_id == product_id)
        .scalar_subquery()
    )
    query = select(StockBalance.on_hand, StockBalance.reserved, held).where(
        StockBalance.product_id == product_id
    )
    on_hand, reserved, lines = session.execute(query).one()
    return Seen(on_hand, reserved, Decimal(lines))


async def watch(url: str, product_id: int, done: asyncio.Event) -> list[Seen]:
    """Read the stock over and over until ``done``, as a reader beside the servers would."""
    db = open_database(url)
    seen: list[Seen] = []
    try:
        while not done.is_set():
            seen.append(await db.run(lambda s: look(s, product_id)))
            await asyncio.sleep(0.05)
        seen.append(await db.run(lambda s: look(s, product_id)))
    finally:
        await db.dispose()
    return seen


@dataclass(frozen=True)
class Outcome:
    """What the database holds once every confirmation is answered."""

    status: Counter[str]
    reserved: dict[str, Decimal]  # by order number
    waiting: dict[str, Decimal]
    confirmed_events: Counter[str]  # order.confirmed per order number
    inbox: Counter[str]
    outbox: Counter[str]
    replies: dict[str, list[Card]]  # by event id


def outcome(session: Session) -> Outcome:
    rows = session.execute(
        select(SalesDocument.number, SalesDocument.status, SalesLine).join(
            SalesLine, SalesLine.document_id == SalesDocument.id
        )
    ).all()
    answers: dict[str, list[Card]] = {}
    for event_id, payload in session.execute(
        select(InboxRow.event_id, OutboxRow.payload).join(
            OutboxRow, OutboxRow.cause_id == InboxRow.id, isouter=True
        )
    ):
        cards = answers.setdefault(event_id, [])
        if payload is not None:
            reply = from_wire(payload)
            assert isinstance(reply, Card), reply
            cards.append(reply)
    return Outcome(
        status=Counter(status for _n, status, _l in rows),
        reserved={number: line.reserved for number, _s, line in rows},
        waiting={number: backordered(line) for number, _s, line in rows},
        confirmed_events=Counter(e.source_id for e in events_named(session, CONFIRMED)),
        inbox=Counter(session.scalars(select(InboxRow.status))),
        outbox=Counter(session.scalars(select(OutboxRow.status))),
        replies=answers,
    )


def said(card: Card) -> tuple[str, Decimal, Decimal]:
    """The order number a reply is about, and what it says is reserved and backordered."""
    number = card.title.split(" ")[1]
    state = LINE_STATE.search(card.body)
    assert card.body.startswith("Confirmed.") and state, card
    return number, Decimal(state.group(1)), Decimal(state.group(2))


async def test_200_confirmations_through_two_servers_reserve_exactly_the_100_on_hand(
    pg_url: str, tmp_path: Path
) -> None:
    product_id, sales = await query(pg_url, seed)
    # a rep's orders alternate between the servers, and the reps' conversations interleave
    ordered = [sales[r * ORDERS_EACH + j] for j in range(ORDERS_EACH) for r in range(len(REPS))]

    with processes() as running:
        servers: list[Server] = []
        for name in ("a", "b"):
            port, log = free_port(), tmp_path / f"serve-{name}.log"
            env = bot_env(
                pg_url, port=str(port), poll_interval="0.2", local_login="1", inbox_batch=BATCH
            )
            running.append(start_bot("serve", env=env, log=log))
            servers.append(Server(f"http://127.0.0.1:{port}", log))

        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=IN_FLIGHT),
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=60),
        ) as http:
            for server, process in zip(servers, running, strict=True):
                await wait_ready(http, server.base, process, server.log)
                for rep in REPS:
                    server.cookies[rep] = await sign_in(http, server.base, rep)

            gate = asyncio.Semaphore(IN_FLIGHT)

            async def send(i: int, sale: Sale) -> bool:
                server = servers[(i + i // len(REPS)) % 2]
                async with gate:
                    text = f"/order confirm {sale.number}"
                    return await post(http, server, sale.rep, sale.client_id, text)

            done = asyncio.Event()
            watcher = asyncio.create_task(watch(pg_url, product_id, done))
            try:
                stored = await asyncio.gather(*(send(i, s) for i, s in enumerate(ordered)))
                await drain(pg_url, DRAIN_SECONDS)
            finally:
                done.set()
                seen = await watcher
            handled = [
                await metric(http, s, 'bizbot_commands_total{command="order",outcome="ok"}')
                for s in servers
            ]
            delivered = [
                await metric(http, s, 'bizbot_deliveries_total{channel="webchat",result="sent"}')
                for s in servers
            ]
        codes = [stop_process(process) for process in running]
    print(f"\nconfirmed by each server {handled}, stock read {len(seen)} times during the race")

    assert all(stored)  # each confirmation stored as a new event
    for observed in seen:  # never over-reserved, and the balance agrees with the lines
        assert 0 <= observed.reserved <= observed.on_hand == ON_HAND, observed
        assert observed.reserved == observed.held_by_lines, observed
    assert seen[-1] == Seen(Decimal(ON_HAND), Decimal(ON_HAND), Decimal(ON_HAND))

    result = await query(pg_url, outcome)
    assert result.status == Counter({"confirmed": ORDERS})
    assert sum(result.reserved.values()) == ON_HAND
    assert sum(result.waiting.values()) == ORDERS - ON_HAND
    assert set(result.reserved.values()) == {Decimal(0), Decimal(1)}
    assert result.confirmed_events == Counter({s.number: 1 for s in sales})
    assert result.inbox == Counter({"done": ORDERS})
    assert result.outbox == Counter({"sent": ORDERS})

    event_ids = {event_id_of(s.rep, s.client_id): s.number for s in sales}
    assert result.replies.keys() == event_ids.keys()
    for event_id, number in event_ids.items():
        [card] = result.replies[event_id]  # answered exactly once
        assert said(card) == (number, result.reserved[number], result.waiting[number])

    assert all(count > 0 for count in handled), handled  # both servers confirmed orders
    assert sum(handled) == ORDERS
    assert sum(delivered) == ORDERS
    assert codes == [0, 0], tails(s.log for s in servers)
