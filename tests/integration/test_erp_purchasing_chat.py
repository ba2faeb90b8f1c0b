"""Purchasing in chat, on SQLite (the words and the roles are what is tested; the receipts'
locking is test_erp_purchasing_pg's): a request goes through the purchase approval and only its
approval lets a buyer ask for quotes and order; the buyer compares two suppliers and a double tap
orders once; the warehouse receives with one unit rejected; a stranger to the records is answered
as if they did not exist; and a Chinese reader reads Chinese only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.replies import Card
from domain.erp.catalog import add_product
from domain.erp.levels import availability
from domain.erp.purchase_models import PurchaseOrder
from domain.erp.warehouses import add_warehouse
from tests.integration.approvals_rig import Office, button, running_office
from tests.integration.test_erp_chat import text_of

ORG = """
org: {name: Test Trading, timezone: Asia/Shanghai, locale: zh_CN, currency: CNY}
departments:
  - {name: Management, head: alice}
members:
  - {handle: alice, name: Alice Admin, department: Management, roles: [admin, manager], locale: en}
  - {handle: bob, name: Bob Asker, department: Management, manager: alice, locale: en}
  - {handle: pia, name: Pia Buyer, department: Management, roles: [purchasing], locale: en}
  - {handle: fay, name: Fay Finance, department: Management, roles: [finance], locale: en}
  - {handle: will, name: Will Stock, department: Management, roles: [warehouse], locale: en}
  - {handle: wang, name: 王仓 Wang, department: Management, roles: [warehouse], locale: zh_CN}
  - {handle: li, name: 李采购 Li, department: Management, roles: [purchasing], locale: zh_CN}
