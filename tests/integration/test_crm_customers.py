"""Customers and contacts in chat: adding, finding (Chinese, width and case), the customer card
with history, deals, tickets and purchases, editing, assigning and handing over."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.replies import Card
from domain.crm.history import history_of, log_activity
from domain.crm.models import Activity, Contact, CrmAudit, Customer, Deal, GuestAccount, Ticket
from domain.crm.tickets import open_ticket
from domain.shared.errors import DomainError
from tests.integration.approvals_rig import Office, member_id
from tests.integration.crm_rig import running_shop


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[Office]:
    async with running_shop(settings) as opened:
        yield opened


async def add(shop: Office, handle: str, text: str) -> int:
    """Add a customer by command; its id."""
    posted = await shop.say(handle, f"/customer add {text}")
    assert isinstance(posted.message, Card), posted.text
    found = re.search(r"#(\d+)", posted.message.title)
    assert found is not None, posted.message.title
    return int(found.group(1))


async def test_add_find_and_show_a_customer(shop: Office) -> None:
    huawei = await add(
        shop,
        "bob",
        "深圳华为技术有限公司 industry=telecom tier=A phone=0755-2878-0808 "
        "email=Info@Huawei.com tags=vip,5g",
    )
    await add(shop, "bob", "Acme Trading kind=company")
    await shop.say("bob", f"/contact add {huawei} 王伟 title=采购经理 phone=138-0000-1111 lang=zh")

    for query in (
        "华为",
        "ＨＵＡＷＥＩ",
        "info@huawei",
        "075528780808",
        "0755 2878",
        "王伟",
        "13800001111",
    ):
        found = await shop.say("bob", f"/customer find {query}")
        assert "深圳华为技术有限公司" in found.text, (query, found.text)
        assert "Acme" not in found.text
    nothing = await shop.say("bob", "/customer find 小米")
    assert "深圳华为" not in nothing.text

    card = await shop.say("bob", f"/customer show #{huawei}")
    assert isinstance(card.message, Card)
    text = card.text
    for expected in (
        "深圳华为技术有限公司",
        "telecom",
        "vip, 5g",
        "0755-2878-0808",
        "王伟",
        "采购经理",
    ):
        assert expected in text, expected


async def test_chinese_action_words_are_the_same_on_every_crm_command(shop: Office) -> None:
    """新增 adds a customer, a contact and a deal alike; a wrong word lists them in Chinese."""
    added = await shop.say("bob", "/客户 新增 小米科技 industry=消费电子")
    assert isinstance(added.message, Card) and "小米科技" in added.message.title, added.text
    cid = await shop.count(select(func.max(Customer.id)))
    contact = await shop.say("bob", f"/联系人 新建 {cid} 雷军 title=CEO")
    assert "雷军" in contact.text, contact.text
    deal = await shop.say("bob", f"/商机 新增 {cid} 手机 金额=1000 预计成交=2026-12-31")
    assert "手机" in deal.text, deal.text
    edited = await shop.say("bob", f"/客户 编辑 {cid} tier=A")
    assert "小米科技" in edited.text, edited.text
    assert await shop.run(lambda s: s.scalar(select(Customer.tier))) == "A"
    wrong = await shop.say("bob", "/客户 删掉 1")
    assert "添加、查找、查看、修改" in wrong.text, wrong.text
    english = await shop.say("erin", "/customer drop 1")
    assert "add, assign, edit, find, invite, show, transfer" in english.text, english.text
    assert await shop.count(select(func.count(Customer.id))) == 1


async def test_history_deals_tickets_and_purchases_on_the_card(shop: Office) -> None:
    cid = await add(shop, "erin", "Globex")
    await shop.say("erin", f"/contact add {cid} Hank Scorpio title=CEO")
    contact = await shop.count(select(func.max(Contact.id)))
    logged = await shop.say("erin", f"/log {cid} call asked for a quote contact={contact}")
    assert "Globex" in logged.text
    await shop.say("erin", f"/跟进 {cid} 拜访 带了样品")
    await shop.say("erin", f"/note {cid} wants a discount, do not offer more than 5%")
    erin = await member_id(shop, "erin")
    now = datetime(2026, 11, 30, 3, tzinfo=UTC)

    def deals(session: Session) -> None:
        for name, status in (("Big order", "won"), ("Next order", "open")):
            session.add(
                Deal(
                    customer_id=cid,
                    name=name,
                    amount=Decimal("12000.50"),
                    stage="lead",
                    probability=10,
                    status=status,
                    owner_id=erin,
                    last_activity_at=now,
                    created_at=now,
                    closed_at=now if status == "won" else None,
                )
            )
        open_ticket(
            session,
            customer_id=cid,
            contact_id=None,
            subject="Broken widget",
            now=now,
            actor_id=erin,
        )

    await shop.run(deals)
    text = (await shop.say("erin", f"/customer show {cid}")).text
    for expected in (
        "Hank Scorpio (CEO)",
        "asked for a quote",
        "带了样品",
        "🔒",
        "do not offer",
        "Next order",
        "Broken widget",
        "Big order",
        "12,000.50",
    ):
        assert expected in text, (expected, text)
    assert text.count("Big order") == 1  # won: a purchase, not an open deal
    assert await shop.count(select(func.count()).select_from(Activity)) == 3


async def test_log_activity_checks_and_bumps_the_deal(shop: Office) -> None:
    cid = await add(shop, "erin", "Initech")
    erin = await member_id(shop, "erin")
    then, later = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)

    def work(session: Session) -> tuple[datetime, int]:
        deal = Deal(
            customer_id=cid,
            name="D",
            amount=Decimal(1),
            stage="lead",
            probability=10,
            owner_id=erin,
            last_activity_at=then,
            created_at=then,
        )
        session.add(deal)
        session.flush()
        log_activity(
            session,
            customer_id=cid,
            contact_id=None,
            kind="email",
            direction="in",
            body="re: offer",
            author_id=None,
            now=later,
            deal_id=deal.id,
        )
        bads: tuple[dict[str, Any], ...] = (
            {"kind": "fax"},
            {"direction": "sideways"},
            {"body": "  "},
            {"kind": "note"},
            {"customer_id": 99999},
        )
        for bad in bads:
            fields: dict[str, Any] = {"customer_id": cid, "kind": "call", "direction": "out"}
            fields |= {"body": "x"} | bad
            with pytest.raises(DomainError):
                log_activity(session, contact_id=None, author_id=None, now=later, **fields)
        log_activity(
            session,
            customer_id=cid,
            contact_id=None,
            kind="note",
            direction="internal",
            body="secret",
            author_id=erin,
            now=later,
        )
        assert [a.body for a in history_of(session, cid, limit=5, include_internal=False)] == [
            "re: offer"
        ]
        assert len(history_of(session, cid, limit=5, include_internal=True)) == 2
        return deal.last_activity_at, deal.id

    bumped, _ = await shop.run(work)
    assert bumped == later


async def test_edit_refuses_unknown_keys_and_bad_values_changing_nothing(shop: Office) -> None:
    cid = await add(shop, "bob", "Umbrella tier=A")
    for bad, says in (
        ("colour=red", "tier"),
        ("kind=robot", "company"),
        ("email=nope tier=B", "email"),
        ("phone=call-me", "phone"),
    ):
        reply = await shop.say("alice", f"/customer edit {cid} {bad}")
        assert says in reply.text, (bad, reply.text)
    row = await shop.run(lambda s: s.get_one(Customer, cid))
    assert (row.tier, row.kind, row.email) == ("A", "company", "")
    changed = await shop.say("bob", f'/customer edit {cid} tier=B address="1 Main St, Pudong"')
    assert "1 Main St, Pudong" in changed.text
    assert (
        await shop.count(
            select(func.count()).select_from(CrmAudit).where(CrmAudit.action == "customer.edited")
        )
        == 1
    )


async def test_assign_tells_both_reps(shop: Office) -> None:
    cid = await add(shop, "bob", "Stark Industries")
    refused = await shop.say("bob", f"/customer assign {cid} @hank")
    assert "hank" in refused.text
    await shop.say("carol", f"/customer assign {cid} @erin")
    assert "Stark Industries" in shop.texts("erin")[-1]
    assert "Stark Industries" in shop.texts("bob")[-1]
    mine = await shop.say("erin", "/customers mine")
    assert "Stark Industries" in mine.text
    assert "Stark" not in (await shop.say("bob", "/customers mine")).text


async def test_lists_are_capped(shop: Office) -> None:
    erin = await member_id(shop, "erin")
    now = datetime(2026, 11, 30, tzinfo=UTC)

    def many(session: Session) -> None:
        session.add_all(
            Customer(
                name=f"Shop {i:02}",
                search_key=f"shop {i:02}",
                owner_id=erin,
                created_at=now,
                updated_at=now,
            )
            for i in range(45)
        )

    await shop.run(many)
    first = await shop.say("erin", "/customers")
    assert "Shop 00" in first.text and "Shop 20" not in first.text and "45" in first.text
    third = await shop.say("erin", "/customers mine 3")
    assert "Shop 44" in third.text and "41–45" in third.text
    found = await shop.say("erin", "/customer find shop")
    assert "20 of 45" in found.text.replace("1–20 of 45", "20 of 45")


async def test_transfer_moves_customers_deals_and_tickets_and_tells_the_contacts(
    shop: Office,
) -> None:
    keep = await add(shop, "bob", "Kept Co")
    moving = await add(shop, "bob", "Moving Co")
    await shop.say("bob", f"/contact add {moving} 张三 lang=zh_CN")
    bob, erin = await member_id(shop, "bob"), await member_id(shop, "erin")
    now = datetime(2026, 11, 30, tzinfo=UTC)

    def setup(session: Session) -> None:
        contact = session.scalars(select(Contact).where(Contact.customer_id == moving)).one()
        session.add(
            GuestAccount(
                contact_id=contact.id,
                channel="memory",
                platform_user_id="g1",
                conversation_id="guest-1",
                created_at=now,
            )
        )
        session.add(
            Deal(
                customer_id=moving,
                name="Deal",
                amount=Decimal(5),
                stage="lead",
                probability=10,
                owner_id=bob,
                last_activity_at=now,
                created_at=now,
            )
        )
        ticket = open_ticket(
            session, customer_id=moving, contact_id=None, subject="Help", now=now, actor_id=bob
        )
        session.get_one(Ticket, ticket.id).assignee_id = bob

    await shop.run(setup)
    refused = await shop.say("bob", "/customer transfer @bob @erin all")
    assert "manager" in refused.text.lower() or "经理" in refused.text
    done = await shop.say("carol", f"/customer transfer @bob @erin {moving}")
    assert "#" + str(moving) in done.text
    assert (
        await shop.count(
            select(func.count()).select_from(Customer).where(Customer.owner_id == erin)
        )
        == 1
    )
    assert (
        await shop.count(select(func.count()).select_from(Deal).where(Deal.owner_id == erin)) == 1
    )
    assert (
        await shop.count(select(func.count()).select_from(Ticket).where(Ticket.assignee_id == erin))
        == 1
    )
    assert (
        await shop.count(
            select(func.count()).select_from(CrmAudit).where(CrmAudit.action == "handover")
        )
        == 3
    )
    assert "Erin East" in shop.texts("guest-1")[-1] and "服务" in shop.texts("guest-1")[-1]
    assert "Moving Co" not in shop.texts("bob")[-1] and "@erin" in shop.texts("bob")[-1]
    assert "@bob" in shop.texts("erin")[-1]
    row = await shop.run(lambda s: s.get_one(Customer, keep))
    assert row.owner_id == bob


async def test_owners_external_keys_and_contact_edits(shop: Office) -> None:
    for_erin = await add(shop, "carol", "Wayne Enterprises owner=@erin key=ERP-1")
    assert "Wayne Enterprises" in (await shop.say("erin", "/customers mine")).text
    taken = await shop.say("carol", "/customer add Copycat key=ERP-1")
    assert "ERP-1" in taken.text
    refused = await shop.say("carol", "/customer add Westish owner=@gina")
    assert "@gina" in refused.text
    assert await shop.count(select(func.count()).select_from(Customer)) == 1

    await shop.say("erin", f"/contact add {for_erin} Alfred P")
    contact = await shop.count(select(func.max(Contact.id)))
    bad = await shop.say("erin", f"/contact edit {contact} lang=klingon")
    assert "zh_CN" in bad.text
    edited = await shop.say(
        "erin", f'/contact edit {contact} phone=+44-20-1234,+44-20-9999 prefs="tea, not coffee"'
    )
    assert "+44-20-9999" in edited.text and "tea, not coffee" in edited.text
    found = await shop.say("erin", "/customer find 44209999")
    assert "Wayne Enterprises" in found.text
    assert (
        await shop.count(
            select(func.count()).select_from(CrmAudit).where(CrmAudit.action == "contact.edited")
        )
        == 1
    )
