"""A customer bound through a Telegram deep link, with real python-telegram-bot against the fake
Bot API (reps on the memory channel): the relay both ways, the history, a ticket, and a sweep of
every command name with foreign and guessed ids that must leak nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import count
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.memory.client import MemoryClient
from adapters.telegram.channel import TelegramChannel, TelegramConfig
from adapters.telegram.client import TelegramClient
from adapters.telegram.routes import SECRET_HEADER, WEBHOOK_PATH
from adapters.telegram.translate import parse_update
from adapters.webchat.client import Hub
from bot.app import Runtime, build_runtime, build_web
from bot.config import Settings
from bot.replies import Card
from domain.crm.models import Activity, Contact, Customer, Ticket
from domain.crm.tickets import open_ticket
from domain.directory.importer import import_org
from domain.directory.services import list_members
from domain.shared.clock import Clock, SystemClock
from tests.fake_telegram import USERNAME, FakeBotApi
from tests.integration.approvals_rig import button
from tests.integration.crm_rig import CRM_ORG
from tests.support import Chat
from tests.telegram_harness import QUICK, SECRET, UNPACED, wait_until
from tests.telegram_updates import message_update

GUEST = 5550001  # the customer's contact, on Telegram
NOTE = "Internal: margin 38%, cost 1200"


@dataclass
class Shop:
    """The CRM org with Telegram for guests and the memory channel for members."""

    fake: FakeBotApi
    runtime: Runtime
    chat: Chat
    http: TestClient[Any, Any]
    updates: count[int]
    channel: TelegramChannel

    async def guest_says(self, text: str) -> None:
        """The guest sends a message on Telegram (without waiting for the answer)."""
        body = message_update(next(self.updates), GUEST, text)
        async with self.http.post(WEBHOOK_PATH, json=body, headers={SECRET_HEADER: SECRET}) as r:
            assert r.status == 200

    async def guest_says_many(self, texts: list[str], burst: int = 50) -> None:
        """The guest sends many messages, a burst at a time, each burst handed in at once the
        way the webhook hands in one update (``TelegramChannel.take``, in order), then handled."""
        for start in range(0, len(texts), burst):
            updates = [
                parse_update(message_update(next(self.updates), GUEST, text))
                for text in texts[start : start + burst]
            ]
            await asyncio.gather(*(self.channel.take(u, self.runtime.ingest) for u in updates))
            await self.settle()

    async def settle(self) -> None:
        """Wait until every event is handled and every reply sent."""
        await self.runtime.settle()

    def rep_card(self, handle: str) -> Card:
        """The newest card a member got."""
        cards = [p.message for p in self.chat.memory.conversation(handle)]
        return [c for c in cards if isinstance(c, Card)][-1]

    def to_guest(self) -> list[str]:
        """What the guest received on Telegram."""
        return self.fake.texts_to(GUEST)


@asynccontextmanager
async def running(
    settings: Settings, fake: FakeBotApi, clock: Clock | None = None
) -> AsyncIterator[Shop]:
    """The shop on Telegram and the memory channel, on ``clock`` (the system's by default)."""
    config = TelegramConfig(fake.token, SECRET, fake.url)
    client = TelegramClient(config.token, config.api_url, timeouts=QUICK, limits=UNPACED)
    channel = TelegramChannel(config, client=client, poll_wait=1)
    configured = settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(fake.token),
            "telegram_bot_username": USERNAME,
            "guest_commands_per_minute": 10_000,  # the sweep sends hundreds
        }
    )
    memory = MemoryClient("memory")
    runtime = build_runtime(configured, [channel.client, memory], clock=clock)
    runtime.dispatcher.policies = replace(runtime.dispatcher.policies, built_in_channel="memory")
    now = (clock or SystemClock()).now()
    await runtime.db.run(lambda s: import_org(s, CRM_ORG, now))
    await runtime.start()
    app = build_web(runtime, Hub())
    channel.mount(app, runtime.ingest)
    http: TestClient[Any, Any] = TestClient(TestServer(app))
    await http.start_server()
    await channel.start(runtime.ingest)
    try:
        yield Shop(fake, runtime, Chat(runtime, memory, memory), http, count(1), channel)
    finally:
        await http.close()
        await channel.stop()
        await runtime.stop()
        await channel.close()
        await runtime.db.dispose()


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[Shop]:
    api = FakeBotApi()
    await api.start()
    async with running(settings, api) as opened:
        yield opened
    await api.close()


@dataclass(frozen=True)
class World:
    """Ann of Acme (bob's), and Zed of Globex (gina's) with a ticket and notes."""

    ann: int
    zed: int
    globex: int
    zed_ticket: Ticket


