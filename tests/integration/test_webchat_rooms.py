"""Deal rooms on the web chat (issue 16 point 3), through the running pipeline on SQLite behind
aiohttp's test server: the flow wants a room for a won deal of Carol's and says its first step
there; the kernel's room opener opens ``room:deal-<id>`` on the web chat (the same room when
opened again), Carol's and Alice's (her manager's) open tabs get the step live, labelled with
the room, and again in their history on a new tab and after a restart; Bob, no member, gets
nothing of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.webchat.client import WebChatClient, room_address
from bot.config import Settings
from bot.context import BatchMemo, TimerContext
from bot.pipeline.outbox import OutboxWriter
from bot.pipeline.tables import RoomMemberRow
from bot.ports import RoomRequest
from bot.replies import Card, CardStatus
from bot.webauth import TableRoomMembers
from commands.flows import deal_rooms
from domain.crm.customers import add_customer
from domain.crm.deals import DealTerms, start_deal
from domain.directory.models import Member
from domain.flows import rooms
from domain.flows.models import DealRoom
from tests.webchat import Site, frames_until, local_login, next_frame, of_type, serving

STEP = "Deal #{deal} is won: contract approval was submitted."


@pytest.fixture
async def site(sqlite_settings: Settings) -> AsyncIterator[Site]:
    async with serving(local_login(sqlite_settings)) as site:
        yield site


async def _socket_of(site: Site, handle: str) -> ClientWebSocketResponse:
    """A tab of ``handle``'s, past its history frame."""
    site.sign_out_locally()
    await site.login(handle)
    ws = await site.socket()
    assert (await next_frame(ws))["type"] == "history"
    return ws


def _won_deal(session: Session, site: Site) -> int:
    """What the sales flow does for a deal of Carol's it sees won: want the room, say the step."""
    runtime = site.runtime
    now = runtime.clock.now()
    policies = runtime.dispatcher.policies
    carol = session.scalars(select(Member.id).where(Member.handle == "carol")).one()
    customer = add_customer(
        session, values={"name": "Acme pumps"}, owner_id=carol, actor_id=carol, now=now
    )
    terms = DealTerms(Decimal(1000), "CNY", date(2027, 1, 31))
    deal = start_deal(
        session, customer, "Pumps", terms, policies.deals, now, owner_id=carol, actor_id=carol
    )
    outbox = OutboxWriter(session, now, None, timedelta(hours=1))
    context = TimerContext(session, now, outbox, policies, timedelta(0), False, BatchMemo())
    deal_rooms.want_room(session, context, deal.id, "Pumps", "Acme pumps", carol, [])
    step = Card(STEP.format(deal=deal.id), status=CardStatus.INFO)
    assert deal_rooms.announce(context, deal.id, step, subject=f"test:{deal.id}") is not None
    return deal.id


async def _room_opened(site: Site) -> int:
    """The room of a deal won now, once the opener has opened it and the relay said the step."""
    deal_id = await site.runtime.db.run(lambda s: _won_deal(s, site))
    site.runtime.rooms.wake()
    await site.runtime.settle()
    room = await site.runtime.db.run(lambda s: s.get_one(DealRoom, deal_id))
    assert (room.status, room.channel) == (rooms.OPEN, "webchat")
    assert room.conversation == f"room:deal-{deal_id}"
    assert sorted(room.members) == ["alice", "carol"]
    return deal_id


def _step_of(frame: dict[str, Any]) -> str:
    return str(frame["message"]["title"])


async def test_the_members_tabs_get_the_step_live_labelled_with_the_room(site: Site) -> None:
    carol, alice, bob = [await _socket_of(site, h) for h in ("carol", "alice", "bob")]
    deal_id = await _room_opened(site)
    room = f"room:deal-{deal_id}"
    for ws in (carol, alice):
        seen = await frames_until(ws, of_type("message"))
        assert seen[0] == {
            "type": "room",
            "room": room,
            "title": f"Deal #{deal_id} Pumps · Acme pumps",
        }
        assert seen[-1]["room"] == room
        assert seen[-1]["title"] == f"Deal #{deal_id} Pumps · Acme pumps"
        assert _step_of(seen[-1]) == STEP.format(deal=deal_id)
    await bob.send_json({"type": "say", "id": "bob-ping-0001", "text": "/help"})
    for frame in await frames_until(bob, of_type("message")):  # his own answer, nothing else
        assert "room" not in frame and frame["type"] != "room", frame
        assert STEP.format(deal=deal_id) not in str(frame)


async def test_history_after_a_reload_has_the_room_for_members_only(site: Site) -> None:
    deal_id = await _room_opened(site)  # nobody was connected: nothing was pushed
    room = f"room:deal-{deal_id}"
    for handle in ("carol", "alice"):
        site.sign_out_locally()
        await site.login(handle)
        ws = await site.socket()
        history = await next_frame(ws)
        assert history["rooms"] == [{"room": room, "title": f"Deal #{deal_id} Pumps · Acme pumps"}]
        said = [line for line in history["lines"] if line.get("room") == room]
        assert [line["message"]["title"] for line in said] == [STEP.format(deal=deal_id)]
        await ws.close()
    site.sign_out_locally()
    await site.login("bob")
    ws = await site.socket()
    history = await next_frame(ws)
    assert history["rooms"] == []
    assert STEP.format(deal=deal_id) not in str(history)
    answer = await site.client.get("/api/history")
    assert STEP.format(deal=deal_id) not in await answer.text()


async def test_a_room_opened_again_is_the_same_room_its_members_added(settings: Settings) -> None:
    """On SQLite and PostgreSQL: the members' table is the one place rooms are kept."""
    async with serving(settings) as site:
        await _open_twice(site)


async def _open_twice(site: Site) -> None:
    members = TableRoomMembers(site.runtime.db, site.runtime.clock)
    client = WebChatClient(site.hub, members)
    first = await client.open_room(RoomRequest("deal-12", "Deal #12", ("carol",)))
    again = await client.open_room(RoomRequest("deal-12", "Deal #12 Pumps", ("carol", "alice")))
    assert first == again == room_address("deal-12")
    rows = await site.runtime.db.run(
        lambda s: [(r.member, r.title) for r in s.scalars(select(RoomMemberRow))]
    )
    assert sorted(rows) == [("alice", "Deal #12 Pumps"), ("carol", "Deal #12 Pumps")]
    assert [r.title for r in await members.rooms_of("webchat", "alice")] == ["Deal #12 Pumps"]
    assert await members.rooms_of("webchat", "bob") == []


async def test_the_room_survives_a_restart(sqlite_settings: Settings) -> None:
    """Membership is in the database: a new process's tab joins the room and gets what is said
    there next, live."""
    settings = local_login(sqlite_settings)
    async with serving(settings) as site:
        deal_id = await _room_opened(site)
    async with serving(settings) as site:
        ws = await _socket_of(site, "alice")
        room = room_address(f"deal-{deal_id}")
        later = Card("Shipped", status=CardStatus.SUCCESS)

        def say_later(s: Session) -> None:
            OutboxWriter(s, site.runtime.clock.now(), None, timedelta(hours=1)).send(
                room, later, recipient_id=None
            )

        await site.runtime.db.run(say_later)
        site.runtime.relay.wake()
        frame = (await frames_until(ws, of_type("message")))[-1]
        assert (frame["room"], _step_of(frame)) == (room.conversation, "Shipped")
        assert frame["title"] == f"Deal #{deal_id} Pumps · Acme pumps"
