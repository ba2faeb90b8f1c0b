"""One-time secrets (bind codes, guest invitations, calendar feed addresses) are handed out only in
a direct chat, and are not kept in plaintext once their message is out or the command that used
them is handled; dead pipeline rows are pruned after their own retention. The day's test reads
every column of every table. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from adapters.memory.client import Posted
from adapters.memory.translate import say
from bot.app import build_scheduler_for
from bot.config import Settings
from bot.events import Address, InboundEvent
from bot.pipeline.admin import drop_outbox
from bot.pipeline.outbox import OutboxWriter
from bot.pipeline.tables import InboxRow, InboxStatus, OutboxRow, OutboxStatus
from bot.pipeline.transcript import conversation_history
from bot.ports import PermanentDeliveryError
from bot.replies import PLACEHOLDER, Card, Reply
from domain.shared.db import Base
from scheduler.jobs import JobRunner, PeriodicJob
from tests.integration.approvals_rig import Office
from tests.integration.crm_rig import running_shop
from tests.integration.test_crm_guests import add_contact, secret_of

GROUP = "-100200"  # a group chat on the "chat" platform
ALICE, BOB, CAROL, GUEST = "7000", "7002", "7003", "9001"  # accounts on the "chat" platform
SENT_DIRECTLY = "I've sent it to you in a direct message."


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[Office]:
    async with running_shop(settings) as office:
        yield office


def in_group(sender: str, text: str) -> InboundEvent:
    """A command typed in the group chat."""
    return replace(say(sender, text, channel="chat", conversation=GROUP), is_direct=False)


def code_of(posted: Posted) -> str:
    """The bind code on an /invite card."""
    assert isinstance(posted.message, Card), posted.text
    command = next(f.value for f in posted.message.fields if f.value.startswith("/bind "))
    return command.split()[1]


def feed_secret_of(posted: Posted) -> str:
    """The secret of the feed address on an /ics card."""
    assert isinstance(posted.message, Card), posted.text
    return posted.message.body.rsplit("/calendar/", 1)[1].removesuffix(".ics")


async def bind(office: Office, handle: str, account: str) -> str:
    """Alice invites a member in her direct chat; they bind ``account`` on the chat platform.
    Returns the code."""
    code = code_of(await office.say("alice", f"/invite {handle}"))
    welcome = await office.say(account, f"/bind {code}", channel="chat")
    assert "Welcome" in welcome.text or "欢迎" in welcome.text, welcome.text
    return code


def group_texts(office: Office) -> list[str]:
    return [p.text for p in office.chat.conversation(GROUP)]


async def stored(office: Office) -> str:
    """Every inbox and outbox payload, as text."""

    def work(session: Session) -> str:
        inbox = session.scalars(select(InboxRow.payload)).all()
        outbox = session.scalars(select(OutboxRow.payload)).all()
        return repr([*inbox, *outbox])

    return await office.run(work)


async def test_a_bind_code_asked_for_in_a_group_goes_by_direct_message(shop: Office) -> None:
    await bind(shop, "alice", ALICE)
    await shop.send(in_group(ALICE, "/invite carol"))
    assert group_texts(shop) == [SENT_DIRECTLY]  # the group never sees the code
    direct = shop.chat.last(ALICE)
    assert isinstance(direct.message, Card) and "@carol" in direct.message.title
    code = code_of(direct)
    welcome = await shop.say(CAROL, f"/bind {code}", channel="chat")
    assert "Carol Chen" in welcome.text


async def test_a_feed_and_an_invitation_asked_for_in_a_group_go_by_direct_message_in_chinese(
    shop: Office,
) -> None:
    await bind(shop, "bob", BOB)
    contact_id = await add_contact(shop, "bob", "Acme Ltd", "Ann Buyer")
    await shop.send(in_group(BOB, "/ics"))
    await shop.send(in_group(BOB, f"/访客邀请 {contact_id}"))
    await shop.send(in_group(BOB, f"/customer invite {contact_id}"))
    assert group_texts(shop) == ["我已私信发给你。"] * 3  # Chinese only, and no secret
    feed, *invitations = shop.chat.cards(BOB)[-3:]
    assert "/calendar/" in feed.body
    assert all("/guest/" in " ".join(f.value for f in card.fields) for card in invitations)
    joined = await shop.say(GUEST, f"/join guest-{secret_of(invitations[0])}", channel="chat")
    assert "Ann Buyer" in joined.text


async def test_a_bind_code_is_not_kept_in_plaintext_once_used(shop: Office) -> None:
    code = await bind(shop, "bob", BOB)
    raw = code.replace("-", "")
    await shop.say("7009", f"/bind {code}", channel="chat")  # refused: used
    await shop.say("7010", f"/绑定{raw}", channel="chat")  # run together: not even read
    await shop.say("7011", f"bind {code}", channel="chat")  # no slash: not even read
    everything = await stored(shop)
    assert code not in everything and raw not in everything

    def kept(session: Session) -> list[str]:
        events = session.scalars(select(InboxRow.payload).order_by(InboxRow.id)).all()
        return [str(e["text"]) for e in events if e["address"]["channel"] == "chat"]

    blanked = [f"/bind {PLACEHOLDER}"] * 2 + [f"/绑定 {PLACEHOLDER}", f"/bind {PLACEHOLDER}"]
    assert await shop.run(kept) == blanked
    history = await shop.run(lambda s: conversation_history(s, Address("memory", "alice")))
    card = history[-1].message
    assert card["fields"] == [["Command", f"/bind {PLACEHOLDER}"]]  # shown blanked, still read


async def test_a_feed_address_that_cannot_be_delivered_is_blanked_when_it_dies(
    shop: Office,
) -> None:
    await bind(shop, "bob", BOB)
    shop.chat.failures.append(PermanentDeliveryError("bot blocked by the user"))
    await shop.say(BOB, "/ics", channel="chat")

    def dead(session: Session) -> list[OutboxRow]:
        return list(session.scalars(select(OutboxRow).where(OutboxRow.status == "dead")))

    [row] = await shop.run(dead)
    assert PLACEHOLDER in row.payload["body"] and "secrets" not in row.payload
    assert row.payload["body"].endswith(f"/calendar/{PLACEHOLDER}.ics")


async def test_a_message_with_a_secret_dropped_by_an_operator_is_blanked(shop: Office) -> None:
    code = Reply("/bind K7PD-M3QX", secrets=("K7PD-M3QX",))

    def waiting(session: Session) -> int:  # on a channel this process does not deliver
        writer = OutboxWriter(session, shop.clock.now(), None, timedelta(hours=1))
        return writer.send(Address("nowhere", "bob"), code, recipient_id=None)

    row_id = await shop.run(waiting)
    assert await shop.run(lambda s: drop_outbox(s, [row_id])) == 1
    row = await shop.run(lambda s: s.get(OutboxRow, row_id))
    assert row is not None and row.status == "dropped"
    assert row.payload == {"type": "text", "text": f"/bind {PLACEHOLDER}"}


async def test_dead_rows_are_pruned_after_their_own_retention(settings: Settings) -> None:
    settings = settings.model_copy(update={"retention_days": 30, "dead_row_retention_days": 3})
    async with running_shop(settings) as office:
        now = office.clock.now()
        rows = [
            ("dead", OutboxStatus.DEAD, InboxStatus.FAILED, timedelta(days=4)),
            ("dying", OutboxStatus.DEAD, InboxStatus.FAILED, timedelta(days=2)),
            ("sent", OutboxStatus.SENT, InboxStatus.DONE, timedelta(days=4)),
        ]

        def write(session: Session) -> None:
            for name, outbox, inbox, age in rows:
                at = now - age
                event = InboxRow(
                    channel="chat",
                    event_id=name,
                    conversation_key=f"chat::{name}",
                    kind="command",
                    payload={},
                    status=inbox,
                    received_at=at,
                )
                session.add(event)
                session.flush()
                session.add(
                    OutboxRow(
                        channel="chat",
                        conversation=name,
                        conversation_key=f"chat::{name}",
                        payload={"type": "text", "text": name},
                        status=outbox,
                        next_attempt_at=at,
                        cause_id=event.id,
                        created_at=at,
                    )
                )

        await office.run(write)
        [prune] = [
            job.args[0]
            for job in build_scheduler_for(office.runtime).get_jobs()
            if job.id == "job-prune"
        ]
        assert isinstance(prune, PeriodicJob)
        assert await JobRunner(office.runtime.db, office.clock).run(prune)

        def left(session: Session) -> tuple[list[str], list[str]]:
            outbox = session.scalars(select(OutboxRow.conversation).order_by(OutboxRow.id))
            inbox = session.scalars(select(InboxRow.event_id).order_by(InboxRow.id))
            return list(outbox), list(inbox)

        assert await office.run(left) == (["dying", "sent"], ["dying", "sent"])


async def test_no_live_secret_is_stored_in_plaintext_after_a_day(shop: Office) -> None:
    """Invites and binds, guest invitations and a redemption, feeds, in direct chats and in a
    group, and some ordinary commands; then every column of every table is read."""
    secrets = [await bind(shop, "alice", ALICE), await bind(shop, "bob", BOB)]
    secrets.append(code_of(await shop.say("alice", "/invite carol")))  # never used: live
    await shop.send(in_group(ALICE, "/invite frank"))
    secrets.append(code_of(shop.chat.last(ALICE)))  # never used: live
    secrets.append(feed_secret_of(await shop.say("alice", "/ics")))
    await shop.send(in_group(BOB, "/ics"))
    secrets.append(feed_secret_of(shop.chat.last(BOB)))
    secrets.append(feed_secret_of(await shop.say(BOB, "/ics new", channel="chat")))
    ann = await add_contact(shop, "bob", "Acme Ltd", "Ann Buyer")
    ben = await add_contact(shop, "bob", "Bolt Co", "Ben Bolt")
    await shop.send(in_group(BOB, f"/guest-invite {ann}"))
    invitation = shop.chat.last(BOB).message
    assert isinstance(invitation, Card)
    secrets.append(secret_of(invitation))
    await shop.say(GUEST, f"/join guest-{secrets[-1]}", channel="chat")
    secrets.append(secret_of(await card_from(shop, "bob", f"/customer invite {ben}")))  # live
    for handle, text in [("alice", "/whoami"), ("bob", "/help"), ("carol", "/agenda")]:
        await shop.say(handle, text)
    await shop.send(in_group(BOB, "/whoami"))
    await shop.say(GUEST, "When do the parts ship?", channel="chat")
    secrets += [s.replace("-", "") for s in secrets[:4]]  # bind codes as typed without a dash

    def every_value(session: Session) -> dict[str, str]:
        in_database = set(inspect(session.connection()).get_table_names()) - {"alembic_version"}
        assert in_database == set(Base.metadata.tables)  # every table is read
        return {
            table.name: repr([tuple(row) for row in session.execute(select(table))])
            for table in Base.metadata.sorted_tables
        }

    tables = await shop.run(every_value)
    assert len(set(secrets)) == 13  # 4 bind codes (and as typed), 3 feeds, 2 invitations
    found = [(name, s) for name, text in tables.items() for s in secrets if s in text]
    assert not found
    assert PLACEHOLDER in tables["outbox"] and PLACEHOLDER in tables["inbox"]


async def card_from(office: Office, handle: str, text: str) -> Card:
    posted = await office.say(handle, text)
    assert isinstance(posted.message, Card), posted.text
    return posted.message
