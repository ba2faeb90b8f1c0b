"""Production in chat, on SQLite (the words are what is tested; the locks are
test_erp_production's and the ledger's): a bill of materials set and shown with what is short, a
production order planned, released and reported (a redelivered report counts once), others
refused, and a Chinese planner reading Chinese only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.replies import Card
from domain.directory.models import Member
from domain.erp.catalog import add_product, product_by_sku
from domain.erp.levels import availability
from domain.erp.models import StockMove
from domain.erp.production_models import Bom, ProductionOrder
from domain.erp.routings import OperationRequest, add_work_centre, set_routing
from domain.erp.sales import LineRequest, Party, confirm_order, create_document
from domain.erp.stock import post_move
from domain.erp.warehouses import add_warehouse, main_location, warehouse_by_code
from tests.integration.approvals_rig import Office, button, running_office
from tests.integration.erp_rig import NOW, receipt
from tests.integration.test_erp_chat import text_of

ORG = """
org: {name: Test Works, timezone: Asia/Shanghai, locale: zh_CN, currency: CNY}
departments:
  - {name: Management, head: alice}
members:
  - {handle: alice, name: Alice Admin, department: Management, roles: [admin, manager], locale: en}
  - {handle: pat, name: Pat Planner, department: Management, roles: [production], locale: en}
  - {handle: zhang, name: 张工 Zhang, department: Management, roles: [production], locale: zh_CN}
  - {handle: bob, name: 李博 Bob, department: Management, roles: [sales], locale: zh_CN}
