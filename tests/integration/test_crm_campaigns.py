"""Campaigns and leads in chat: who may create campaigns, the report's numbers, leads in their
owners' scope, converting once into a customer and a deal, dropping."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.replies import Card
from domain.crm.models import Campaign, Contact, Customer, Deal, DealStageChange, Lead
from tests.integration.approvals_rig import Office, member_id
from tests.integration.crm_rig import running_shop


def fields(office: Office, handle: str) -> dict[str, str]:
    """The fields of the newest card a member sees."""
    message = office.posted(handle)[-1].message
    assert isinstance(message, Card), office.texts(handle)[-1]
    return {f.label: f.value for f in message.fields}


async def count(office: Office, model: type[object]) -> int:
    """How many rows a CRM table has."""
    return await office.count(select(func.count()).select_from(model))


async def test_the_report_counts_leads_conversions_revenue_cost_and_roi(
    settings: Settings,
) -> None:
    async with running_shop(settings) as office:
        created = await office.say(
            "carol",
            '/campaign add "Spring Expo" budget=10000 goal="50 leads" channel=expo '
            "start=2026-03-01 end=2026-03-03 with=@bob,@erin",
        )
        assert created.text.startswith("✅ Campaign #1 created: Spring Expo"), created.text
        assert fields(office, "carol")["Participants"] == "李博 Bob, Erin East"
        for name in ("A", "B", "C", "D"):
            await office.say("bob", f"/lead add {name} campaign=1")
        await office.say("erin", "/lead add E campaign=#1")
        await office.say("bob", "/lead convert 1 deal=Big amount=30000 close=2026-12-31")
        await office.say("bob", "/线索 转化 2 商机=Small 金额=5000 成交=2026-12-31")
        await office.say("bob", "/lead drop 3")
        won = await office.say("bob", "/deal won 1")
        assert won.text.startswith("商机已赢单"), won.text  # bob reads Chinese
        report = await office.say("gina", "/campaign 1 report")
        assert report.text.startswith("📊 Campaign #1 report: Spring Expo")
        assert fields(office, "gina") == {
            "Budget": "CN¥10,000.00",
            "Leads": "5",
            "Converted": "2",
            "Conversion rate": "40.0%",
            "Won revenue": "CN¥30,000.00",
            "Cost per lead": "CN¥2,000.00",
            "ROI": "200.0%",
        }
        chinese = await office.say("bob", "/活动 1 报告")
        assert chinese.text.startswith("📊 活动 #1 报告：Spring Expo")


async def test_undefined_ratios_show_a_dash(settings: Settings) -> None:
    async with running_shop(settings) as office:
        await office.say("alice", "/campaign add Webinar budget=0")
        await office.say("alice", "/campaign 1 report")
        report = fields(office, "alice")
        assert (report["Leads"], report["Conversion rate"]) == ("0", "—")
        assert (report["Cost per lead"], report["ROI"]) == ("—", "—")


async def test_only_managers_create_campaigns_and_every_crm_user_sees_them(
    settings: Settings,
) -> None:
    async with running_shop(settings) as office:
        refused = await office.say("bob", "/campaign add Mine budget=100")
        assert refused.text == "只有经理可以创建营销活动。"
        assert await count(office, Campaign) == 0
        await office.say("frank", "/campaign add West budget=100")
        assert (await office.say("bob", "/campaign 1")).text.startswith("📣 活动 #1：West")
        assert "#1 West" in (await office.say("jack", "/campaigns")).text
        assert "#1" not in (await office.say("hank", "/campaigns")).text


async def test_bad_campaign_input_changes_nothing(settings: Settings) -> None:
    async with running_shop(settings) as office:
        bad = (
            ("/campaign add X budget=lots", 'I can\'t read "lots" as budget.'),
            ("/campaign add X", "Missing budget=."),
            ("/campaign add X budget=-5", "The budget cannot be negative."),
            ("/campaign add X budget=5 start=2026-03-05 end=2026-03-01", "cannot end before"),
            ("/campaign add X budget=5 start=March", 'I can\'t read "March" as start.'),
            ("/campaign add X budget=5 with=@nobody", "I don't know @nobody."),
            ("/campaign add X budget=5 colour=red", "There is no field colour here."),
            ("/campaign 7", "There is no campaign #7."),
        )
        for command, says in bad:
            answer = await office.say("carol", command)
            assert says in answer.text, (command, answer.text)
        assert await count(office, Campaign) == 0


async def test_converting_a_lead_makes_a_customer_contact_and_first_stage_deal_once(
    settings: Settings,
) -> None:
    async with running_shop(settings) as office:
        await office.say("alice", "/campaign add Expo budget=1000")
        added = await office.say(
            "bob",
            "/线索 添加 张伟 公司=上海明远 电话=138-0013-8000 邮箱=zw@example.cn 活动=1",
        )
        assert added.text.startswith("✅ 线索 #1 已添加：张伟"), added.text
        done = await office.say(
            "bob", '/lead convert 1 deal="Pilot order" amount=50,000 close=2026-12-31'
        )
        assert done.text.startswith("✅ 线索 #1 已转化：张伟"), done.text
        bob = await member_id(office, "bob")
        now = office.clock.now()

        def made(session: Session) -> tuple[Customer, Contact, Deal, int, Lead]:
            customer = session.scalars(select(Customer)).one()
            contact = session.scalars(select(Contact)).one()
            deal = session.scalars(select(Deal)).one()
            changes = session.scalar(select(func.count()).select_from(DealStageChange)) or 0
            return customer, contact, deal, changes, session.scalars(select(Lead)).one()

        customer, contact, deal, changes, lead = await office.run(made)
        assert (customer.name, customer.kind, customer.owner_id) == ("上海明远", "company", bob)
        assert customer.campaign_id == 1
        assert (contact.name, contact.customer_id, contact.phones) == (
            "张伟", customer.id, ["138-0013-8000"]
        )  # fmt: skip
        assert (deal.name, deal.stage, deal.probability, deal.owner_id) == (
            "Pilot order", "lead", 10, bob
        )  # fmt: skip
        assert (deal.amount, deal.campaign_id, deal.last_activity_at) == (Decimal(50000), 1, now)
        assert str(deal.expected_close) == "2026-12-31" and changes == 1
        for typed in ("张伟", "13800138000", "ZW@example.cn"):  # found by its contact too
            found = await office.say("bob", f"/customer find {typed}")
            assert "上海明远" in found.text, (typed, found.text)
        assert (lead.status, lead.customer_id, lead.deal_id) == ("converted", customer.id, deal.id)
        again = await office.say("bob", "/lead convert 1")
        assert again.text == f"线索 #1 已转化过，对应客户 #{customer.id}。"
        assert (await count(office, Customer), await count(office, Deal)) == (1, 1)


async def test_a_lead_without_a_company_becomes_a_person(settings: Settings) -> None:
    async with running_shop(settings) as office:
        await office.say("erin", "/lead add Pat Doe email=pat@example.com")
        await office.say("erin", "/lead convert 1")
        customer = await office.run(lambda s: s.scalars(select(Customer)).one())
        assert (customer.name, customer.kind, customer.email) == (
            "Pat Doe", "person", "pat@example.com"
        )  # fmt: skip
        assert (await count(office, Contact), await count(office, Deal)) == (0, 0)


async def test_leads_are_seen_through_their_owners_scope(settings: Settings) -> None:
    async with running_shop(settings) as office:
        await office.say("bob", "/lead add Secret company=Hidden")
        for handle in ("gina", "frank", "jack"):
            shown = await office.say(handle, "/lead 1")
            missing = await office.say(handle, "/lead 99")
            assert shown.text == "There is no lead #1 that you can see.", handle
            assert missing.text == "There is no lead #99 that you can see."
            converted = await office.say(handle, "/lead convert 1")
            assert converted.text == "There is no lead #1 that you can see."
            assert "Secret" not in (await office.say(handle, "/leads")).text
        assert "Secret" in (await office.say("carol", "/leads")).text
        assert "Secret" not in (await office.say("carol", "/leads mine")).text
        assert "Secret" in (await office.say("alice", "/leads campaign=")).text
        assert (await office.say("carol", "/lead 1")).text.startswith("🎯 Lead #1: Secret")
        assert (await count(office, Customer)) == 0


async def test_a_dropped_lead_leaves_the_list_and_cannot_convert(settings: Settings) -> None:
    async with running_shop(settings) as office:
        await office.say("alice", "/campaign add Expo budget=1000")
        await office.say("bob", "/lead add One campaign=1")
        await office.say("bob", "/lead add Two campaign=1")
        dropped = await office.say("bob", "/lead drop 1")
        assert dropped.text.startswith("线索 #1 已放弃：One")
        assert (await office.say("bob", "/lead convert 1")).text == "线索 #1 已被放弃。"
        listed = (await office.say("bob", "/leads campaign=1")).text
        assert "#2 Two" in listed and "One" not in listed
        missing = await office.say("bob", "/lead add Three campaign=9")
        assert missing.text == "没有活动 #9。"
        assert await count(office, Lead) == 2
