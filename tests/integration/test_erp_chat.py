"""The catalog and stock in chat, on SQLite (the words are what is tested; the ledger's locking
is test_erp_stock_pg's): a product added and its stock read in English and in Chinese, a
transfer and a count adjustment by the warehouse, a sales rep refused, what is missing asked
for, never guessed, and found products and moves paged with buttons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters.memory.client import Posted
from bot.config import Settings
from bot.replies import Card
from commands.erp.products import FOUND_SHOWN
from commands.erp.stock import MOVES_SHOWN
from domain.erp.catalog import add_product
from domain.erp.levels import availability
from domain.erp.models import Product, StockMove
from domain.erp.stock import MoveRequest, post_move
from domain.erp.warehouses import add_warehouse, main_location, warehouse_by_code
from tests.integration.approvals_rig import Office, button, running_office
from tests.integration.erp_rig import NOW

ORG = """
org: {name: Test Trading, timezone: Asia/Shanghai, locale: zh_CN, currency: CNY}
departments:
  - {name: Management, head: alice}
members:
  - {handle: alice, name: Alice Admin, department: Management, roles: [admin, manager], locale: en}
  - {handle: wang, name: 王仓 Wang, department: Management, roles: [warehouse], locale: zh_CN}
  - {handle: will, name: Will Stock, department: Management, roles: [warehouse], locale: en}
  - {handle: bob, name: 李博 Bob, department: Management, roles: [sales], locale: zh_CN}