"""


def workshop(s: Session) -> dict[str, int]:
    """Legs and seats in stock at SH, a stool made of them on an assembly bench."""
    place = main_location(s, add_warehouse(s, "SH", "上海仓"))
    made = {}
    for sku, zh, en, kind, cost in (
        ("LEG", "凳腿", "Leg", "raw", "2"),
        ("SEAT", "凳面", "Seat", "raw", "3"),
        ("STOOL", "凳子", "Stool", "finished", "0"),
    ):
        fields = {"name_zh": zh, "name_en": en, "kind": kind, "cost": Decimal(cost)}
        made[sku] = add_product(s, sku, fields, "CNY", NOW)  # type: ignore[arg-type]
    post_move(s, receipt(made["LEG"], place, "100", "legs", cost="2"), None, NOW)
    post_move(s, receipt(made["SEAT"], place, "12", "seats", cost="3"), None, NOW)
    pat = s.scalar(select(Member.id).where(Member.handle == "pat"))
    bench = add_work_centre(s, "ASM", "Assembly", Decimal(8), Decimal(50), operator_id=pat)
    set_routing(s, made["STOOL"].id, [OperationRequest("Assemble", bench.id, Decimal("0.5"))])
    return {sku: p.id for sku, p in made.items()}


@pytest.fixture
async def works(sqlite_settings: Settings) -> AsyncIterator[Office]:
    """SQLite only: this is about what people type and read."""
    async with running_office(sqlite_settings, extra=(), org=ORG) as office:
        await office.run(workshop)
        yield office


async def stock_of(works: Office, sku: str) -> tuple[Decimal, Decimal]:
    def read(s: Session) -> tuple[Decimal, Decimal]:
        product = product_by_sku(s, sku)
        assert product is not None
        held = availability(s, product.id)
        return held.on_hand, held.reserved

    return await works.run(read)


async def test_a_stool_planned_released_and_reported_once_in_english(works: Office) -> None:
    said = text_of(await works.say("alice", "/bom set STOOL LEG 4 scrap=5%; SEAT 1"))
    assert "Bill of materials version 1 of STOOL, in force from 2026-11-30." in said
    tree = await works.say("alice", "/bom STOOL 20")
    shown = text_of(tree)
    assert "Bill of materials: STOOL Stool × 20" in shown
    assert "LEG Leg × 84 pcs · available 100 · enough" in shown  # 20 × 4 × 1.05
    assert "SEAT Seat × 20 pcs · available 12 · short 8" in shown
    assert isinstance(tree.message, Card) and tree.message.status == "warning"

    planned = text_of(await works.say("pat", "/mo new STOOL 10 SH due=2026-12-20"))
    assert "Production order MO2026-00001 planned." in planned
    assert "Production order MO2026-00001 · STOOL Stool × 10 · planned" in planned
    released = await works.say("pat", "/mo release MO2026-00001")
    assert "Released; every component is reserved." in text_of(released)
    assert isinstance(released.message, Card)
    assert [b.command for b in released.message.buttons] == [
        "/mo release MO2026-00001",
        "/mo cancel MO2026-00001",
    ]
    assert await stock_of(works, "SEAT") == (Decimal(12), Decimal(10))

    reported = text_of(await works.say("pat", "/produce MO2026-00001 4 scrap=1", event_id="r1"))
    assert "Reported 4 made and 1 scrapped" in reported and "Made: 4 / 10" in reported
    await works.say("pat", "/produce MO2026-00001 4 scrap=1", event_id="r1")  # redelivered
    assert await stock_of(works, "STOOL") == (Decimal(4), Decimal(0))
    assert await stock_of(works, "LEG") == (
        Decimal(79),
        Decimal(21),
    )  # 21 of 42 consumed: 5 of 10 stools
    moves = await works.count(select(func.count()).select_from(StockMove))
    assert moves == 2 + 3  # the two receipts; legs, seats and stools once


async def test_others_are_refused_and_nothing_changes(works: Office) -> None:
    await works.say("alice", "/bom set STOOL LEG 4; SEAT 1")
    refused = text_of(await works.say("bob", "/bom set STOOL LEG 3; SEAT 1"))
    assert refused == "只有产品目录维护人员可以修改物料清单。"
    assert text_of(await works.say("bob", "/生产单 新建 STOOL 5 SH")) == "你没有权限使用 /生产单。"
    looked = text_of(await works.say("bob", "/物料清单 STOOL"))
    assert "LEG 凳腿 × 4 pcs · 可用 100 · 足够" in looked  # anyone may look
    assert text_of(await works.say("pat", "/mo")) == "Open production orders\nNothing found.\n"
    missing = text_of(await works.say("pat", "/produce MO2026-00009 3"))
    assert missing == "There is no production order MO2026-00009."
    asked = text_of(await works.say("pat", "/mo new STOOL"))
    assert asked.startswith("qty?")  # asked for, never guessed
    versions = await works.count(select(func.count()).select_from(Bom))
    assert versions == 1


async def test_a_chinese_planner_reads_chinese_only(works: Office) -> None:
    await works.say("alice", "/bom set STOOL LEG 4; SEAT 1")
    planned = text_of(await works.say("zhang", "/生产单 新建 STOOL 5 SH 交期=2026-12-20"))
    assert "已计划生产单 MO2026-00001。" in planned
    released = text_of(await works.say("zhang", "/生产单 下达 MO2026-00001"))
    assert "已下达，所有组件均已预留。" in released
    reported = text_of(await works.say("zhang", "/报工 MO2026-00001 5"))
    assert "已报工：完工 5，报废 0" in reported and "已完成" in reported
    tree = text_of(await works.say("zhang", "/物料清单 STOOL 20"))
    assert "凳面 × 20" in tree and "缺 13" in tree  # 12 seats less the 5 used
    for text in (planned, released, reported, tree):
        rest = text
        for word in ("MO2026-00001", "STOOL", "LEG", "SEAT", "SH", "pcs", "Assemble", "ASM"):
            rest = rest.replace(word, "")
        assert not any(ch.isascii() and ch.isalpha() for ch in rest), rest


async def sold(works: Office, quantity: int) -> None:
    """A confirmed order of stools for a customer (the CRM is not this test's)."""

    def sell(s: Session) -> None:
        stool, warehouse = product_by_sku(s, "STOOL"), warehouse_by_code(s, "SH")
        assert stool is not None and warehouse is not None
        line = [LineRequest(stool.id, Decimal(quantity))]
        place = main_location(s, warehouse)
        order = create_document(s, "order", Party(7, "Acme", None), place, line, NOW)
        confirm_order(s, order.id, NOW)

    await works.run(sell)


async def test_mrp_plans_and_a_tap_makes_the_order_once(works: Office) -> None:
    await works.say("alice", "/bom set STOOL LEG 4; SEAT 1")
    await sold(works, 30)
    card = await works.say("pat", "/mrp")
    older = await works.say("pat", "/mrp")  # the same plan on a second card
    shown = text_of(card)
    assert "Material requirements: 3 planned orders, 3 exceptions" in shown
    assert "make STOOL Stool × 30: release" in shown and "buy SEAT Seat × 18" in shown
    assert "buy LEG Leg × 20" in shown
    assert isinstance(card.message, Card)
    labels = [b.label for b in card.message.buttons]
    assert labels[-1] == "Confirm all" and "Confirm STOOL × 30" in labels
    stool_button = card.message.buttons[labels.index("Confirm STOOL × 30")]
    made = text_of(await works.tap("pat", stool_button.token))
    assert made == "Made MO2026-00001."
    assert text_of(await works.tap("pat", stool_button.token)) == "That was already done."
    assert isinstance(older.message, Card)
    other = next(b for b in older.message.buttons if b.label == "Confirm STOOL × 30")
    covered = text_of(await works.tap("pat", other.token))
    assert covered == "That planned order is already covered; nothing was made."
    replanned = text_of(await works.say("pat", "/mrp"))
    assert "make STOOL" not in replanned  # the production order covers the sale now
    assert "buy SEAT Seat × 18" in replanned  # its seats are still short
    assert await works.count(select(func.count()).select_from(ProductionOrder)) == 1


async def test_releasing_sends_the_operator_a_task_card_that_starts_and_finishes_once(
    works: Office,
) -> None:
    await works.say("alice", "/bom set STOOL LEG 4; SEAT 1")
    await works.say("pat", "/mo new STOOL 10 SH")
    await works.say("pat", "/mo release MO2026-00001")
    card = next(
        p.message
        for p in works.posted("pat")
        if isinstance(p.message, Card) and p.message.title.startswith("Task:")
    )
    assert card.title == "Task: Assemble for MO2026-00001"
    assert card.body == "STOOL × 10 at ASM, about 5 hours · to do"
    start = button(card, "Start").token
    await works.tap("pat", start)
    assert text_of(await works.tap("pat", start)) == "That was already done."
    listed = await works.say("pat", "/tasks")
    assert "about 5 hours · started" in text_of(listed)
    assert isinstance(listed.message, Card)
    done = button(listed.message, "Done").token
    refused = text_of(await works.tap("zhang", done))  # not zhang's task: nothing moves
    assert refused == "这个按钮不是给你的。"
    assert "about 5 hours · started" in text_of(await works.say("pat", "/tasks"))
    await works.tap("pat", done)
    shown = text_of(await works.say("pat", "/mo show MO2026-00001"))
    assert "1. Assemble · ASM · 5 h · done" in shown
    assert text_of(await works.say("pat", "/tasks")).endswith("Nothing found.\n")
    assert text_of(await works.say("zhang", "/任务")) == "你的生产任务\n没有找到。\n"