"""


@pytest.fixture
async def shop(sqlite_settings: Settings) -> AsyncIterator[Office]:
    """SQLite only: this is about what people type and read."""
    async with running_office(sqlite_settings, extra=(), org=ORG) as office:

        def stocked(s: object) -> None:
            add_warehouse(s, "SH", "上海仓")  # type: ignore[arg-type]
            values = {"name_en": "Hex bolt", "name_zh": "螺栓", "cost": Decimal(2)}
            add_product(s, "BOLT-M6", values, "CNY", office.clock.now())  # type: ignore[arg-type]

        await office.run(stocked)
        yield office


async def requested(
    shop: Office, handle: str = "bob", line: str = "/pr BOLT-M6 100 reason=restock"
) -> int:
    posted = await shop.say(handle, line)
    assert isinstance(posted.message, Card), posted.text
    return int(posted.message.title.split("#", 1)[1].rstrip(".。"))


async def test_a_request_approved_compared_ordered_once_and_received_with_one_rejected(
    shop: Office,
) -> None:
    assert "Supplier Acme Metals added" in text_of(
        await shop.say("pia", '/supplier add Acme Metals contact="Li 138" lead=2')
    )
    await shop.say("pia", "/supplier add Bolt Co lead=10")
    approval = await requested(shop)
    assert "PR2026-00001" in (await shop.say("bob", "/pr show PR2026-00001")).text
    refused = text_of(await shop.say("pia", "/rfq PR2026-00001 Acme Metals price=1.2"))
    assert refused == "PR2026-00001 is not approved yet."
    refused = text_of(await shop.say("pia", "/po PR2026-00001 Acme Metals"))
    assert refused == "PR2026-00001 is not approved yet."
    await shop.say("alice", f"/approve {approval}")
    assert "approved" in text_of(await shop.say("bob", "/pr show PR2026-00001"))
    asked = text_of(await shop.say("pia", "/rfq PR2026-00001 Acme Metals"))
    assert asked.startswith("Asked Acme Metals for a quote on PR2026-00001")
    quoted = text_of(await shop.say("pia", "/rfq PR2026-00001 Acme Metals price=1.2 lead=3"))
    assert quoted == "Quote recorded: Acme Metals, 1.2 CNY a unit, 3 days, for PR2026-00001."
    await shop.say("pia", "/rfq PR2026-00001 Bolt Co price=1.1")
    compared = await shop.say("pia", "/compare PR2026-00001")
    assert isinstance(compared.message, Card)
    shown = text_of(compared)
    assert "Bolt Co: 110 CNY · lead time 10 days · on time no receipts yet" in shown
    assert "Acme Metals: 120 CNY · lead time 3 days" in shown
    pick = button(compared.message, "Order from Bolt Co").token
    other_pick = button(compared.message, "Order from Acme").token
    placed = await shop.tap("pia", pick)
    assert "Purchase order PO2026-00001 placed" in placed.text
    again = await shop.tap("pia", pick)  # a double tap
    assert "PR2026-00001 was already ordered as PO2026-00001" in again.text
    other = await shop.tap("pia", other_pick)
    assert "PR2026-00001 was already ordered as PO2026-00001" in other.text
    assert await shop.run(lambda s: s.scalar(select(func.count(PurchaseOrder.id)))) == 1
    assert isinstance(compared.message, Card) and not compared.message.buttons  # redrawn
    assert compared.message.footer == "Purchase order PO2026-00001 placed"
    held = await shop.run(lambda s: availability(s, 1))
    assert (held.on_hand, held.incoming) == (Decimal(0), Decimal(100))
    received = text_of(await shop.say("will", "/receive PO2026-00001 100 rejected=1"))
    assert received == "PO2026-00001: 99 pcs of BOLT-M6 accepted, 1 rejected; 0 open."
    held = await shop.run(lambda s: availability(s, 1))
    assert (held.on_hand, held.incoming) == (Decimal(99), Decimal(0))
    card = text_of(await shop.say("bob", "/supplier show Bolt Co"))
    assert "On time: 100%" in card and "Accepted: 99%" in card and "Receipts: 1" in card


async def test_buyers_order_the_warehouse_receives_and_others_are_refused(shop: Office) -> None:
    refused = text_of(await shop.say("bob", "/supplier add Sneaky Ltd"))
    assert refused == "Only buyers can do that."
    await shop.say("pia", "/supplier add Acme Metals")
    approval = await requested(shop, "pia", "/pr BOLT-M6 10 reason=spares")
    await shop.say("alice", f"/approve {approval}")
    assert text_of(await shop.say("bob", "/pr show PR2026-00001")) == (
        "There is no purchase request PR2026-00001."
    )
    assert text_of(await shop.say("bob", "/compare PR2026-00001")) == "Only buyers can do that."
    await shop.say("will", "/product edit BOLT-M6 supplier=Acme Metals")
    placed = text_of(await shop.say("pia", "/po PR2026-00001 warehouse=SH"))  # its default supplier
    assert "Purchase order PO2026-00001 placed" in placed and "Supplier: Acme Metals" in placed
    assert text_of(await shop.say("bob", "/po show PO2026-00001")) == (
        "There is no purchase order PO2026-00001."
    )
    assert "PO2026-00001" in text_of(await shop.say("will", "/po show PO2026-00001"))
    refused = text_of(await shop.say("pia", "/receive PO2026-00001 10"))
    assert refused == "You may not use /receive."
    too_many = text_of(await shop.say("will", "/receive PO2026-00001 11"))
    assert too_many == "Only 10 of that product are still open on PO2026-00001."
    asked = text_of(await shop.say("will", "/receive PO2026-00001"))
    assert asked.startswith("qty?")
    rejected = await requested(shop, "bob", "/pr BOLT-M6 5 reason=extra")
    await shop.say("alice", f"/reject {rejected} not needed")
    assert "Status: approval rejected" in text_of(await shop.say("bob", "/pr show PR2026-00002"))
    refused = text_of(await shop.say("pia", "/po PR2026-00002 Acme Metals"))
    assert refused == "PR2026-00002 is not approved yet."


async def test_a_request_over_10000_needs_finance_too_before_it_can_be_ordered(
    shop: Office,
) -> None:
    await shop.say("pia", "/supplier add Acme Metals")
    approval = await requested(shop, "bob", "/pr BOLT-M6 6000 reason=year stock")  # 12,000
    await shop.say("alice", f"/approve {approval}")
    refused = text_of(await shop.say("pia", "/po PR2026-00001 Acme Metals"))
    assert refused == "PR2026-00001 is not approved yet."  # the purchase template's finance step
    await shop.say("fay", f"/approve {approval}")
    placed = text_of(await shop.say("pia", "/po PR2026-00001 Acme Metals"))
    assert "Purchase order PO2026-00001 placed" in placed


async def test_a_chinese_buyer_and_warehouse_read_chinese_only(shop: Office) -> None:
    added = text_of(await shop.say("li", "/供应商 新增 华东五金 交货期=3 账期=月结30天"))
    assert "供应商 华东五金 已添加" in added and "月结30天" in added
    changed = text_of(await shop.say("li", "/供应商 修改 华东五金 交货期=4 联系人=王经理"))
    assert "采购周期: 4 天" in changed
    assert "王经理" in changed and "准时率: 尚无收货记录" in changed
    assert "华东五金 · 4 天" in text_of(await shop.say("wang", "/供应商 查找 五金"))
    await shop.say("wang", "/产品 新增 GEAR-01 齿轮 成本=3")
    approval = await requested(shop, "li", "/采购申请 齿轮 20 理由=补货")
    await shop.say("alice", f"/approve {approval}")
    asked = text_of(await shop.say("li", "/询价 PR2026-00001 华东五金"))
    assert asked.endswith("/询价 PR2026-00001 华东五金 价格=… 交货期=…")
    await shop.say("li", "/询价 PR2026-00001 华东五金 价格=1.5 交货期=2")
    card = await shop.say("li", "/比价 PR2026-00001")
    assert isinstance(card.message, Card)
    assert card.message.buttons[0].command == "/采购单 PR2026-00001 华东五金"
    compared = text_of(card)
    assert "华东五金: 30 CNY · 交货期 2 天 · 准时率 尚无收货记录" in compared
    placed = text_of(await shop.say("li", "/采购单 PR2026-00001 华东五金"))
    assert "采购单 PO2026-00001 已下达" in placed
    received = text_of(await shop.say("wang", "/收货 PO2026-00001 20 拒收=2"))
    assert received == "PO2026-00001：GEAR-01 合格 18 个，拒收 2；未到 0。"
    for text in (added, asked, compared, placed, received):
        rest = text.replace("PO2026-00001", "").replace("PR2026-00001", "").replace("GEAR-01", "")
        rest = rest.replace("CNY", "").replace("SH", "")
        assert not any(ch.isascii() and ch.isalpha() for ch in rest), rest
