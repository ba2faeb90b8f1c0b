"""WeCom customers (external contacts) as CRM contacts: a customer a rep adds on WeCom is matched
to the rep's contact by the phone the rep noted or by name, or offered to the rep to link (a
candidate, another contact by number, or a new customer). Only the rep who added them may link;
repeated changes do nothing twice. The change enters through the adapter's port, as the WeCom
callback hands it in. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from structlog.testing import capture_logs

from bot.config import Settings
from bot.contacts import DirectoryExternalContacts
from bot.ports import ExternalContactChange, ExternalProfile
from bot.replies import Card
from domain.crm.customers import refresh_search_key
from domain.crm.models import Contact, CrmAudit, Customer, ExternalLink
from domain.directory.models import ChatIdentity, ExternalContact
from tests.integration.approvals_rig import Office, button, member_id
from tests.integration.crm_rig import running_shop
from tests.integration.test_crm_guests import add_contact as add_bare_contact

CORP = "ww-corp"
BOB_WECOM = "bob.li"


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[Office]:
    async with running_shop(settings) as office:
        bob = await member_id(office, "bob")
        now = office.clock.now()
        await office.run(
            lambda s: s.add(
                ChatIdentity(
                    member_id=bob,
                    channel="wecom",
                    workspace=CORP,
                    platform_user_id=BOB_WECOM,
                    created_at=now,
                )
            )
        )
        yield office


async def wecom_adds(
    office: Office,
    customer: str,
    *,
    name: str = "",
    remark: str = "",
    phones: tuple[str, ...] = (),
    corp: str = "",
    added: bool = True,
    staff: str = BOB_WECOM,
) -> int:
    """A WeCom add (or removal) as the adapter records it; fires the matching; the external
    contact's number."""
    at = office.clock.now()
    profile = ExternalProfile(name, remark, corp, phones) if added else None
    change = ExternalContactChange("wecom", CORP, staff, customer, added, "", at, profile)
    await DirectoryExternalContacts(office.runtime.db, office.clock).record(change)
    await office.advance(timedelta(seconds=1))

    def number(session: Session) -> int:
        return session.scalars(
            select(ExternalContact.id).where(ExternalContact.external_user_id == customer)
        ).one()

    return await office.run(number)


async def linked_to(office: Office, number: int) -> int | None:
    return await office.run(
        lambda s: s.scalars(
            select(ExternalLink.contact_id).where(ExternalLink.external_contact_id == number)
        ).one_or_none()
    )


async def add_contact(office: Office, owner: str, customer: str, name: str) -> int:
    """A customer with one contact, findable by name and phone like one added by command."""
    contact_id = await add_bare_contact(office, owner, customer, name)
    await office.run(lambda s: refresh_search_key(s, customer_of(s, contact_id)))
    return contact_id


def customer_of(session: Session, contact_id: int) -> Customer:
    return session.get_one(Customer, session.get_one(Contact, contact_id).customer_id)


async def phone_contact(office: Office, owner: str, customer: str, name: str, phone: str) -> int:
    contact_id = await add_contact(office, owner, customer, name)

    def set_phone(session: Session) -> None:
        session.get_one(Contact, contact_id).phones = [phone]
        refresh_search_key(session, customer_of(session, contact_id))

    await office.run(set_phone)
    return contact_id


async def test_a_noted_phone_links_the_customer_and_the_rep_is_told(shop: Office) -> None:
    wang = await phone_contact(shop, "bob", "华为", "王伟", "138 0000 0001")
    await add_contact(shop, "bob", "华为", "王伟 (2)")
    number = await wecom_adds(shop, "wmWANG", name="Wei", phones=("+86 13800000001",))
    assert await linked_to(shop, number) == wang
    card = shop.card("bob")
    assert card.title == "企业微信客户 Wei 已关联"
    assert f"#{wang} 王伟" in [f.value for f in card.fields]
    assert "您备注的手机号" in [f.value for f in card.fields]
    shown = (await shop.say("bob", "/customer show 1")).text
    assert f"企业微信 #{number}" in shown

    before = len(shop.posted("bob"))
    await wecom_adds(shop, "wmWANG", name="Wei", phones=("+86 13800000001",))  # WeCom retries
    assert len(shop.posted("bob")) == before
    audits = select(func.count()).select_from(CrmAudit)
    assert await shop.count(audits.where(CrmAudit.action == "contact.external_linked")) == 1


async def test_a_unique_name_links_and_not_them_offers_the_choice(shop: Office) -> None:
    li = await add_contact(shop, "bob", "Acme", "Li Lei")
    number = await wecom_adds(shop, "wmLI", name="lei", remark="ＬＩ LEI")
    assert await linked_to(shop, number) == li
    await shop.tap("bob", button(shop.card("bob"), "不是此人").token)
    assert await linked_to(shop, number) is None
    offer = shop.card("bob")
    assert offer.title == "新的企业微信客户：ＬＩ LEI"
    await shop.tap("bob", button(offer, "Li Lei").token)
    assert await linked_to(shop, number) == li


