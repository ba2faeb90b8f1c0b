"""A customer's contact signs in to the web chat with their invitation link: a guest session with
a conversation of its own, never a member's. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.webchat.guard import CSRF_FIELD
from adapters.webchat.signin import COOKIE
from bot.config import Settings
from bot.pipeline.tables import OutboxRow
from domain.crm.invites import create_invite
from domain.crm.models import Activity, Contact, Customer, GuestAccount
from domain.directory.services import find_member
from tests.webchat import Site, frames_until, next_frame, of_type, say, serving


@pytest.fixture
async def site(settings: Settings) -> AsyncIterator[Site]:
    async with serving(settings) as served:
        yield served


async def invitation(site: Site) -> str:
    """A fresh invitation for Ann Buyer of Acme Ltd, bob's customer."""
    now = site.runtime.clock.now()

    def work(session: Session) -> str:
        bob = find_member(session, "bob")
        assert bob is not None
        customer = Customer(name="Acme Ltd", owner_id=bob.id, created_at=now, updated_at=now)
        session.add(customer)
        session.flush()
        contact = Contact(
            customer_id=customer.id, name="Ann Buyer", locale="en", created_at=now, updated_at=now
        )
        session.add(contact)
        session.flush()
        return create_invite(session, contact.id, bob.id, now, timedelta(days=7))

    return await site.runtime.db.run(work)


async def test_the_web_link_signs_a_guest_in_once_to_a_chat_of_their_own(site: Site) -> None:
    secret = await invitation(site)
    first = await site.confirm(f"/guest/{secret}")
    assert first.status == 302
    assert first.headers["Location"] == "/"
    page = await site.client.get("/")
    assert page.status == 200
    shown = await page.text()
    assert "Ann Buyer" in shown
    assert "guest~" not in shown  # their internal handle is never shown to them

    async with await site.socket() as ws:
        assert await next_frame(ws) == {
            "type": "history",
            "lines": [],
            "rooms": [],
        }  # nobody else's lines
        await ws.send_json(say("/tickets"))
        frames = await frames_until(ws, of_type("message"))
        assert "no service tickets" in frames[-1]["message"]["text"]
        await ws.send_json(say("Please call me back."))
        frames = await frames_until(ws, of_type("message"))
        assert "passed on" in frames[-1]["message"]["text"]
    await site.runtime.settle()

    def relayed(session: Session) -> list[str]:
        rows = session.scalars(select(OutboxRow).where(OutboxRow.conversation == "bob"))
        return [str(r.payload) for r in rows]

    assert any("Please call me back." in p for p in await site.runtime.db.run(relayed))
    assert await site.count(Activity.id, Activity.direction == "in") == 1
    handle = await site.runtime.db.run(
        lambda s: s.scalars(select(GuestAccount.platform_user_id)).one()
    )
    assert handle.startswith("guest~")

    site.sign_out_locally()
    again = await site.client.get(f"/guest/{secret}", allow_redirects=False)
    assert again.status == 403
    assert COOKIE not in again.cookies
    assert "unknown, used or expired" in await again.text()
    assert (await site.client.get("/", allow_redirects=False)).status == 302


async def test_logging_out_unlinks_the_web_guest(site: Site) -> None:
    secret = await invitation(site)
    await site.confirm(f"/guest/{secret}")
    await site.logout()
    assert await site.count(GuestAccount.id, GuestAccount.active.is_(True)) == 0
    assert (await site.client.get("/", allow_redirects=False)).status == 302


async def test_opening_the_invitation_asks_first_and_uses_nothing_up(site: Site) -> None:
    secret = await invitation(site)
    for _ in range(2):  # a link previewer, a mail scanner, then the guest
        page = await site.client.get(
            f"/guest/{secret}", headers={"Accept-Language": "zh-CN"}, allow_redirects=False
        )
        assert page.status == 200
        assert COOKIE not in page.cookies
        shown = await page.text()
        assert "这个邀请让你以 Ann Buyer 的身份登录聊天" in shown and "继续" in shown
    assert (await site.client.head(f"/guest/{secret}", allow_redirects=False)).status == 200
    assert await site.count(GuestAccount.id) == 0
    assert (await site.client.get("/", allow_redirects=False)).status == 302

    unconfirmed = await site.client.post(f"/guest/{secret}", allow_redirects=False)
    assert unconfirmed.status == 403  # no token: not the confirmation page's own POST
    assert await site.count(GuestAccount.id) == 0

    assert (await site.confirm(f"/guest/{secret}")).status == 302
    assert (await site.client.get("/")).status == 200
    again = await site.client.post(
        f"/guest/{secret}", data={CSRF_FIELD: site.csrf_cookie()}, allow_redirects=False
    )
    assert again.status == 403 and COOKIE not in again.cookies
    assert await site.count(GuestAccount.id) == 1
