"""A ticket about an order shows the order (issue 16 point 5), on SQLite (the order is read with
the same ORM queries on either database): a ticket naming SO2026-1 shows that order's status,
each line's reserved and delivered quantities and the shipment's tracking number on its card, in
the reader's language; a number of another customer's order shows nothing; a ticket that names
no order shows none."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.replies import Card
from domain.erp.catalog import add_product
from domain.erp.stock import post_move
from domain.erp.warehouses import add_warehouse, main_location
from tests.integration.approvals_rig import Office, running_office
from tests.integration.erp_rig import receipt

ORG = """
org: {name: Test Works, timezone: Asia/Shanghai, locale: zh_CN, currency: CNY}
departments:
  - {name: Management, head: alice}
members:
  - {handle: alice, name: Alice Admin, department: Management, roles: [admin, manager], locale: en}
  - {handle: sue, name: Sue Sales, department: Management, manager: alice,
     roles: [sales, warehouse], locale: en}
  - {handle: hui, name: 慧 Hui, department: Management, manager: alice, roles: [service],
     locale: zh_CN}
"""


@pytest.fixture
async def works(sqlite_settings: Settings) -> AsyncIterator[Office]:
    async with running_office(sqlite_settings, extra=(), org=ORG) as office:

        def stocked(s: Session) -> None:
            now = office.clock.now()
            place = main_location(s, add_warehouse(s, "SH", "上海仓"))
            values = {"name_en": "Bolt", "name_zh": "螺栓", "cost": Decimal(1)}
            bolt = add_product(s, "BOLT-M6", values, "CNY", now)  # type: ignore[arg-type]
            post_move(s, receipt(bolt, place, "100", "bolts"), None, now)

        await office.run(stocked)
        for text in (
            "/customer add Acme Ltd",
            "/customer add Other Co",
            "/order Acme BOLT-M6 40 price=2",
            "/order confirm SO2026-00001",
            "/ship SO2026-00001 30 tracking=SF1234567",
            "/order Other BOLT-M6 5 price=2",
        ):
            await office.say("sue", text)
        yield office


async def card(office: Office, handle: str, text: str) -> Card:
    answer = (await office.say(handle, text)).message
    assert isinstance(answer, Card), answer
    return answer


async def test_the_ticket_card_shows_the_order_it_names(works: Office) -> None:
    await works.say("sue", "/ticket new 1 where is the rest of so2026-1? also SO2026-00002")
    shown = await card(works, "sue", "/ticket show 1")
    lines = shown.body.splitlines()
    assert lines[:4] == [
        "📦 Order SO2026-00001 · partly delivered",
        "    BOLT-M6 Bolt × 40: reserved 10, delivered 30",
        lines[2],  # the shipment's moment, in the reader's time zone
        lines[3],
    ]
    assert lines[2].startswith("    Shipped ") and lines[2].endswith(", tracking SF1234567")
    assert "SO2026-00002" not in shown.body  # Other Co's order, on Acme's ticket: not shown

    zh = await card(works, "hui", "/工单 查看 1")
    assert zh.body.splitlines()[:2] == [
        "📦 订单 SO2026-00001 · 部分发货",
        "    BOLT-M6 螺栓 × 40：已预留 10，已发货 30",
    ]


async def test_a_ticket_naming_no_order_shows_none(works: Office) -> None:
    await works.say("sue", "/ticket new 2 printer jams")  # Other Co's ticket
    shown = await card(works, "sue", "/ticket show 1")
    assert "📦" not in shown.body
