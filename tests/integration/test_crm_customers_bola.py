"""Object-level authorisation of the customer commands: a rep probing a colleague's customer,
contact and guessed ids learns nothing and changes nothing; managers see their teams, the
administrator everyone; a member without the CRM is refused."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from domain.crm.models import Activity, Contact, CrmAudit, Customer
from tests.integration.approvals_rig import Office
from tests.integration.crm_rig import running_shop

GINA = "Westwind Logistics 西风物流有限公司"
GINA_PHONE = "021-6666-7777"
GINA_EMAIL = "boss@westwind.example"
GINA_CONTACT = "Zhao Secretperson"
GINA_CONTACT_PHONE = "13912345678"
GINA_NOTE = "confidential: margin is 42 percent"
GUESSES = ("0", "-1", "99999", "#abc")


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[Office]:
    async with running_shop(settings) as opened:
        yield opened


async def added(shop: Office, handle: str, text: str) -> int:
    posted = await shop.say(handle, text)
    found = re.search(r"#(\d+)", posted.text)
    assert found is not None, posted.text
    return int(found.group(1))


async def snapshot(shop: Office) -> tuple[Any, ...]:
    """Everything a probe could change."""

    def work(session: Session) -> tuple[Any, ...]:
        customers = session.execute(
            select(
                Customer.id, Customer.owner_id, Customer.name, Customer.tier, Customer.updated_at
            ).order_by(Customer.id)
        ).all()
        contacts = session.execute(
            select(Contact.id, Contact.name, Contact.title, Contact.updated_at).order_by(Contact.id)
        ).all()
        counts = [session.scalar(select(func.count()).select_from(t)) for t in (Activity, CrmAudit)]
        return tuple(map(tuple, customers)), tuple(map(tuple, contacts)), tuple(counts)

    return await shop.run(work)


async def test_a_rep_cannot_reach_a_colleagues_customer(shop: Office) -> None:
    gina = await added(shop, "gina", f"/customer add {GINA} phone={GINA_PHONE} email={GINA_EMAIL}")
    gina_contact = await added(
        shop, "gina", f"/contact add {gina} {GINA_CONTACT} phone={GINA_CONTACT_PHONE}"
    )
    await shop.say("gina", f"/note {gina} {GINA_NOTE}")
    mine = await added(shop, "bob", "/customer add Bob Own Co")
    before = await snapshot(shop)

    probes: list[str] = []
    for target in (str(gina), f"#{gina}", *GUESSES):
        probes += [
            f"/customer show {target}",
            f"/customer {target}",
            f"/customer edit {target} tier=Z",
            f"/customer assign {target} @bob",
            f"/customer transfer @gina @bob {target}",
            f"/contact add {target} Mallory",
            f"/log {target} call probing",
            f"/note {target} probing",
            f"/客户 查看 {target}",
            f"/跟进 {target} 电话 probing",
            f"/备注 {target} probing",
        ]
    for target in (str(gina_contact), f"#{gina_contact}", *GUESSES):
        probes += [
            f"/contact edit {target} title=Mole",
            f"/联系人 edit {target} title=Mole",
            f"/log {mine} call probing contact={target}",
        ]
    probes += [
        "/customer transfer @gina @bob all",
        "/customer transfer @gina @erin all",
        "/customer add Sneaky Co owner=@gina",
        "/customers team",
        "/customer find Westwind",
        "/customer find 西风",
        "/customer find 6666",
        "/customer find westwind.example",
        "/customer find Secretperson",
        "/customer find 1391234",
    ]
    secrets = (GINA, GINA_PHONE, "66667777", GINA_EMAIL, GINA_CONTACT, GINA_CONTACT_PHONE,
               GINA_NOTE)  # fmt: skip
    with structlog.testing.capture_logs() as logs:
        for probe in probes:
            reply = await shop.say("bob", probe)
            for secret in secrets:
                assert secret not in reply.text, (probe, reply.text)
            for text in shop.texts("bob"):
                assert not any(s in text for s in secrets), (probe, text)
    assert await snapshot(shop) == before
    refused = ("refused.crm_out_of_scope", "refused.crm_no_match")  # by number, by name
    refusals = [e for e in logs if e["event"] in refused]
    assert len(refusals) >= 6 * 11
    assert not any(s in text for s in secrets for text in shop.texts("erin"))


async def test_managers_see_their_teams_and_the_admin_everyone(shop: Office) -> None:
    bob = await added(shop, "bob", "/customer add Common Bob Co")
    erin = await added(shop, "erin", "/customer add Common Erin Co")
    gina = await added(shop, "gina", "/customer add Common Gina Co")
    for query in ("/customers team", "/customer find common"):
        carol = (await shop.say("carol", query)).text
        assert "Bob Co" in carol and "Erin Co" in carol and "Gina Co" not in carol, carol
        alice = (await shop.say("alice", query)).text
        assert all(n in alice for n in ("Bob Co", "Erin Co", "Gina Co")), alice
        frank = (await shop.say("frank", query)).text
        assert "Gina Co" in frank and "Bob Co" not in frank
    assert "Common Gina Co" not in (await shop.say("carol", f"/customer show {gina}")).text
    assert "Common Gina Co" in (await shop.say("alice", f"/customer show {gina}")).text
    assert "Common Bob Co" in (await shop.say("carol", f"/customer show {bob}")).text
    assert "Common Erin Co" not in (await shop.say("bob", f"/customer show {erin}")).text
    assert "Gina Co" not in (await shop.say("bob", "/customer find common")).text
    refused = await shop.say("frank", f"/customer transfer @bob @erin {bob}")
    assert "Bob Co" not in refused.text
    moved = await shop.say("alice", f"/customer transfer @gina @bob {gina}")
    assert f"#{gina}" in moved.text


async def test_a_member_without_the_crm_is_refused(shop: Office) -> None:
    customer_id = await added(shop, "bob", "/customer add Hidden Co phone=010-1234-5678")
    for probe in (f"/customer show {customer_id}", "/customer find Hidden", "/customers",
                  f"/contact add {customer_id} X", f"/log {customer_id} call x",
                  f"/note {customer_id} x", "/customer add Hank Co"):  # fmt: skip
        reply = await shop.say("hank", probe)
        assert "may not use" in reply.text, (probe, reply.text)
        assert "Hidden Co" not in reply.text
    assert await shop.count(select(func.count()).select_from(Customer)) == 1
