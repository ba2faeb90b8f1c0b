"""Price lists in chat, on SQLite: a sales manager makes a tier list and a customer's list with a
quantity break; /price answers with the price and where it came from (customer, tier, list
price); a sales rep may read but not change lists; a customer outside the asker's scope is not
priced."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.replies import Card
from tests.integration.approvals_rig import Office, running_office
from tests.integration.test_erp_chat import text_of

ORG = """
org: {name: Test Trading, timezone: Asia/Shanghai, locale: zh_CN, currency: CNY}
departments:
  - {name: Management, head: alice}
  - {name: Sales, head: sam, parent: Management}
members:
  - {handle: alice, name: Alice Admin, department: Management, roles: [admin, manager], locale: en}
  - {handle: sam, name: Sam Seller, department: Sales, roles: [sales, manager], locale: en}
  - {handle: bob, name: 李博 Bob, department: Sales, roles: [sales], locale: zh_CN}
  - {handle: will, name: Will Stock, department: Management, roles: [warehouse], locale: en}
"""


@pytest.fixture
async def shop(sqlite_settings: Settings) -> AsyncIterator[Office]:
    """SQLite only: this is about what people type and read."""
    async with running_office(sqlite_settings, extra=(), org=ORG) as office:
        await office.say("will", "/product add BOLT-M6 Hex bolt price=1.2")
        await office.say("sam", "/customer add Acme Ltd tier=A")
        yield office


async def test_customer_beats_tier_beats_list_price_from_chat(shop: Office) -> None:
    added = await shop.say("sam", "/pricelist add Gold tier=A")
    assert isinstance(added.message, Card) and added.message.title == "Price list Gold added"
    await shop.say("sam", "/pricelist line Gold BOLT-M6 1.00")
    await shop.say("sam", "/pricelist add Acme 2026 customer=1 from=2026-01-01 to=2026-12-31")
    line = await shop.say("sam", "/pricelist line Acme 2026 BOLT-M6 0.90 min=100")
    assert "BOLT-M6 in Acme 2026: 0.9 CNY from 100 on" in line.text
    assert (await shop.say("sam", "/price BOLT-M6 1 100")).text == (
        "BOLT-M6 × 100 pcs for #1 Acme Ltd: 0.9 CNY each, from the customer's price list "
        "Acme 2026 (from 100 on)."
    )
    assert (await shop.say("sam", "/price BOLT-M6 #1 10")).text == (
        "BOLT-M6 × 10 pcs for #1 Acme Ltd: 1 CNY each, from the price list Gold of tier A "
        "(from 0 on)."
    )
    assert (await shop.say("sam", "/price BOLT-M6 100")).text == (
        "BOLT-M6 × 100 pcs for anyone: 1.2 CNY each, the product's list price."
    )
    shown = text_of(await shop.say("sam", "/pricelist show Acme 2026"))
    assert "Acme 2026 · customer #1 · CNY · 2026-01-01 – 2026-12-31" in shown
    assert "BOLT-M6 from 100: 0.9" in shown
    keyed = text_of(await shop.say("sam", "/价格表 新增 金牌 等级=B 起=2026-01-01 止=2026-06-30"))
    assert "金牌 · tier B · CNY · 2026-01-01 – 2026-06-30" in keyed  # Chinese keys read


async def test_a_rep_reads_but_does_not_change_lists_and_sees_only_their_customers(
    shop: Office,
) -> None:
    await shop.say("sam", "/pricelist add Gold tier=A")
    refused = text_of(await shop.say("bob", "/价格表 新增 Silver 等级=B"))
    assert "只有管理员和销售经理" in refused
    assert "Gold" in text_of(await shop.say("bob", "/价格表"))
    answer = text_of(await shop.say("bob", "/价格 BOLT-M6"))
    assert answer == "BOLT-M6 × 1 pcs，任何客户：每 pcs 1.2 CNY，产品标价。"
    hidden = text_of(await shop.say("bob", "/价格 BOLT-M6 1 100"))  # Acme is Sam's customer
    assert "1.2" not in hidden and "#1" in hidden