def populate(session: Session, now: datetime) -> World:
    owners = {m.handle: m.id for m in list_members(session)}

    def customer(name: str, owner: str, contact: str) -> tuple[int, int]:
        row = Customer(name=name, owner_id=owners[owner], created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        person = Contact(
            customer_id=row.id,
            name=contact,
            locale="en",
            phones=["+86 138 0000 1111"],
            created_at=now,
            updated_at=now,
        )
        session.add(person)
        session.flush()
        for text in (NOTE, "Globex budget 90000"):
            session.add(
                Activity(
                    customer_id=row.id,
                    contact_id=person.id,
                    kind="note",
                    direction="internal",
                    body=text,
                    author_id=owners[owner],
                    occurred_at=now,
                    created_at=now,
                )
            )
        return row.id, person.id

    _acme, ann = customer("Acme Ltd", "bob", "Ann Buyer")
    globex, zed = customer("Globex Corp", "gina", "Zed Other")
    opened = open_ticket(
        session,
        customer_id=globex,
        contact_id=zed,
        subject="Globex pump leaks",
        now=now,
        actor_id=owners["gina"],
    )
    ticket = session.get(Ticket, opened.id)
    assert ticket is not None
    session.expunge(ticket)
    return World(ann, zed, globex, ticket)


async def test_a_customer_bound_by_deep_link_talks_to_their_rep(shop: Shop) -> None:
    world = await shop.runtime.db.run(lambda s: populate(s, SystemClock().now()))
    invite = await shop.chat.say("bob", f"/guest-invite {world.ann}")
    assert isinstance(invite.message, Card)
    link = next(f.value for f in invite.message.fields if f.label == "Telegram")
    match = re.fullmatch(rf"https://t\.me/{USERNAME}\?start=(guest-[A-Za-z0-9_-]+)", link)
    assert match, link

    await shop.guest_says(f"/start {match.group(1)}")
    await shop.settle()
    assert shop.to_guest()[-1].startswith("Welcome, Ann Buyer!")

    await shop.guest_says("Hello, is my spare part in stock?")
    await shop.settle()
    card = shop.rep_card("bob")  # bob reads Chinese
    assert card.body == "Hello, is my spare part in stock?"
    await shop.chat.tap("bob", button(card, "回复").token)
    await shop.chat.say("bob", "Yes, it ships tomorrow.")
    await wait_until(lambda: shop.to_guest()[-1] == "Test Trading: Yes, it ships tomorrow.")

    def history(session: Session) -> list[tuple[str, str]]:
        rows = session.execute(
            select(Activity.direction, Activity.body)
            .where(Activity.customer_id != world.globex, Activity.kind == "message")
            .order_by(Activity.id)
        )
        return [(d, b) for d, b in rows]

    assert await shop.runtime.db.run(history) == [
        ("in", "Hello, is my spare part in stock?"),
        ("out", "Yes, it ships tomorrow."),
    ]

    await shop.guest_says("/ticket new The part arrived broken")
    await shop.settle()
    mine = await shop.runtime.db.run(
        lambda s: s.scalars(select(Ticket).where(Ticket.contact_id == world.ann)).one()
    )
    assert mine.subject == "The part arrived broken"
    assert mine.ref in shop.to_guest()[-1]

    await sweep(shop, world, mine)


async def sweep(shop: Shop, world: World, mine: Ticket) -> None:
    """Every command name, as the guest, with foreign, guessed and own ids: nothing leaks.

    The guests' own commands get every variant. A member's command is refused to a guest by
    its name, before any argument is read, so each of its names gets the bare command and two
    foreign ids (the refusal must not depend on them); the sweep stays whole as commands are
    added without growing by fifteen lines a name."""
    router = shop.runtime.router
    guest_names = {n for spec in router.guest_commands() for n in (spec.name, *spec.aliases)}
    member_names = {n for spec in router.commands() for n in (spec.name, *spec.aliases)}
    foreign = [str(world.zed), str(world.globex), str(world.zed_ticket.id), world.zed_ticket.ref]
    guessed = ["1", "2", "3", "#1", "T-AAAAAAAA", mine.ref.replace(mine.ref[-1], "Z")]
    variants = ["", *foreign, *guessed, f"show {world.globex}", f"{world.zed} hello"]
    refused_variants = ["", f"show {world.globex}", world.zed_ticket.ref]
    sent = [f"/{name} {arg}".strip() for name in sorted(guest_names) for arg in variants]
    sent += [
        f"/{name} {arg}".strip()
        for name in sorted(member_names - guest_names)
        for arg in refused_variants
    ]
    before = len(shop.to_guest())
    await shop.guest_says_many(sent)
    answers = shop.to_guest()[before:]
    assert len(answers) == len(sent)
    # what the guest typed may be echoed back ("Too many arguments: T-…"): that is no leak
    answers = [_without_echo(a, s) for a, s in zip(answers, sent, strict=True)]
    members = await shop.runtime.db.run(list_members)
    secrets = [
        "Globex",
        "Zed Other",
        world.zed_ticket.ref,
        "pump leaks",
        NOTE,
        "budget",
        "138 0000",
        "margin",
    ]
    patterns = [re.escape(s) for s in secrets]
    for member in members:  # no member's name or handle: answers are signed by the company
        patterns += [re.escape(member.name), rf"\b{re.escape(member.handle)}\b"]
        patterns += [rf"\b{re.escape(w)}\b" for w in member.name.split()[:1]]
    leaks = [(p, a) for a in answers for p in patterns if re.search(p, a, re.IGNORECASE)]
    assert leaks == []


def _without_echo(answer: str, sent: str) -> str:
    """An answer with the words the guest sent taken out."""
    for word in sorted(sent.split(), key=len, reverse=True):
        answer = answer.replace(word, "")
    return answer