async def test_two_likely_contacts_are_offered_and_the_tapped_one_linked(shop: Office) -> None:
    first = await add_contact(shop, "bob", "Acme", "Zhang San")
    second = await add_contact(shop, "bob", "Beta Ltd", "Zhang San")
    await add_contact(shop, "gina", "West Co", "Zhang San")  # another team's: never offered
    number = await wecom_adds(shop, "wmZHANG", name="Zhang San")
    assert await linked_to(shop, number) is None
    offer = shop.card("bob")
    labels = [b.label for b in offer.buttons]
    assert labels == ["Zhang San（Acme）", "Zhang San（Beta Ltd）", "其他联系人…", "新建客户"]
    await shop.tap("bob", button(offer, "Zhang San（Beta Ltd）").token)
    assert await linked_to(shop, number) == second != first


async def test_another_contact_is_asked_for_by_number_within_scope(shop: Office) -> None:
    mine = await add_contact(shop, "bob", "Acme", "Chen Jie")
    theirs = await add_contact(shop, "gina", "West Co", "Somebody")
    number = await wecom_adds(shop, "wmCHEN", name="CJ")
    offer = shop.card("bob")
    assert "您的联系人中没有这个姓名或手机号。" in offer.body
    await shop.tap("bob", button(offer, "其他联系人").token)
    refused = await shop.say("bob", str(theirs))
    assert f"没有您可查看的联系人 #{theirs}" in refused.text, refused.text
    assert await linked_to(shop, number) is None
    await shop.tap("bob", button(offer, "其他联系人").token)
    await shop.say("bob", f"#{mine}")
    assert await linked_to(shop, number) == mine


async def test_new_customer_makes_a_customer_and_contact_owned_by_the_rep(shop: Office) -> None:
    number = await wecom_adds(
        shop, "wmNEW", name="Nick", remark="刘洋", phones=("13900000009",), corp="星辰科技"
    )
    token = button(shop.card("bob"), "新建客户").token
    await shop.tap("bob", token)
    contact_id = await linked_to(shop, number)
    assert contact_id is not None

    def made(session: Session) -> tuple[str, list[str], str, str, int]:
        contact = session.get_one(Contact, contact_id)
        customer = session.get_one(Customer, contact.customer_id)
        return contact.name, contact.phones, customer.name, customer.kind, customer.owner_id

    bob = await member_id(shop, "bob")
    assert await shop.run(made) == ("刘洋", ["13900000009"], "星辰科技", "company", bob)
    await shop.tap("bob", token)  # a second tap
    assert await shop.count(select(func.count()).select_from(Customer)) == 1


async def test_only_the_rep_who_added_them_may_link(shop: Office) -> None:
    number = await wecom_adds(shop, "wmBOB", name="Private")
    erins = await add_contact(shop, "erin", "Erin Co", "Private")
    with capture_logs() as logs:
        answer = await shop.say("erin", f"/contact link {erins} {number}")
    assert f"There is no WeCom customer #{number} of yours." in answer.text
    assert any(e["event"] == "refused.crm_external_contact" for e in logs)
    assert await linked_to(shop, number) is None
    offer = shop.card("bob")
    token = button(offer, "新建客户").token
    await shop.tap("erin", token)  # a button sent to bob
    assert await linked_to(shop, number) is None


async def test_link_and_unlink_by_command_and_a_removal_is_shown(shop: Office) -> None:
    contact_id = await add_contact(shop, "bob", "Acme", "Wu Fei")
    number = await wecom_adds(shop, "wmWU", name="F")
    linked = await shop.say("bob", f"/联系人 关联 {contact_id} {number}")
    assert isinstance(linked.message, Card) and linked.message.title == "企业微信客户 F 已关联"
    await wecom_adds(shop, "wmWU", added=False)
    shown = (await shop.say("bob", "/customer show 1")).text
    assert f"企业微信 #{number}（已删除）" in shown
    unlinked = await shop.say("bob", f"/contact unlink {contact_id} {number}")
    assert "已与联系人" in unlinked.text
    assert await linked_to(shop, number) is None
    wrong = await shop.say("bob", "/contact link x")
    assert "/联系人 关联 12 3" in wrong.text  # the example in the reader's words


async def test_a_customer_added_by_someone_unknown_is_kept_and_nobody_told(shop: Office) -> None:
    before = len(shop.posted("bob"))
    number = await wecom_adds(shop, "wmX", name="X", staff="stranger")
    assert await linked_to(shop, number) is None
    assert len(shop.posted("bob")) == before
