"""Sales in chat, on SQLite (the words and the roles are what is tested; the locking is
test_erp_sales_pg's): a rep quotes, turns the quotation into an order and confirms it by button
(a second tap changes nothing), what is not in stock is backordered, the warehouse ships in two
parts with a tracking number (a redelivered message ships once), the Chinese reader reads Chinese
only, a rep outside the customer's scope is answered as if the order did not exist, and the
warehouse may ship but not sell."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from structlog.testing import capture_logs

from adapters.memory.client import Posted
from bot.config import Settings
from bot.replies import Card
from domain.crm.models import Contact, Customer
from domain.erp.levels import availability
from domain.erp.models import Product, StockMove
from domain.erp.sales_models import Delivery, SalesDocument
from domain.erp.warehouses import add_warehouse
from tests.integration.approvals_rig import Office, button, running_office
from tests.integration.erp_rig import NOW
from tests.integration.test_crm_guests import GUEST, secret_of
from tests.integration.test_erp_chat import text_of

ORG = """
org: {name: Test Trading, timezone: Asia/Shanghai, locale: zh_CN, currency: CNY}
departments:
  - {name: Management, head: alice}
members:
  - {handle: alice, name: Alice Admin, department: Management, roles: [admin, manager], locale: en}
  - {handle: wang, name: 王仓 Wang, department: Management, roles: [warehouse], locale: zh_CN}
  - {handle: will, name: Will Stock, department: Management, roles: [warehouse], locale: en}
  - {handle: bob, name: 李博 Bob, department: Management, roles: [sales], locale: zh_CN}
  - {handle: sue, name: Sue Sales, department: Management, roles: [sales], locale: en}
"""


@pytest.fixture
async def shop(sqlite_settings: Settings) -> AsyncIterator[Office]:
    """SQLite only: this is about what people type and read."""
    async with running_office(sqlite_settings, extra=(), org=ORG) as office:
        await office.run(lambda s: add_warehouse(s, "SH", "上海仓"))
        await office.say("will", "/product add BOLT-M6 Hex bolt price=0.5 tax=13%")
        await office.say("will", "/adjust BOLT-M6 +60 SH opening")
        await office.say("sue", "/customer add Acme Ltd")
        await office.say("bob", "/客户 添加 华东机械")
        yield office


def card_of(posted: Posted) -> Card:
    message = posted.message
    assert isinstance(message, Card), message
    return message


async def stock_of(shop: Office) -> tuple[Decimal, Decimal]:
    def read(s: Session) -> tuple[Decimal, Decimal]:
        held = availability(s, s.scalar(select(Product.id)) or 0)
        return held.on_hand, held.reserved

    return await shop.run(read)


async def chinese_guest_of_acme(shop: Office) -> None:
    """Acme's buyer, who reads Chinese, bound to a chat account (GUEST on "chat")."""

    def work(s: Session) -> int:
        customer = s.scalars(select(Customer).where(Customer.name == "Acme Ltd")).one()
        person = Contact(
            customer_id=customer.id, name="安 Ann", locale="zh_CN", created_at=NOW, updated_at=NOW
        )
        s.add(person)
        s.flush()
        return person.id

    contact_id = await shop.run(work)
    await shop.say("sue", f"/guest-invite {contact_id}")
    await shop.say(GUEST, f"/join guest-{secret_of(shop.card('sue'))}", channel="chat")