"""


@pytest.fixture
async def shop(sqlite_settings: Settings) -> AsyncIterator[Office]:
    """SQLite only: this is about what people type and read."""
    async with running_office(sqlite_settings, extra=(), org=ORG) as office:
        await office.run(
            lambda s: [add_warehouse(s, "SH", "上海仓"), add_warehouse(s, "BJ", "北京仓")]
        )
        yield office


def text_of(posted: Posted) -> str:
    message = posted.message
    if isinstance(message, Card):
        lines = [message.title, message.body, *(f"{f.label}: {f.value}" for f in message.fields)]
        return "\n".join([*lines, message.footer])
    return str(message.text)


async def test_a_product_added_and_its_stock_read_in_english(shop: Office) -> None:
    added = text_of(await shop.say("will", "/product add BOLT-M6 Hex bolt raw cost=0.35 safety=50"))
    assert "Product BOLT-M6 added" in added and "raw material" in added and "Hex bolt" in added
    moved = text_of(await shop.say("will", "/adjust BOLT-M6 +120 SH found in the back"))
    assert "Adjusted BOLT-M6 by +120 pcs; 120 on hand in all." in moved
    moved = text_of(await shop.say("will", "/transfer-stock BOLT-M6 20 from SH to BJ"))
    assert moved == "Moved 20 pcs of BOLT-M6 Hex bolt from SH to BJ."
    stock = text_of(await shop.say("will", "/stock BOLT-M6"))
    assert "SH 上海仓: on hand 100, reserved 0, available 100 pcs" in stock
    huge = text_of(await shop.say("will", "/adjust BOLT-M6 +99999999999999999999 SH"))
    assert "below a trillion" in huge and "not 99999999999999999999" in huge, huge  # no crash
    assert text_of(await shop.say("will", "/stock BOLT-M6")) == stock
    assert "BJ 北京仓: on hand 20" in stock and "Available: 120 pcs" in stock
    ledger = text_of(await shop.say("will", "/moves BOLT-M6"))
    assert "transfer 20 SH → BJ" in ledger and "adjustment +120 SH · found in the back" in ledger


async def test_a_product_added_and_its_stock_read_in_chinese(shop: Office) -> None:
    added = text_of(await shop.say("wang", "/产品 新增 GEAR-01 齿轮 半成品 成本=12.5 安全库存=10"))
    assert "产品 GEAR-01 已添加" in added and "半成品" in added and "齿轮" in added
    await shop.say("wang", "/盘盈盘亏 GEAR-01 盘盈 8 上海仓")
    stock = text_of(await shop.say("wang", "/库存 齿轮"))
    assert "在库 8，已预留 0，可用 8 个" in stock and "低于安全库存（10）" in stock
    assert not any(
        ch.isascii() and ch.isalpha() for ch in stock.replace("GEAR-01", "").replace("SH", "")
    )
    held = await shop.run(lambda s: availability(s, s.scalar(select(Product.id)) or 0))
    assert held.on_hand == Decimal(8)


async def test_only_the_warehouse_moves_stock_and_edits_products(shop: Office) -> None:
    await shop.say("will", "/product add BOLT-M6 Hex bolt")
    refused = text_of(await shop.say("bob", "/盘盈盘亏 BOLT-M6 5 SH"))
    assert "权限" in refused
    refused = text_of(await shop.say("bob", "/产品 修改 BOLT-M6 成本=1"))
    assert "只有仓库人员和管理员" in refused
    assert "BOLT-M6" in text_of(await shop.say("bob", "/库存 BOLT-M6"))  # anyone may read stock
    assert await shop.run(lambda s: s.scalar(select(func.count()).select_from(StockMove))) == 0


async def test_what_is_missing_is_asked_for_and_the_answer_completes_the_line(shop: Office) -> None:
    await shop.say("will", "/product add BOLT-M6 Hex bolt")
    asked = text_of(await shop.say("will", "/transfer-stock BOLT-M6 SH BJ"))
    assert asked.startswith("qty?")
    await shop.say("will", "/adjust BOLT-M6 10 SH")
    done = text_of(await shop.say("will", "4"))
    assert done == "Moved 4 pcs of BOLT-M6 Hex bolt from SH to BJ."
    asked = text_of(await shop.say("will", "/product add"))
    assert asked.startswith("sku?")


async def test_help_lists_the_stock_commands_each_member_may_use(shop: Office) -> None:
    keeper = (await shop.say("will", "/help")).text
    assert all(
        f"/{name}" in keeper for name in ("product", "stock", "moves", "transfer-stock", "adjust")
    )
    seller = (await shop.say("bob", "/help")).text
    assert "/产品" in seller and "/库存" in seller and "/流水" in seller
    assert "/盘盈盘亏" not in seller and "/调拨" not in seller


async def test_a_name_several_products_share_is_offered_as_buttons(shop: Office) -> None:
    await shop.say("will", "/product add BOLT-M6 Hex bolt M6")
    await shop.say("will", "/product add BOLT-M8 Hex bolt M8")
    asked = await shop.say("will", "/stock hex bolt")
    assert (
        isinstance(asked.message, Card) and "Which product do you mean by hex bolt?" in asked.text
    )
    assert [b.label for b in asked.message.buttons] == [
        "BOLT-M6 Hex bolt M6",
        "BOLT-M8 Hex bolt M8",
    ]
    picked = await shop.tap("will", asked.message.buttons[1].token)
    assert "Stock of BOLT-M8 Hex bolt M8" in picked.text


async def test_a_word_people_use_for_a_stock_command_is_suggested(shop: Office) -> None:
    assert "/stock" in (await shop.say("will", "/inventory BOLT-M6")).text
    assert "/产品" in (await shop.say("wang", "/商品")).text


async def test_a_quantity_in_the_purchase_unit_is_converted_and_another_unit_refused(
    shop: Office,
) -> None:
    await shop.say("wang", "/产品 新增 GEAR-01 齿轮 单位=个 采购单位=箱 换算=12")
    booked = text_of(await shop.say("wang", "/盘盈盘亏 GEAR-01 盘盈 2箱 SH"))
    assert booked == "已调整 GEAR-01 +24 个；合计在库 24。"
    refused = text_of(await shop.say("wang", "/调拨 GEAR-01 3盒 从 SH 到 BJ"))
    assert refused == "GEAR-01 以个计，不是盒。"
    moved = text_of(await shop.say("wang", "/调拨 GEAR-01 5个 从 SH 到 BJ"))
    assert moved == "已将 5 个 GEAR-01 齿轮 从 SH 调拨到 BJ。"


async def test_english_unit_words_follow_the_same_rules(shop: Office) -> None:
    await shop.say("will", "/product add GEAR-01 Gear uom=pcs purchase_unit=box factor=12")
    booked = text_of(await shop.say("will", "/adjust GEAR-01 +2 boxes SH"))
    assert booked == "Adjusted GEAR-01 by +24 pcs; 24 on hand in all."
    refused = text_of(await shop.say("will", "/transfer-stock GEAR-01 3 rolls from SH to BJ"))
    assert refused == "GEAR-01 is counted in pcs, not rolls."
    moved = text_of(await shop.say("will", "/transfer-stock GEAR-01 5 pcs from SH to BJ"))
    assert moved == "Moved 5 pcs of GEAR-01 Gear from SH to BJ."
    chinese = text_of(await shop.say("wang", "/盘盈盘亏 GEAR-01 盘盈 1箱 SH"))
    assert chinese == "已调整 GEAR-01 +12 pcs；合计在库 36。"  # 箱 is a box
    await shop.say("wang", "/产品 新增 SEAL-KIT 密封组件 单位=套 采购单位=箱 换算=20")
    cartons = text_of(await shop.say("will", "/adjust SEAL-KIT +2 cartons SH"))
    assert cartons == "Adjusted SEAL-KIT by +40 套; 40 on hand in all."


async def test_warehouses_are_listed_to_all_and_added_by_the_warehouse(shop: Office) -> None:
    added = text_of(await shop.say("wang", "/仓库 新增 GZ 广州仓"))
    assert added.startswith("仓库 GZ 已添加：广州仓")
    refused = text_of(await shop.say("bob", "/仓库 新增 SZ 深圳仓"))
    assert "只有仓库人员和管理员" in refused
    listed = text_of(await shop.say("bob", "/仓库"))
    assert "仓库（3）" in listed and "GZ 广州仓" in listed and "SZ" not in listed


async def test_moving_more_than_is_free_is_refused_with_what_is_free(shop: Office) -> None:
    await shop.say("will", "/product add BOLT-M6 Hex bolt")
    await shop.say("will", "/adjust BOLT-M6 5 SH")
    refused = text_of(await shop.say("will", "/transfer-stock BOLT-M6 6 SH BJ"))
    assert refused == "Only 5 pcs of BOLT-M6 are free to move there."


async def test_found_products_and_moves_are_paged_with_buttons_in_both_languages(
    shop: Office,
) -> None:
    def stocked(s: Session) -> None:
        warehouse = warehouse_by_code(s, "SH")
        assert warehouse is not None
        place = main_location(s, warehouse)
        bolt = add_product(s, "BOLT-M6", {"name_en": "Hex bolt", "name_zh": "六角螺栓"}, "CNY", NOW)
        for n in range(MOVES_SHOWN + 1):
            receipt = MoveRequest("receipt", bolt.id, Decimal(n + 1), f"m{n}", to_location=place)
            post_move(s, receipt, None, NOW)
        for n in range(FOUND_SHOWN + 2):
            add_product(
                s, f"NUT-{n:02}", {"name_en": f"Hex nut {n}", "name_zh": "六角螺母"}, "CNY", NOW
            )

    await shop.run(stocked)
    found = (await shop.say("will", "/product find hex")).message
    assert isinstance(found, Card) and found.title == "Products matching hex (23)"
    assert (found.footer, [b.label for b in found.buttons]) == ("Page 1 of 2", ["Next page"])
    after = (await shop.tap("will", button(found, "Next page").token)).message
    assert isinstance(after, Card) and after.footer == "Page 2 of 2"
    assert after.body.splitlines() == [
        f"NUT-{n} · Hex nut {n} · finished goods" for n in (19, 20, 21)
    ]
    assert [b.label for b in after.buttons] == ["Previous page"]

    zh = (await shop.say("wang", "/产品 查找 六角")).message
    assert isinstance(zh, Card) and zh.footer == "第 1 页，共 2 页"
    zh_after = (await shop.tap("wang", button(zh, "下一页").token)).message
    assert isinstance(zh_after, Card) and zh_after.footer == "第 2 页，共 2 页"
    assert "NUT-21 · 六角螺母 · 成品" in zh_after.body and "BOLT-M6" not in zh_after.body

    ledger = (await shop.say("will", "/moves BOLT-M6")).message
    assert isinstance(ledger, Card) and len(ledger.body.splitlines()) == MOVES_SHOWN
    assert "receipt +21 SH" in ledger.body and "receipt +1 SH" not in ledger.body
    oldest = (await shop.tap("will", button(ledger, "Next page").token)).message
    assert isinstance(oldest, Card) and [b.label for b in oldest.buttons] == ["Previous page"]
    assert oldest.body.endswith("receipt +1 SH") and len(oldest.body.splitlines()) == 1
    zh_ledger = (await shop.say("wang", "/流水 BOLT-M6")).message
    assert isinstance(zh_ledger, Card)
    zh_oldest = await shop.tap("wang", button(zh_ledger, "下一页").token)
    assert "入库 +1 SH" in zh_oldest.text and "上一页" in str(zh_oldest.message)

    for card in (found, ledger):  # bound to the member it was shown to
        refused = await shop.tap("bob", button(card, "Next page").token)
        assert refused.text == "这个按钮不是给你的。"
