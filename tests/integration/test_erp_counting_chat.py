"""Stock takes in chat, on SQLite (words and buttons; the ledger's locking is PostgreSQL's): a
blind count tapped through the product list, a transfer during the count kept, the variance card
to the warehouse manager, an Approve tapped twice that adjusts once, and who may do what."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.replies import Card
from domain.erp.catalog import add_product
from domain.erp.counting import take_by_id
from domain.erp.levels import availability
from domain.erp.models import Product, StockMove
from domain.erp.stock import MoveRequest, post_move, reserve
from domain.erp.warehouses import add_warehouse, main_location, warehouse_by_code
from tests.integration.approvals_rig import Office, button, running_office
from tests.integration.erp_rig import NOW
from tests.integration.test_erp_chat import text_of

ORG = """
org: {name: Test Trading, timezone: Asia/Shanghai, locale: zh_CN, currency: CNY}
departments:
  - {name: Management, head: alice}
members:
  - {handle: alice, name: Alice Admin, department: Management, roles: [admin, manager], locale: en}
  - {handle: max, name: Max Keeper, department: Management, roles: [warehouse, manager], locale: en}
  - {handle: mei, name: 梅经理, department: Management, roles: [warehouse, manager], locale: zh_CN}
  - {handle: will, name: Will Stock, department: Management, roles: [warehouse], locale: en}
  - {handle: wang, name: 王仓 Wang, department: Management, roles: [warehouse], locale: zh_CN}
  - {handle: bob, name: 李博 Bob, department: Management, roles: [sales], locale: zh_CN}