async def test_a_quote_becomes_an_order_confirmed_once_then_shipped_in_two_parts(
    shop: Office,
) -> None:
    await chinese_guest_of_acme(shop)
    quoted = card_of(await shop.say("sue", "/quote Acme BOLT-M6 100 price=0.45"))
    assert quoted.title.startswith("Quotation QT2026-00001 · Acme Ltd")
    assert "BOLT-M6 Hex bolt × 100 pcs at 0.45 · tax 13%" in quoted.body
    ordered = card_of(await shop.tap("sue", button(quoted, "Make it an order").token))
    assert ordered.title.startswith("Order SO2026-00001 · Acme Ltd · draft")
    confirm = button(ordered, "Confirm").token
    await shop.tap("sue", confirm)
    await shop.tap("sue", confirm)
    confirmed = text_of(await shop.say("sue", "/order show SO2026-00001"))
    assert "reserved 60, backordered 40, delivered 0" in confirmed
    customer = text_of(await shop.say("sue", "/customer show Acme"))
    assert "Sales orders: 1 in all, 1 open: SO2026-00001" in customer
    assert await stock_of(shop) == (Decimal(60), Decimal(60))

    ship = "/ship SO2026-00001 25 tracking=SF100"
    shipped = text_of(await shop.say("will", ship, event_id="ship-1"))
    assert "Shipped; tracking number SF100." in shipped and "partly delivered" in shipped
    await shop.say("will", ship, event_id="ship-1")  # the platform delivers it again
    assert await shop.count(select(func.count()).select_from(Delivery)) == 1
    assert await stock_of(shop) == (Decimal(35), Decimal(35))
    told = [p.text for p in shop.chat.conversation(GUEST)]
    assert told[-1] == "您的订单 SO2026-00001 已发货：Hex bolt × 25 pcs。运单号：SF100。"
    assert sum("SF100" in x for x in told) == 1

    await shop.say("will", "/adjust BOLT-M6 +50 SH found")  # arrives: the backorder is filled
    assert "reserved 75, backordered 0" in text_of(await shop.say("sue", "/order show so2026-1"))
    await shop.say("will", "/ship SO2026-00001 SF101")
    done = text_of(await shop.say("sue", "/order show SO2026-00001"))
    assert "fully delivered" in done and "delivered 100" in done
    assert await stock_of(shop) == (Decimal(10), Decimal(0))
    customer = text_of(await shop.say("sue", "/customer show Acme"))
    assert "Sales orders: 1 in all, 0 open" in customer
    kinds = select(func.count()).select_from(StockMove).where(StockMove.kind == "delivery")
    assert await shop.count(kinds) == 2

    back = "/return-goods SO2026-00001 4"
    returned = text_of(await shop.say("will", back, event_id="return-1"))
    assert "4 came back into stock." in returned, returned
    await shop.say("will", back, event_id="return-1")  # delivered again: returned once
    assert await stock_of(shop) == (Decimal(14), Decimal(0))
    refused = text_of(await shop.say("sue", back))
    assert refused == "You may not use /return-goods."
    too_many = text_of(await shop.say("will", "/退货 SO2026-00001 97"))
    assert too_many == "Only 96 of that line was delivered and not returned.", too_many


async def test_a_chinese_order_reads_chinese_only_and_cancelling_releases(shop: Office) -> None:
    drafted = text_of(await shop.say("bob", "/订单 华东机械 BOLT-M6 10 单价=0.6"))
    assert "订单 SO2026-00001 已起草。" in drafted and "草稿" in drafted
    confirmed = text_of(await shop.say("bob", "/订单 确认 SO2026-00001"))
    assert "已预留 10，欠货 0，已发货 0" in confirmed
    assert await stock_of(shop) == (Decimal(60), Decimal(10))
    shipped = text_of(await shop.say("wang", "/发货 SO2026-00001 4 YT1"))
    assert "已发货；运单号 YT1。" in shipped and "部分发货" in shipped
    assert await stock_of(shop) == (Decimal(56), Decimal(6))
    cancelled = card_of(await shop.say("bob", "/订单 取消 SO2026-00001"))
    assert "已取消；预留的库存已释放。" in cancelled.body
    assert not cancelled.buttons
    everything = text_of(await shop.say("bob", "/订单列表 华东机械"))
    shown = everything.replace("SO2026-00001", "").replace("BOLT-M6", "")
    assert not any(ch.isascii() and ch.isalpha() for ch in shown), everything
    assert await stock_of(shop) == (Decimal(56), Decimal(0))
    quoted = text_of(await shop.say("bob", "/报价 华东机械 BOLT-M6 2"))
    assert "报价单 QT2026-00001 已起草。" in quoted and "单价 0.5 · 税率 13%" in quoted
    assert "报价单 QT2026-00001" in text_of(await shop.say("bob", "/报价 取消 QT2026-00001"))


async def test_orders_stay_in_the_crm_scope_and_only_the_warehouse_ships(shop: Office) -> None:
    await shop.say("sue", "/order Acme BOLT-M6 5")
    with capture_logs() as logs:
        hidden = text_of(await shop.say("bob", "/订单 查看 SO2026-00001"))
    assert any(e["event"] == "refused.erp_order_out_of_scope" for e in logs)
    assert hidden == "没有订单 SO2026-00001。"
    refused = text_of(await shop.say("sue", "/ship SO2026-00001"))
    assert refused == "You may not use /ship."
    sold = text_of(await shop.say("will", "/order Acme BOLT-M6 5"))
    assert sold == "You may not use /order."
    huge = text_of(await shop.say("sue", "/order Acme BOLT-M6 99999999999999999999"))
    assert huge.startswith("A quantity is above 0 and below a trillion")  # not an overflow
    asked = text_of(await shop.say("sue", "/order Acme BOLT-M6"))
    assert asked.startswith("qty?")
    answered = text_of(await shop.say("sue", "3"))
    assert "Order SO2026-00002 drafted." in answered and "× 3 pcs" in answered


async def test_a_quote_promises_a_date_and_warns_when_it_misses_the_one_asked_for(
    shop: Office,
) -> None:
    quoted = card_of(await shop.say("sue", "/quote Acme BOLT-M6 50 by=2026-12-01"))
    assert "BOLT-M6: 60 available now; all 50 can ship on 2026-11-30, from stock." in quoted.body
    assert "⚠" not in quoted.body
    later = card_of(await shop.say("sue", "/quote Acme BOLT-M6 100 by=2026-12-01"))
    # bought in: no lead time set, so the same day; a product's lead time moves it
    assert "all 100 can ship on 2026-11-30, bought in." in later.body
    await shop.say("will", "/product edit BOLT-M6 lead=5")
    late = card_of(await shop.say("sue", "/quote Acme BOLT-M6 100 by=2026-12-01"))
    assert "all 100 can ship on 2026-12-07, bought in." in late.body  # five working days
    assert "⚠ That is after 2026-12-01, the date asked for." in late.body
    chinese = text_of(await shop.say("bob", "/报价 华东机械 BOLT-M6 10 交期=2026-12-01"))
    assert "BOLT-M6：现有可用 60；全部 10 可于 2026-11-30 发货，来自库存。" in chinese


async def test_a_quote_sent_to_the_customers_guest_once_shows_price_quantity_and_date(
    shop: Office,
) -> None:
    await chinese_guest_of_acme(shop)
    quoted = card_of(await shop.say("sue", "/quote Acme BOLT-M6 10 price=0.45"))
    send = button(quoted, "Send to customer").token
    sent = card_of(await shop.tap("sue", send))
    assert "Sent to 1 contact(s)." in sent.body
    told = shop.chat.conversation(GUEST)[-1].text
    assert told.startswith("报价单 QT2026-00001（来自 Test Trading）：")
    assert "Hex bolt × 10 pcs，单价 0.45 CNY，税率 13%：可于 2026-11-30 发货" in told
    assert "合计 5.09 CNY（含税）。" in told
    assert (
        "cost" not in told.lower() and "成本" not in told and "60" not in told
    )  # no stock, no cost
    again = text_of(await shop.say("sue", "/quote send QT2026-00001"))
    assert "It was sent already; nothing changed." in again
    assert len([m for m in shop.chat.conversation(GUEST) if "QT2026-00001" in m.text]) == 1


async def test_an_order_keeps_the_delivery_date_asked_for(shop: Office) -> None:
    ordered = card_of(await shop.say("sue", "/order Acme BOLT-M6 5 by=2026-12-20"))
    assert "Wanted by: 2026-12-20" in text_of(await shop.say("sue", "/order show SO2026-00001"))
    assert ordered.title.startswith("Order SO2026-00001")
    wanted = await shop.run(lambda s: s.scalar(select(SalesDocument.wanted_on)))
    assert wanted == date(2026, 12, 20)
    chinese = text_of(await shop.say("bob", "/订单 华东机械 BOLT-M6 2 交期=2026-12-21"))
    assert "要货日期: 2026-12-21" in chinese