"""


@pytest.fixture
async def shop(sqlite_settings: Settings) -> AsyncIterator[Office]:
    """SQLite only: this is about what people type, read and tap."""
    async with running_office(sqlite_settings, extra=(), org=ORG) as office:
        await office.run(
            lambda s: [add_warehouse(s, "SH", "上海仓"), add_warehouse(s, "BJ", "北京仓")]
        )
        await office.say("will", "/product add BOLT-M6 Hex bolt cost=2")
        await office.say("will", "/adjust BOLT-M6 +20 SH")
        yield office


async def _moves(shop: Office) -> int:
    return await shop.count(select(func.count()).select_from(StockMove))


async def test_a_blind_count_tapped_through_approved_once_and_a_transfer_kept(shop: Office) -> None:
    started = (await shop.say("will", "/stocktake start SH")).message
    assert isinstance(started, Card) and started.title == "Stock take #1 of SH started"
    listed = await shop.tap("will", button(started, "Products to count").token)
    assert isinstance(listed.message, Card) and "20" not in listed.text  # blind: no book figure
    asked = await shop.tap("will", button(listed.message, "BOLT-M6 Hex bolt").token)
    assert asked.text.startswith("qty?")
    counted = await shop.say("will", "17")
    assert counted.text == "Counted 17 pcs of BOLT-M6 Hex bolt at SH (stock take #1)."
    await shop.say("will", "/transfer-stock BOLT-M6 5 SH BJ")  # goods leave during the count

    done = await shop.say("will", "/stocktake finish SH")
    assert "Max Keeper、梅经理 will approve the variance" in done.text
    card = shop.card("max")
    assert "BOLT-M6 Hex bolt: book 20, counted 17, difference -3 pcs, value -6" in card.body
    assert "Total value: -6 CNY" in text_of(shop.posted("max")[-1])
    approve = button(card, "Approve").token
    await shop.tap("max", approve)
    again = await shop.tap("max", approve)  # a double tap
    assert "Stock take #1 is approved." in again.text
    outcome = shop.card("max")  # every copy of the variance card now shows the outcome
    assert outcome.title == "Stock take #1 of SH approved" and not outcome.buttons
    assert outcome.body == "Max Keeper approved it; adjustments posted: 1."
    assert await _moves(shop) == 3  # the opening adjustment, the transfer, one count adjustment
    held = await shop.run(lambda s: availability(s, s.scalar(select(Product.id)) or 0))
    assert held.on_hand == Decimal(17)  # 20 - 3 missing; the 5 moved to BJ are still counted


async def test_only_the_warehouse_counts_and_only_its_manager_approves(shop: Office) -> None:
    refused = text_of(await shop.say("bob", "/盘点 开始 上海仓"))
    assert "权限" in refused
    await shop.say("wang", "/盘点 开始 上海仓")
    counted = text_of(await shop.say("wang", "/点数 BOLT-M6 25"))
    assert counted == "已记录点数：BOLT-M6 Hex bolt 25 pcs（SH，盘点 #1）。"
    again = text_of(await shop.say("will", "/stocktake start SH"))
    assert again == "A stock take of SH is already open."
    await shop.say("wang", "/盘点 完成")
    chinese = shop.card("mei")  # each manager reads the card in their own language
    assert chinese.title == "SH 的盘点 #1：差异"
    assert chinese.body == "BOLT-M6 Hex bolt：账面 20，实盘 25，差异 +5 pcs，金额 +10"
    assert "盘点期间的出入库照常保留" in chinese.footer
    assert [b.label for b in chinese.buttons] == ["同意", "取消"]
    card = shop.card("max")
    tapped = await shop.tap("will", button(card, "Approve").token)
    assert tapped.text == "This button is not for you."
    await shop.tap("max", button(card, "Cancel").token)
    assert "cancelled" in shop.card("max").title
    assert await _moves(shop) == 1  # only the opening adjustment


async def test_the_product_list_is_paged_with_buttons_and_cancel_frees_the_warehouse(
    shop: Office,
) -> None:
    def stocked(s: Session) -> None:
        warehouse = warehouse_by_code(s, "SH")
        assert warehouse is not None
        place = main_location(s, warehouse)
        for n in range(9):
            nut = add_product(s, f"NUT-{n}", {"name_en": f"Nut {n}"}, "CNY", NOW)
            post_move(
                s, MoveRequest("receipt", nut.id, Decimal(1), f"n{n}", to_location=place), None, NOW
            )

    await shop.run(stocked)
    await shop.say("will", "/stocktake start SH")
    first = (await shop.say("will", "/stocktake list SH")).message
    assert isinstance(first, Card) and first.footer == "Page 1 of 2"  # the bolt and 9 nuts
    assert [b.label for b in first.buttons][-2:] == ["NUT-6 Nut 6", "Next page"]
    second = await shop.tap("will", button(first, "Next page").token)
    assert isinstance(second.message, Card) and second.message.footer == "Page 2 of 2"
    assert [b.label for b in second.message.buttons] == [
        "NUT-7 Nut 7",
        "NUT-8 Nut 8",
        "Previous page",
    ]
    cancelled = text_of(await shop.say("will", "/stocktake cancel SH"))
    assert "Stock take #1 of SH cancelled" in cancelled and "Nothing was adjusted." in cancelled
    assert "Stock take #2 of SH started" in text_of(await shop.say("will", "/stocktake start SH"))


async def test_a_loss_beyond_the_free_stock_is_refused_and_nothing_of_the_approval_kept(
    shop: Office,
) -> None:
    def reserved(s: Session) -> None:
        warehouse = warehouse_by_code(s, "SH")
        assert warehouse is not None
        product_id = s.scalar(select(Product.id)) or 0
        reserve(s, product_id, main_location(s, warehouse), Decimal(19), NOW)  # 1 free

    await shop.run(reserved)
    await shop.say("will", "/stocktake start SH")
    await shop.say("will", "/count BOLT-M6 17")
    await shop.say("will", "/stocktake finish SH")
    approve = button(shop.card("max"), "Approve").token
    refused = await shop.tap("max", approve)
    assert refused.text == "Only 1 pcs of BOLT-M6 are free to move there."
    assert await _moves(shop) == 1  # nothing posted
    state = await shop.run(lambda s: take_by_id(s, 1).status)
    assert state == "review"  # still waiting: release the reservation and approve again
